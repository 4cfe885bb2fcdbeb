/*
 * GET <uri>: the page operators keep open. Self-contained (inline CSS, no
 * script, no external asset) so that it works offline and cannot be made to
 * load anything; a table on a laptop, one card per server on a phone. With
 * admin enabled each server gets a small form of buttons that POST back to
 * the page (no script needed); the server answers 303 to the page.
 */
#include <stdio.h>

#include "stats/internal.h"

static const char style[] =
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"color:#1d2430;background:#f4f6f8}"
	"header{background:#1d3557;color:#fff;padding:10px 16px}"
	"header h1{font-size:20px;margin:0 0 2px}header p{margin:0;opacity:.9}"
	"header a{color:#cfe3ff}"
	"main{padding:8px 16px 24px}"
	"section{background:#fff;border:1px solid #d8dee6;border-radius:6px;margin:12px 0;"
	"padding:10px 12px}"
	"h2{font-size:17px;margin:0 0 4px}h2 small{font-weight:normal;color:#556}"
	".counters{margin:0 0 8px;color:#334}.counters b{font-weight:600}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:5px 8px;border-top:1px solid #e4e8ee;vertical-align:top}"
	"th{font-size:12px;color:#556;font-weight:600;border-top:0}"
	"td small{color:#667}"
	".st{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:700;"
	"white-space:nowrap}"
	".up{background:#c9f0d0;color:#0b5d1e}.down{background:#ffd0d0;color:#8a1010}"
	".going{background:#ffe9a8;color:#6b4e00}.drain{background:#cfe3ff;color:#0b3d91}"
	".maint{background:#e0e0e0;color:#333}.init{background:#eee;color:#555}"
	"form{display:flex;gap:4px;flex-wrap:wrap;margin:0}"
	"button{font:inherit;font-size:12px;padding:2px 8px;border:1px solid #aab;"
	"border-radius:4px;background:#f8f9fb;cursor:pointer}"
	"button.kill{border-color:#d88;color:#8a1010}"
	"button.on{background:#1d3557;border-color:#1d3557;color:#fff}"
	".num{font-variant-numeric:tabular-nums}.nw{white-space:nowrap}"
	"@media (max-width:760px){"
	"main{padding:4px 8px}thead{display:none}table,tbody,tr,td{display:block;width:auto}"
	"tr{border:1px solid #d8dee6;border-radius:6px;margin:8px 0;padding:4px 0}"
	"td{border:0;padding:3px 8px;display:flex;gap:8px}"
	"td::before{content:attr(data-label);min-width:8.5em;color:#556;font-size:12px}}";

static const char *status_class(const struct stats_member *m)
{
	if (m->admin == PROXY_ADMIN_MAINT)
		return "maint";
	if (m->admin == PROXY_ADMIN_DRAIN && m->health.status == HC_STATUS_UP)
		return "drain";
	if (m->health.status == HC_STATUS_INIT)
		return "init";
	if (m->health.streak)
		return "going";
	return m->health.status == HC_STATUS_UP ? "up" : "down";
}

/* A cell, labelled for the phone layout (each row a card). */
void stats_html_cell(struct stats_buf *b, const char *label)
{
	stats_buf_printf(b, "<td data-label=\"%s\">", label);
}

static void last_check(struct stats_buf *b, const struct stats_member *m)
{
	const struct hc_result *r = &m->last;

	stats_html_cell(b, "Last check");
	if (r->reason == HC_REASON_NONE) {
		stats_buf_puts(b, "<small>not checked yet</small></td>");
		return;
	}
	stats_buf_puts(b, "<span class=\"num nw\">");
	stats_buf_html(b, r->detail);
	if (r->reason != HC_REASON_TIMEOUT)
		stats_buf_printf(b, ", %.0f ms", r->duration_ms);
	stats_buf_printf(b, "</span> <small>%s</small></td>", stats_check_code(r));
}

static void admin_form(struct stats_buf *b, const struct stats_snapshot *snap,
                       const struct stats_listener *l, const struct stats_member *m)
{
	static const char *const labels[STATS_ACTION_COUNT] = {
		[STATS_ACTION_READY] = "Ready", [STATS_ACTION_DRAIN] = "Drain",
		[STATS_ACTION_MAINT] = "Maint", [STATS_ACTION_KILL] = "Kill",
	};

	stats_html_cell(b, "Admin");
	stats_buf_puts(b, "<form method=\"post\" action=\"");
	stats_buf_html(b, snap->uri);
	stats_buf_puts(b, "\"><input type=\"hidden\" name=\"target\" value=\"");
	stats_buf_html(b, l->name);
	stats_buf_puts(b, "/");
	stats_buf_html(b, m->name);
	stats_buf_puts(b, "\">");
	for (int a = 0; a < STATS_ACTION_COUNT; a++) {
		/* The state in force is shown pressed; pressing it again changes nothing. */
		bool on = a != STATS_ACTION_KILL && stats_action_admin((enum stats_action)a) == m->admin;
		stats_buf_printf(b, "<button name=\"action\" value=\"%s\"%s>%s</button>",
		                 stats_action_name((enum stats_action)a),
		                 a == STATS_ACTION_KILL ? " class=\"kill\" title=\"close its sessions now\"" :
		                 on ? " class=\"on\" aria-pressed=\"true\"" : "", labels[a]);
	}
	stats_buf_puts(b, "</form></td>");
}

static void server_row(struct stats_buf *b, const struct stats_snapshot *snap,
                       const struct stats_listener *l, const struct stats_member *m)
{
	char status[STATS_STATUS_MAX], t1[32], t2[32];

	stats_buf_puts(b, "<tr>");
	stats_html_cell(b, "Server");
	stats_buf_puts(b, "<b>");
	stats_buf_html(b, m->name);
	stats_buf_printf(b, "</b>%s<br><small>", m->backup ? " <small>(backup)</small>" : "");
	stats_buf_html(b, m->address);
	stats_buf_puts(b, "</small></td>");
	stats_html_cell(b, "Status");
	stats_buf_printf(b, "<span class=\"st %s\">%s</span>", status_class(m),
	                 stats_status(m, status, sizeof status));
	if (m->admin != PROXY_ADMIN_READY && m->health.status != HC_STATUS_UP)
		stats_buf_printf(b, " <small>%s</small>", stats_admin_text(m->admin));
	stats_buf_puts(b, "</td>");
	last_check(b, m);
	stats_duration_text(m->since_change, t1, sizeof t1);
	stats_html_cell(b, "Since change");
	stats_buf_printf(b, "<span class=\"num\">%s</span></td>", t1);
	stats_html_cell(b, "Checks failed / DOWNs");
	stats_buf_printf(b, "<span class=\"num\">%llu / %llu</span></td>",
	                 (unsigned long long)m->failures, (unsigned long long)m->down_transitions);
	stats_duration_text(m->downtime, t1, sizeof t1);
	stats_html_cell(b, "Downtime");
	stats_buf_printf(b, "<span class=\"num\">%s</span></td>", t1);
	stats_html_cell(b, "Sessions cur/max/limit/total");
	stats_buf_printf(b, "<span class=\"num\">%d / %d / ", m->c.sessions, m->c.sessions_max);
	if (m->maxconn > 0)
		stats_buf_printf(b, "%d", m->maxconn);
	else
		stats_buf_puts(b, "-");
	stats_buf_printf(b, " / %llu</span></td>", (unsigned long long)m->c.sessions_total);
	stats_html_cell(b, "Queue cur/max");
	stats_buf_puts(b, "<span class=\"num\">0 / 0</span></td>");
	stats_bytes_text(m->c.bytes_in, t1, sizeof t1);
	stats_bytes_text(m->c.bytes_out, t2, sizeof t2);
	stats_html_cell(b, "Bytes in / out");
	stats_buf_printf(b, "<span class=\"num\">%s / %s</span></td>", t1, t2);
	stats_html_cell(b, "Conn. errors / retries");
	stats_buf_printf(b, "<span class=\"num\">%llu / %llu</span></td>",
	                 (unsigned long long)m->c.connect_errors, (unsigned long long)m->c.retries);
	if (snap->admin)
		admin_form(b, snap, l, m);
	stats_buf_puts(b, "</tr>\n");
}

static void listener_counters(struct stats_buf *b, const struct stats_listener *l)
{
	char in[32], out[32];
	bool any = false;

	stats_bytes_text(l->c.bytes_in, in, sizeof in);
	stats_bytes_text(l->c.bytes_out, out, sizeof out);
	stats_buf_printf(b, "<p class=\"counters num\">sessions <b>%d</b> (max %d, total %llu)"
	                 " · queue <b>%d</b> (max %d) · in %s · out %s · refused: ",
	                 l->c.sessions, l->c.sessions_max, (unsigned long long)l->c.sessions_total,
	                 l->c.queued, l->c.queued_max, in, out);
	for (int r = 0; r < PROXY_REFUSAL_COUNT; r++) {
		const char *key = stats_refusal_key((enum proxy_refusal)r);
		if (!l->c.refused[r] || !key)
			continue;
		stats_buf_printf(b, "%s%s <b>%llu</b>", any ? ", " : "", key,
		                 (unsigned long long)l->c.refused[r]);
		any = true;
	}
	stats_buf_puts(b, any ? "</p>\n" : "none</p>\n");
	stats_buf_printf(b, "<p class=\"counters num\">logging in <b>%d</b> · login timeouts %llu"
	                 " · invalid first packets %llu · dropped logins %llu"
	                 " · cancels forwarded %llu</p>\n", l->c.logins,
	                 (unsigned long long)l->c.login_timeouts,
	                 (unsigned long long)l->c.login_invalid,
	                 (unsigned long long)l->c.login_dropped,
	                 (unsigned long long)l->c.cancels_forwarded);
	if (!l->writes)
		return;
	stats_buf_printf(b, "<p class=\"counters num\">primary: %s · timeline <b>%lld</b> · "
	                 "without one <b>%llu</b> time(s), <b>%.2f s</b> in all (last %.2f s)%s</p>\n",
	                 l->gap_now > 0 ? "<b>none</b>" : "one", l->timeline,
	                 (unsigned long long)l->gaps, l->gap_seconds, l->last_gap,
	                 l->hunting ? " · <b>hunting</b>: every server checked at hunt_interval" : "");
}

static void listener(struct stats_buf *b, const struct stats_snapshot *snap,
                     const struct stats_listener *l)
{
	static const char *const heads[] = {
		"Server", "Status", "Last check", "Since change", "Checks failed / DOWNs",
		"Downtime", "Sessions cur/max/limit/total", "Queue cur/max", "Bytes in / out",
		"Conn. errors / retries", "Admin",
	};
	size_t nheads = sizeof heads / sizeof heads[0] - (snap->admin ? 0 : 1);

	stats_buf_puts(b, "<section><h2>");
	stats_buf_html(b, l->name);
	stats_buf_puts(b, " <small>");
	for (int i = 0; i < l->nbinds; i++) {
		stats_buf_puts(b, i ? ", " : "");
		stats_buf_html(b, l->binds[i]);
	}
	stats_buf_printf(b, " · %s · ", conf_balance_name(l->balance));
	stats_buf_html(b, l->check);
	stats_buf_puts(b, "</small></h2>\n");
	listener_counters(b, l);
	stats_buf_puts(b, "<table><thead><tr>");
	for (size_t i = 0; i < nheads; i++)
		stats_buf_printf(b, "<th>%s</th>", heads[i]);
	stats_buf_puts(b, "</tr></thead><tbody>\n");
	for (int i = 0; i < l->nmembers; i++)
		server_row(b, snap, l, &l->members[i]);
	stats_buf_puts(b, "</tbody></table></section>\n");
}

static void vrrp_row(struct stats_buf *b, const struct stats_snapshot *snap, int i)
{
	const struct vrrp_view *v = &snap->vrrp[i];
	char since[32];
	bool any = false;

	stats_duration_text(v->since > 0 ? snap->now - v->since : 0, since, sizeof since);
	stats_buf_puts(b, "<tr>");
	stats_html_cell(b, "Instance");
	stats_buf_puts(b, "<b>");
	stats_buf_html(b, v->name ? v->name : "");
	stats_buf_printf(b, "</b><br><small>VRID %d on ", v->vrid);
	stats_buf_html(b, v->interface ? v->interface : "");
	stats_buf_puts(b, "</small></td>");
	stats_html_cell(b, "State");
	stats_buf_printf(b, "<span class=\"st %s\">%s</span>%s</td>",
	                 v->state == VRRP_STATE_MASTER ? "up" :
	                 v->state == VRRP_STATE_BACKUP ? "drain" : "init",
	                 vrrp_state_name(v->state),
	                 v->vip_mismatch ? " <small>peer lists other VIPs</small>" : "");
	stats_html_cell(b, "VIPs");
	for (int k = 0; k < snap->nvips[i]; k++) {
		stats_buf_puts(b, k ? "<br>" : "");
		stats_buf_html(b, snap->vips[i][k]);
	}
	stats_buf_puts(b, "</td>");
	stats_html_cell(b, "Priority adv. / conf.");
	stats_buf_printf(b, "<span class=\"num\">%d / %d</span></td>", v->priority_advertised,
	                 v->priority_configured);
	stats_html_cell(b, "Since / transitions");
	stats_buf_printf(b, "<span class=\"num\">%s / %llu</span></td>", since,
	                 (unsigned long long)v->transitions);
	stats_html_cell(b, "MASTER");
	stats_buf_html(b, v->master[0] ? v->master : "unknown");
	stats_buf_puts(b, "</td>");
	stats_html_cell(b, "Adverts sent / received");
	stats_buf_printf(b, "<span class=\"num\">%llu / %llu</span></td>",
	                 (unsigned long long)v->adverts_sent, (unsigned long long)v->adverts_received);
	stats_html_cell(b, "Discarded");
	for (int d = 0; d < VRRP_DISCARD_COUNT; d++) {
		const char *key = vrrp_discard_name((enum vrrp_discard)d);
		if (!v->discards[d] || !key)
			continue;
		stats_buf_printf(b, "%s%s %llu", any ? ", " : "", key,
		                 (unsigned long long)v->discards[d]);
		any = true;
	}
	stats_buf_puts(b, any ? "</td></tr>\n" : "none</td></tr>\n");
}

static void vrrp_panel(struct stats_buf *b, const struct stats_snapshot *snap)
{
	stats_buf_puts(b, "<section><h2>VRRP</h2>\n");
	if (snap->nvrrp == 0) {
		stats_buf_puts(b, "<p class=\"counters\">no [vrrp] instance</p></section>\n");
		return;
	}
	stats_buf_puts(b, "<table><thead><tr><th>Instance</th><th>State</th>"
	                  "<th>VIPs</th><th>Priority adv. / conf.</th><th>Since / transitions</th>"
	                  "<th>MASTER</th><th>Adverts sent / received</th><th>Discarded</th>"
	                  "</tr></thead><tbody>\n");
	for (int i = 0; i < snap->nvrrp; i++)
		vrrp_row(b, snap, i);
	stats_buf_puts(b, "</tbody></table></section>\n");
}

static void page_header(struct stats_buf *b, const struct stats_snapshot *snap, bool refresh)
{
	char uptime[32];

	stats_duration_text(snap->uptime, uptime, sizeof uptime);
	stats_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	if (refresh && snap->refresh_s > 0)
		stats_buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%u\">", snap->refresh_s);
	stats_buf_printf(b, "<title>pgfront stats</title><style>%s</style></head><body>\n"
	                 "<header><h1>pgfront</h1><p class=\"num\">version %s · pid %ld · up %s"
	                 " · connections <b>%d</b> of maxconn %d · %d relay thread(s)", style,
	                 snap->version, snap->pid, uptime, snap->connections, snap->maxconn,
	                 snap->nthreads);
	if (refresh && snap->refresh_s > 0)
		stats_buf_printf(b, " · refresh %us", snap->refresh_s);
	stats_buf_puts(b, " · <a href=\"");
	stats_buf_html(b, snap->uri);
	stats_buf_puts(b, ";csv\">CSV</a> · <a href=\"");
	stats_buf_html(b, snap->uri);
	stats_buf_puts(b, ";json\">JSON</a> · <a href=\"/metrics\">metrics</a></p></header>\n"
	                  "<main>\n");
}

void stats_render_html(struct stats_buf *b, const struct stats_snapshot *snap, bool refresh)
{
	page_header(b, snap, refresh);
	stats_html_cluster(b, snap);
	for (int i = 0; i < snap->nlisteners; i++)
		listener(b, snap, &snap->listeners[i]);
	vrrp_panel(b, snap);
	stats_html_events(b, snap);
	stats_buf_puts(b, "</main></body></html>\n");
}
