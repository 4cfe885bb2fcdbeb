/*
 * The page's two panels about the cluster rather than about pgfront: what
 * Patroni says of each node, and the recent events (the same lines as the
 * log, kept by common/events.c), newest first.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stats/internal.h"

static const char *role_class(const struct stats_node *n)
{
	if (!n->known)
		return "init";
	if (n->primary)
		return "up";
	return n->patroni.state[0] && strcmp(n->patroni.state, "running") ? "down" : "drain";
}

/* A WAL position as PostgreSQL writes an LSN (pg_current_wal_lsn()): 0/4000060. */
static void lsn_text(long long pos, char *buf, size_t size)
{
	unsigned long long p = (unsigned long long)pos;

	snprintf(buf, size, "%llX/%llX", p >> 32, p & 0xffffffffULL);
}

static void wal_cell(struct stats_buf *b, const struct stats_node *n)
{
	char lag[32], lsn[40];

	stats_html_cell(b, "WAL / lag");
	if (n->primary && n->patroni.wal_position) {
		lsn_text(n->patroni.wal_position, lsn, sizeof lsn);
		stats_buf_printf(b, "<span class=\"num\">at %s</span>", lsn);
	} else if (n->lag_bytes >= 0) {
		stats_bytes_text((uint64_t)n->lag_bytes, lag, sizeof lag);
		lsn_text(n->patroni.wal_replayed, lsn, sizeof lsn);
		stats_buf_printf(b, "<span class=\"num\">lag <b>%s</b></span> "
		                 "<small>replayed %s</small>", lag, lsn);
	} else if (n->patroni.wal_replayed) {
		lsn_text(n->patroni.wal_replayed, lsn, sizeof lsn);
		stats_buf_printf(b, "<span class=\"num\">replayed %s</span> "
		                 "<small>primary's position unknown</small>", lsn);
	} else {
		stats_buf_puts(b, "<small>-</small>");
	}
	stats_buf_puts(b, "</td>");
}

static void node_row(struct stats_buf *b, const struct stats_node *n)
{
	stats_buf_puts(b, "<tr>");
	stats_html_cell(b, "Server");
	stats_buf_puts(b, "<b>");
	stats_buf_html(b, n->name);
	stats_buf_puts(b, "</b><br><small>");
	stats_buf_html(b, n->address);
	stats_buf_puts(b, "</small></td>");
	stats_html_cell(b, "Role");
	stats_buf_printf(b, "<span class=\"st %s\">", role_class(n));
	stats_buf_html(b, stats_node_role(n));
	stats_buf_puts(b, "</span></td>");
	stats_html_cell(b, "State");
	stats_buf_html(b, n->known && n->patroni.state[0] ? n->patroni.state : "-");
	stats_buf_puts(b, "</td>");
	stats_html_cell(b, "Timeline");
	if (n->known && n->patroni.timeline)
		stats_buf_printf(b, "<span class=\"num\">%lld</span></td>", n->patroni.timeline);
	else
		stats_buf_puts(b, "<small>-</small></td>");
	wal_cell(b, n);
	stats_html_cell(b, "Seen by");
	if (n->known)
		stats_buf_html(b, n->seen_by);
	else
		stats_buf_puts(b, "<small>no body at its last check</small>");
	stats_buf_puts(b, "</td></tr>\n");
}

void stats_html_cluster(struct stats_buf *b, const struct stats_snapshot *snap)
{
	if (!snap->any_node_known)
		return;
	stats_buf_puts(b, "<section><h2>Cluster <small>as Patroni's REST API describes it at "
	                  "the last checks</small></h2>\n<table><thead><tr><th>Server</th>"
	                  "<th>Role</th><th>State</th><th>Timeline</th><th>WAL / lag</th>"
	                  "<th>Seen by</th></tr></thead><tbody>\n");
	for (int i = 0; i < snap->nnodes; i++)
		node_row(b, &snap->nodes[i]);
	stats_buf_puts(b, "</tbody></table></section>\n");
}

void stats_html_events(struct stats_buf *b, const struct stats_snapshot *snap)
{
	stats_buf_printf(b, "<section><h2>Recent events <small>the last %d, newest first"
	                 "</small></h2>\n", EVENTS_KEPT);
	if (snap->nevents == 0) {
		stats_buf_puts(b, "<p class=\"counters\">nothing yet</p></section>\n");
		return;
	}
	stats_buf_puts(b, "<table><thead><tr><th>Time</th><th>Kind</th><th>What</th>"
	                  "</tr></thead><tbody>\n");
	for (int i = 0; i < snap->nevents; i++) {
		const struct event *e = &snap->events[i];
		time_t t = (time_t)e->time;
		struct tm tm;
		char stamp[32];

		localtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		stats_buf_puts(b, "<tr>");
		stats_html_cell(b, "Time");
		stats_buf_printf(b, "<span class=\"num nw\">%s.%03d</span></td>", stamp,
		                 (int)((e->time - (double)t) * 1000));
		stats_html_cell(b, "Kind");
		stats_buf_printf(b, "%s</td>", event_kind_name(e->kind));
		stats_html_cell(b, "What");
		stats_buf_html(b, e->text);
		stats_buf_puts(b, "</td></tr>\n");
	}
	stats_buf_puts(b, "</tbody></table></section>\n");
}
