/*
 * hunt — the write port's pace. A `single` listener that has no proven
 * primary, or two claimants, or a primary that just failed a check or that
 * the proxy saw refuse or drop connections, checks every one of its servers
 * at hunt_interval (one check in flight each) until exactly one primary
 * stands and has passed a check asked after the doubt began. Then back to
 * inter. Waiting for the usual rhythm is what made a switchover cost
 * seconds: Patroni knows within milliseconds, the balancer learnt it at
 * its next check.
 *
 * Also kept here, per listener: the last primary's timeline (a claimant on
 * an older one proves nothing) and the gaps without a primary, for the log
 * and the stats page.
 */
#include <stdio.h>

#include "common/events.h"
#include "common/log.h"
#include "health/engine_state.h"

/* Servers that route (UP, not in MAINT); *primary is the last of them. */
static int count_up(struct hc_engine *e, int listener, struct pair **primary)
{
	int up = 0;

	*primary = NULL;
	for (int m = 0; m < e->conf->listeners[listener].nmembers; m++) {
		struct pair *q = engine_pair(e, listener, m);

		if (q->view.health.status == HC_STATUS_UP && !q->paused) {
			up++;
			*primary = q;
		}
	}
	return up;
}

static void format_ms(char *out, size_t len, uint64_t us)
{
	if (us % 1000000 == 0)
		snprintf(out, len, "%llu s", (unsigned long long)(us / 1000000));
	else
		snprintf(out, len, "%llu ms", (unsigned long long)(us / 1000));
}

void hunt_start(struct hc_engine *e, int listener, const char *why)
{
	const struct conf_listener *l = &e->conf->listeners[listener];
	struct hunt *h = &e->hunts[listener];
	double now = ev_now(e->loop), every = (double)l->hunt_interval_us / 1e6;
	char pace[32];

	if (h->view.hunting)
		return;
	h->view.hunting = true;
	h->started = now;
	format_ms(pace, sizeof pace, l->hunt_interval_us);
	log_limited(&h->log_rl, LOG_LEVEL_NOTICE, "%s: %s, checking every server every %s",
	            l->name, why, pace);
	for (int m = 0; m < l->nmembers; m++) {
		struct pair *q = engine_pair(e, listener, m);

		if (q->paused)
			continue;
		/* An answer asked for more than an interval ago is stale: ask again. */
		if (q->request && now - q->check_started >= every)
			engine_check_now(q);
		else if (!q->request)
			engine_schedule(q, q->check_started + every - now);
	}
}

static void hunt_end(struct hc_engine *e, int listener, const struct pair *primary)
{
	const struct conf_listener *l = &e->conf->listeners[listener];
	struct hunt *h = &e->hunts[listener];
	char pace[32];

	h->view.hunting = false;
	format_ms(pace, sizeof pace, pair_member(primary)->t.inter_us);
	/* A doubt that came to nothing (the primary passed at once) is routine:
	 * its line shares the budget of the line that began the hunt. */
	log_limited(&h->log_rl, primary->view.last_change >= h->started ? LOG_LEVEL_NOTICE
	                                                                  : LOG_LEVEL_INFO,
	            "%s: primary %s confirmed after %.2f s, checking every %s again", l->name,
	            pair_server_name(primary), ev_now(e->loop) - h->started, pace);
	/* Each pair's next check is at its own rhythm from its last one. */
	for (int m = 0; m < l->nmembers; m++) {
		struct pair *q = engine_pair(e, listener, m);

		if (!q->paused && !q->request)
			engine_schedule(q, q->check_started +
			                (double)hc_next_interval_us(&q->view.health,
			                                            &pair_member(q)->t) / 1e6 -
			                ev_now(e->loop));
	}
}

/* The listener's one primary came or went: the gap's bookkeeping. */
static void track_gap(struct hc_engine *e, int listener, int up, const struct pair *primary)
{
	struct hunt *h = &e->hunts[listener];
	double now = ev_now(e->loop);

	if (up == 1 && h->view.gap_since) {
		h->view.last_gap = now - h->view.gap_since;
		h->view.gap_seconds += h->view.last_gap;
		h->view.gap_since = 0;
		event_log(LOG_LEVEL_NOTICE, EVENT_PRIMARY, "%s: %s is the primary%s after %.2f s without one",
		           e->conf->listeners[listener].name, pair_server_name(primary),
		           primary->view.timeline ? "" : " (no timeline known)", h->view.last_gap);
	} else if (up != 1 && h->had_primary && !h->view.gap_since) {
		h->view.gap_since = now;
		h->view.gaps++;
	}
	if (up == 1)
		h->had_primary = true;
}

/* The listener's servers changed (a result, MAINT, READY): is there one primary? */
static void reconsider(struct hc_engine *e, int listener, const struct pair *p, bool passed)
{
	struct hunt *h = &e->hunts[listener];
	struct pair *primary;
	int up = count_up(e, listener, &primary);
	char why[160];

	track_gap(e, listener, up, primary);
	if (up == 0) {
		hunt_start(e, listener, "no primary");
	} else if (up > 1) {
		snprintf(why, sizeof why, "%d servers claim to be primary", up);
		hunt_start(e, listener, why);
	} else if (!p) {
		return;
	} else if (primary == p && !passed) {
		snprintf(why, sizeof why, "%s failed a check (%s)", pair_server_name(p),
		         p->view.last.detail);
		hunt_start(e, listener, why);
	} else if (h->view.hunting && primary == p && p->check_started >= h->started) {
		hunt_end(e, listener, primary);
	}
}

void hunt_after_result(struct pair *p, enum hc_evidence ev)
{
	reconsider(p->engine, p->listener, p, hc_evidence_passed(ev));
}

void hunt_after_pause(struct hc_engine *e, int listener)
{
	reconsider(e, listener, NULL, false);
}

/*
 * p just proved it is the writable primary on its timeline: that is the
 * listener's timeline now, and whatever else claimed the role on an older
 * one, or was dropped on a lone answer, is not the primary, for certain.
 */
void hunt_accept_proof(struct pair *p)
{
	struct hc_engine *e = p->engine;
	struct hunt *h = &e->hunts[p->listener];
	long long tl = p->view.timeline;
	char why[160];

	if (tl > h->view.timeline)
		h->view.timeline = tl;
	snprintf(why, sizeof why, "%s proved it is the primary, timeline %lld",
	         pair_server_name(p), tl);
	for (int m = 0; m < pair_listener(p)->nmembers; m++) {
		struct pair *q = engine_pair(e, p->listener, m);

		if (q == p || q->paused)
			continue;
		if (q->view.health.status == HC_STATUS_DOWN ||
		    (q->view.health.status == HC_STATUS_UP && q->view.timeline < tl))
			engine_conclude(q, why);
	}
}

void hunt_carry(struct hunt *to, const struct hunt *from)
{
	struct hunt fresh = *to;

	*to = *from;
	to->view.hunting = fresh.view.hunting;
	to->started = fresh.started;
	to->log_rl = fresh.log_rl;
}
