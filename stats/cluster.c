/*
 * The cluster as Patroni describes it: per server, the role, state, timeline
 * and WAL positions of its last checked body, and each replica's lag behind
 * the primary; and the recent events kept by common/events.c.
 *
 * Built from the snapshot's listeners (already copied from the health
 * engine), so it is as pure as the renderers: a unit test can make one up.
 */
#include <stdio.h>
#include <string.h>

#include "stats/internal.h"

static bool is_primary_role(const char *role)
{
	return !strcmp(role, "master") || !strcmp(role, "primary");
}

/*
 * The body of the server's newest check across listeners. Checks have no
 * shared clock, so "newest" is approximated by preference: a write port's
 * check (GET, at inter, or faster while hunting) over any other.
 */
static void find_body(struct stats_node *n, const struct stats_snapshot *snap)
{
	for (int pass = 0; pass < 2 && !n->known; pass++) {
		for (int i = 0; i < snap->nlisteners && !n->known; i++) {
			const struct stats_listener *l = &snap->listeners[i];
			if ((pass == 0) != l->writes)
				continue;
			for (int j = 0; j < l->nmembers; j++) {
				const struct stats_member *m = &l->members[j];
				if (strcmp(m->name, n->name) || !m->last.patroni.present)
					continue;
				n->known = true;
				n->patroni = m->last.patroni;
				/* Both are name buffers of the snapshot: a copy, not a
				 * snprintf, which GCC suspects of overlapping them. */
				_Static_assert(sizeof n->seen_by == sizeof l->name, "name sizes");
				memcpy(n->seen_by, l->name, sizeof n->seen_by);
				break;
			}
		}
	}
	n->primary = n->known && is_primary_role(n->patroni.role) &&
	             !strcmp(n->patroni.state, "running");
}

static void compute_lags(struct stats_snapshot *snap)
{
	long long primary_at = 0;
	int primaries = 0;

	for (int i = 0; i < snap->nnodes; i++) {
		if (snap->nodes[i].primary && snap->nodes[i].patroni.wal_position) {
			primary_at = snap->nodes[i].patroni.wal_position;
			primaries++;
		}
	}
	for (int i = 0; i < snap->nnodes; i++) {
		struct stats_node *n = &snap->nodes[i];
		long long replayed = n->patroni.wal_replayed;

		n->lag_bytes = -1;
		/* Two primaries: which one the replicas follow is not known here. */
		if (n->primary || primaries != 1 || !replayed)
			continue;
		n->lag_bytes = primary_at > replayed ? primary_at - replayed : 0;
	}
}

void stats_collect_nodes(struct stats_snapshot *snap, const struct conf *conf)
{
	snap->nnodes = 0;
	snap->any_node_known = false;
	for (int s = 0; s < conf->nservers && s < CONF_MAX_SERVERS; s++) {
		struct stats_node *n = &snap->nodes[snap->nnodes++];
		const struct conf_addr *a = &conf->servers[s].address;

		memset(n, 0, sizeof *n);
		snprintf(n->name, sizeof n->name, "%s", conf->servers[s].name);
		if (strchr(a->host, ':'))
			snprintf(n->address, sizeof n->address, "[%s]:%u", a->host, (unsigned)a->port);
		else
			snprintf(n->address, sizeof n->address, "%s:%u", a->host, (unsigned)a->port);
		find_body(n, snap);
		snap->any_node_known |= n->known;
	}
	compute_lags(snap);
}

void stats_collect_events(struct stats_snapshot *snap)
{
	snap->nevents = events_recent(snap->events, EVENTS_KEPT);
	for (int k = 0; k < EVENT_KIND_COUNT; k++)
		snap->event_totals[k] = events_total((enum event_kind)k);
}

const char *stats_node_role(const struct stats_node *n)
{
	if (!n->known || !n->patroni.role[0])
		return "unknown";
	if (n->primary)
		return "primary";
	if (is_primary_role(n->patroni.role))
		return "primary (not running)";
	return n->patroni.role;
}
