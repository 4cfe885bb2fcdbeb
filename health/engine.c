/*
 * engine — when each (listener, server) pair is checked, and what its
 * results mean. Every result, whatever its origin, goes through
 * notify_done(), and a pair's view changes only there or in
 * engine_conclude() (another server proved it is the primary); both log
 * the transition and call on_change. hunt.c decides the write port's pace.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/events.h"
#include "common/log.h"
#include "health/engine_state.h"

static bool is_single(const struct pair *p)
{
	return pair_listener(p)->balance == CONF_BALANCE_SINGLE;
}

void engine_schedule(struct pair *p, double delay)
{
	ev_timer_stop(p->engine->loop, &p->timer);   /* it may be pending: re-arm it */
	ev_timer_set(&p->timer, delay > 0 ? delay : 0., 0.);
	ev_timer_start(p->engine->loop, &p->timer);
}

/*
 * Ask again now: a check in flight is abandoned (its answer would predate
 * what made us ask), and the new one starts from the loop, not from here,
 * so that no caller ever sees a result arrive inside its own call.
 */
void engine_check_now(struct pair *p)
{
	if (p->paused)
		return;
	if (p->request) {
		hc_http_cancel(p->request);
		p->request = NULL;
	}
	engine_schedule(p, 0.);
}

/* "(HTTP 200, 3 ms)"; a timeout's detail already says how long it waited. */
static void format_outcome(char *out, size_t len, const struct hc_result *r)
{
	const struct hc_patroni *b = &r->patroni;

	if (r->reason == HC_REASON_TIMEOUT)
		snprintf(out, len, "%s", r->detail);
	else if (b->present)
		snprintf(out, len, "%s, role %s, state %s, %.0f ms", r->detail,
		         b->role[0] ? b->role : "-", b->state[0] ? b->state : "-", r->duration_ms);
	else
		snprintf(out, len, "%s, %.0f ms", r->detail, r->duration_ms);
}

/* What the write port concludes from one result, in a few words. */
static const char *single_meaning(const struct pair *p, enum hc_evidence ev)
{
	const struct hc_health *h = &p->view.health;

	switch (ev) {
	case HC_EVIDENCE_PROOF:
		return "primary";
	case HC_EVIDENCE_PASS:
		return "passed";
	case HC_EVIDENCE_GONE:
		return "not the primary";
	case HC_EVIDENCE_DENIAL:
		return h->conclusive ? "not the primary"
		                     : "not the primary; its sessions stay until that is certain";
	case HC_EVIDENCE_SILENCE:
		return h->conclusive ? "no answer" : "no answer; its sessions stay";
	}
	return "?";
}

static void log_result(const struct pair *p, enum hc_status from, bool changed,
                       bool concluded, enum hc_evidence ev, const struct hc_result *r)
{
	const struct hc_health *h = &p->view.health;
	const char *listener = pair_listener(p)->name, *server = pair_server_name(p);
	char outcome[sizeof r->detail + 96];
	char tl[48] = "";

	format_outcome(outcome, sizeof outcome, r);
	if (ev == HC_EVIDENCE_PROOF && r->patroni.timeline)
		snprintf(tl, sizeof tl, ", timeline %lld", r->patroni.timeline);
	if (changed && is_single(p)) {
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: %s -> %s (%s%s: %s)", listener, server, hc_status_name(from),
		           hc_status_name(h->status), outcome, tl, single_meaning(p, ev));
	} else if (changed) {
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: %s -> %s (%s)", listener, server, hc_status_name(from),
		           hc_status_name(h->status), outcome);
	} else if (concluded && ev == HC_EVIDENCE_GONE) {
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: DOWN for certain (%s: not the primary)", listener, server, outcome);
	} else if (concluded) {
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: DOWN for certain (%s: %d failed checks in a row over %.1f s)",
		           listener, server, outcome, h->failed,
		           p->check_started - p->failing_since);
	} else if (ev == HC_EVIDENCE_PROOF || (ev == HC_EVIDENCE_PASS && h->streak == 0)) {
		return; /* the steady state says nothing */
	} else if (h->streak) {
		int needed = h->status == HC_STATUS_UP ? pair_member(p)->t.fall
		                                       : pair_member(p)->t.rise;
		log_debug("%s/%s: %s (%s), %d of %d toward %s", listener, server,
		          hc_evidence_name(ev), outcome, h->streak, needed,
		          h->status == HC_STATUS_UP ? "DOWN" : "UP");
	} else {
		log_debug("%s/%s: %s (%s), still %s", listener, server, hc_evidence_name(ev),
		          outcome, hc_status_name(h->status));
	}
}

bool hc_listener_has_up(const struct hc_engine *e, int listener)
{
	for (int m = 0; m < e->conf->listeners[listener].nmembers; m++)
		if (e->pairs[e->first[listener] + m].view.health.status == HC_STATUS_UP &&
		    !e->pairs[e->first[listener] + m].stale)
			return true;
	return false;
}

static double next_delay(const struct pair *p)
{
	const struct hc_engine *e = p->engine;

	if (is_single(p) && e->hunts[p->listener].view.hunting)
		return p->check_started + (double)pair_listener(p)->hunt_interval_us / 1e6 -
		       ev_now(e->loop);
	return (double)hc_next_interval_us(&p->view.health, &pair_member(p)->t) / 1e6;
}

static void note_change(struct pair *p, enum hc_status from)
{
	struct hc_view *v = &p->view;
	double now = ev_now(p->engine->loop);

	/* as HAProxy's chkdown: a server that never came up never went down */
	if (from == HC_STATUS_UP)
		v->down_transitions++;
	else
		v->downtime += now - (v->last_change ? v->last_change : p->engine->started);
	v->last_change = now;
}

static void tell_change(struct pair *p, const struct hc_change *change)
{
	struct hc_engine *e = p->engine;

	if (e->on_change)
		e->on_change(e->arg, p->listener, p->member, change);
}

static void tell(struct pair *p, enum hc_status from, bool concluded, const struct hc_result *r)
{
	struct hc_change change = {
		.from = from, .to = p->view.health.status, .concluded = concluded, .result = r,
	};

	tell_change(p, &change);
}

/* p->stale just changed: if p is UP, whether it counts for its listener did. */
static void tell_stale(struct pair *p)
{
	enum hc_status status = p->view.health.status;
	struct hc_change change = {
		.from = status, .to = status, .stale_changed = true, .result = &p->view.last,
	};

	if (status == HC_STATUS_UP)
		tell_change(p, &change);
}

/*
 * Another server proved it is the writable primary: this one is not, for
 * certain. An UP one (a stale claimant on an older timeline) goes DOWN; a
 * DOWN one on a lone answer becomes conclusive, so its sessions may go.
 */
void engine_conclude(struct pair *p, const char *why)
{
	struct hc_health *h = &p->view.health;
	enum hc_status from = h->status;

	if (from == HC_STATUS_UP) {
		h->status = HC_STATUS_DOWN;
		h->streak = 0;
		h->conclusive = true;
		note_change(p, from);
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: UP -> DOWN (%s)", pair_listener(p)->name, pair_server_name(p), why);
	} else if (hc_conclude(h)) {
		event_log(LOG_LEVEL_NOTICE, EVENT_HEALTH, "%s/%s: DOWN for certain (%s)", pair_listener(p)->name,
		           pair_server_name(p), why);
	} else {
		return;
	}
	tell(p, from, true, &p->view.last);
}

/*
 * A claim on a timeline older than the last primary's is a stale primary
 * that has not yet noticed it lost the lock: it proves nothing and counts
 * against it. Only a hunt that found nobody on a newer timeline for
 * TIMELINE_FORGET seconds (a cluster rebuilt from scratch) forgets it.
 */
#define TIMELINE_FORGET 60.0

static enum hc_evidence weigh_timeline(const struct pair *p, enum hc_evidence ev,
                                       const struct hc_result *r)
{
	struct hunt *h = &p->engine->hunts[p->listener];
	long long last = h->view.timeline;

	if (ev != HC_EVIDENCE_PROOF || r->patroni.timeline >= last)
		return ev;
	if (h->view.hunting && ev_now(p->engine->loop) - h->started > TIMELINE_FORGET) {
		log_warning("%s: no primary on timeline %lld or later for %.0f s: %s's timeline "
		            "%lld is taken as the cluster's now", pair_listener(p)->name, last,
		            TIMELINE_FORGET, pair_server_name(p), r->patroni.timeline);
		h->view.timeline = r->patroni.timeline;
		return ev;
	}
	log_limited(&h->log_rl, LOG_LEVEL_WARNING, "%s/%s: claims to be primary on timeline "
	            "%lld, older than the last primary's %lld: not taken", pair_listener(p)->name,
	            pair_server_name(p), r->patroni.timeline, last);
	return HC_EVIDENCE_DENIAL;
}

/*
 * The check could not run for want of a descriptor or of memory: it says
 * nothing about the server. It is counted and said, and the next one goes
 * at the usual time; the server's status and streaks stay as they were.
 */
static void local_failure(struct pair *p, const struct hc_result *r)
{
	p->view.local_failures++;
	log_limited(&p->engine->local_rl, LOG_LEVEL_ERR, "%s/%s: check not run: %s; "
	            "not counted against the server (%llu so far)", pair_listener(p)->name,
	            pair_server_name(p), r->detail, (unsigned long long)p->view.local_failures);
	engine_schedule(p, next_delay(p));
}

static void notify_done(struct pair *p, const struct hc_result *r)
{
	const struct conf_listener *l = pair_listener(p);
	const struct conf_tunables *t = &pair_member(p)->t;
	struct hc_view *v = &p->view;
	enum hc_evidence ev = hc_evidence_of(r, l->check_body);
	enum hc_status from = v->health.status;
	bool changed, concluded, was_stale = p->stale;

	if (r->reason == HC_REASON_LOCAL) {
		local_failure(p, r);
		return;
	}
	p->stale = false;        /* checked: its status is a check's again */
	v->checks++;
	if (!hc_evidence_passed(ev))
		v->failures++;
	v->last = *r;
	if (is_single(p)) {
		ev = weigh_timeline(p, ev, r);
		if (!hc_evidence_passed(ev) && v->health.failed == 0)
			p->failing_since = p->check_started;
		changed = hc_step_single(&v->health, t->rise, t->fall, ev,
		                         p->check_started - p->failing_since >=
		                         (double)(t->fall - 1) * (double)t->inter_us / 1e6,
		                         &concluded);
	} else {
		changed = hc_step(&v->health, t->rise, t->fall, hc_evidence_passed(ev));
		concluded = changed && v->health.status == HC_STATUS_DOWN;
	}
	if (ev == HC_EVIDENCE_PROOF)
		v->timeline = r->patroni.timeline;
	if (changed)
		note_change(p, from);
	log_result(p, from, changed, concluded, ev, r);
	if (is_single(p)) {
		if (ev == HC_EVIDENCE_PROOF)
			hunt_accept_proof(p);
		hunt_after_result(p, ev);
	}
	engine_schedule(p, next_delay(p));
	if (changed || concluded)
		tell(p, from, concluded, r);
	else if (was_stale)
		tell_stale(p);
}

static void on_http_done(void *token, const struct hc_result *result)
{
	struct pair *p = token;

	p->request = NULL;
	if (p->paused)
		return; /* asked before MAINT: its answer no longer counts */
	notify_done(p, result);
}

static void on_check_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct pair *p = timer->data;
	const struct conf_member *m = pair_member(p);
	struct hc_result r = { .reason = HC_REASON_LOCAL };

	(void)revents;
	assert(!p->request);
	p->check_started = ev_now(loop);
	if (hc_http_start(p->engine->http, pair_listener(p), &p->engine->conf->servers[m->server],
	                  &m->t, p, &p->request, r.detail, sizeof r.detail) == 0)
		return;
	/* Could not even try (out of memory): ours, not the server's. */
	notify_done(p, &r);
}

/*
 * Spreads first checks over the interval, so n pairs do not fire at once;
 * a `single` listener instead hunts for its primary from the start.
 */
static void start_pairs(struct hc_engine *e)
{
	for (int i = 0; i < e->npairs; i++) {
		struct pair *p = &e->pairs[i];
		double inter = (double)pair_member(p)->t.inter_us / 1e6;

		ev_init(&p->timer, on_check_timer);
		p->timer.data = p;
		engine_schedule(p, inter * i / e->npairs);
	}
	for (int l = 0; l < e->conf->nlisteners; l++)
		if (e->conf->listeners[l].balance == CONF_BALANCE_SINGLE &&
		    e->conf->listeners[l].nmembers > 0)
			hunt_start(e, l, "no primary yet");
}

void hc_set_paused(struct hc_engine *e, int listener, int member, bool paused)
{
	struct pair *p = engine_pair(e, listener, member);

	if (p->paused == paused)
		return;
	p->paused = paused;
	/* Stale until its first check after MAINT: a frozen UP proves nothing. */
	if (paused && !p->stale) {
		p->stale = true;
		tell_stale(p);
	}
	if (paused)
		ev_timer_stop(e->loop, &p->timer);
	else if (!p->request)
		/* Back from MAINT: learn the server's state now, not an interval later. */
		engine_schedule(p, 0.);
	if (is_single(p))
		hunt_after_pause(e, listener);
}

void hc_suspect(struct hc_engine *e, int listener, int member, const char *why)
{
	struct pair *p = engine_pair(e, listener, member);
	char text[160];

	if (!is_single(p) || p->view.health.status != HC_STATUS_UP || p->paused)
		return;
	snprintf(text, sizeof text, "%s: %s", pair_server_name(p), why);
	hunt_start(e, listener, text);
}

const struct hc_listener_view *hc_listener_view(const struct hc_engine *e, int listener)
{
	assert(listener >= 0 && listener < e->conf->nlisteners);
	return &e->hunts[listener].view;
}

/* Same question to the same place: the previous answers still hold. */
static bool same_check(const struct conf *a, const struct conf_listener *la,
                       const struct conf_member *ma, const struct conf *b,
                       const struct conf_listener *lb, const struct conf_member *mb)
{
	const struct conf_server *sa = &a->servers[ma->server];
	const struct conf_server *sb = &b->servers[mb->server];

	return !strcmp(la->check_method, lb->check_method) &&
	       !strcmp(la->check_path, lb->check_path) &&
	       la->expect_status == lb->expect_status &&
	       !strcmp(sa->check_host, sb->check_host) &&
	       ma->t.check_port == mb->t.check_port && ma->t.check_tls == mb->t.check_tls &&
	       !strcmp(ma->t.check_ca_file, mb->t.check_ca_file) &&
	       !strcmp(ma->t.check_cert_file, mb->t.check_cert_file) &&
	       !strcmp(ma->t.check_key_file, mb->t.check_key_file);
}

static const struct pair *find_previous(const struct hc_engine *prev, const struct pair *p)
{
	const struct conf *conf = p->engine->conf;
	const struct conf_listener *l = pair_listener(p);
	const char *server = pair_server_name(p);

	for (int i = 0; i < prev->npairs; i++) {
		const struct pair *q = &prev->pairs[i];

		if (!strcmp(pair_listener(q)->name, l->name) && !strcmp(pair_server_name(q), server))
			return same_check(prev->conf, pair_listener(q), pair_member(q), conf, l,
			                  pair_member(p)) ? q : NULL;
	}
	return NULL;
}

struct hc_engine *hc_engine_start_from(const struct hc_engine *previous,
                                       const struct conf *conf, char *err, size_t errlen)
{
	struct hc_engine *e = hc_engine_start(previous->loop, conf, previous->on_change,
	                                      previous->arg, err, errlen);

	if (!e)
		return NULL;
	e->started = previous->started;
	for (int i = 0; i < e->npairs; i++) {
		struct pair *p = &e->pairs[i];
		const struct pair *q = find_previous(previous, p);

		if (q) {
			p->view = q->view;
			p->stale = q->stale;
		}
	}
	for (int l = 0; l < conf->nlisteners; l++)
		for (int k = 0; k < previous->conf->nlisteners; k++)
			if (!strcmp(previous->conf->listeners[k].name, conf->listeners[l].name))
				hunt_carry(&e->hunts[l], &previous->hunts[k]);
	return e;
}

/* conf_load() guarantees these; a hand-built conf (a test) might not. */
static int count_pairs(const struct conf *conf, char *err, size_t errlen)
{
	int npairs = 0;

	if (conf->nlisteners < 0 || conf->nlisteners > CONF_MAX_LISTENERS) {
		snprintf(err, errlen, "bad listener count %d", conf->nlisteners);
		return -1;
	}
	for (int l = 0; l < conf->nlisteners; l++) {
		const struct conf_listener *cl = &conf->listeners[l];

		if (cl->nmembers < 0 || cl->nmembers > CONF_MAX_SERVERS) {
			snprintf(err, errlen, "%s: bad member count %d", cl->name, cl->nmembers);
			return -1;
		}
		for (int m = 0; m < cl->nmembers; m++) {
			if (cl->members[m].server < 0 || cl->members[m].server >= conf->nservers) {
				snprintf(err, errlen, "%s: member %d has no server", cl->name, m);
				return -1;
			}
		}
		npairs += cl->nmembers;
	}
	return npairs;
}

struct hc_engine *hc_engine_start(struct ev_loop *loop, const struct conf *conf,
                                  hc_change_fn *on_change, void *arg,
                                  char *err, size_t errlen)
{
	struct hc_engine *e;
	int npairs = count_pairs(conf, err, errlen);

	if (npairs < 0)
		return NULL;
	e = calloc(1, sizeof *e + (size_t)npairs * sizeof e->pairs[0]);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->loop = loop;
	e->conf = conf;
	e->on_change = on_change;
	e->arg = arg;
	e->started = ev_now(loop);
	e->local_rl = (struct log_ratelimit){ .period = 10, .burst = 5 };
	for (int l = 0; l < conf->nlisteners; l++) {
		e->first[l] = e->npairs;
		e->hunts[l].log_rl = (struct log_ratelimit){ .period = 10, .burst = 10 };
		for (int m = 0; m < conf->listeners[l].nmembers; m++) {
			struct pair *p = &e->pairs[e->npairs++];

			p->engine = e;
			p->listener = l;
			p->member = m;
		}
	}
	e->http = hc_http_new(loop, conf, on_http_done, err, errlen);
	if (!e->http) {
		free(e);
		return NULL;
	}
	start_pairs(e);
	return e;
}

void hc_engine_stop(struct hc_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->npairs; i++)
		ev_timer_stop(e->loop, &e->pairs[i].timer);
	hc_http_free(e->http); /* abandons the requests in flight */
	free(e);
}

/*
 * One check in flight per pair, and a second for a moment when a hunt asks
 * again (the first's socket closes as it is cancelled); curl's multi handle
 * keeps a wakeup socket pair.
 */
int hc_fds_needed(const struct conf *conf)
{
	int pairs = 0;

	for (int l = 0; l < conf->nlisteners; l++)
		pairs += conf->listeners[l].nmembers;
	return 2 * pairs + 2;
}

const struct hc_view *hc_view(const struct hc_engine *e, int listener, int member)
{
	assert(listener >= 0 && listener < e->conf->nlisteners);
	assert(member >= 0 && member < e->conf->listeners[listener].nmembers);
	return &engine_pair((struct hc_engine *)e, listener, member)->view;
}
