/*
 * engine — when each (listener, server) pair is checked, and what its
 * results mean. Every result, whatever its origin, goes through
 * notify_done(): the only writer of a pair's hc_view, and the only place
 * that logs a transition or calls on_change.
 */
#include "health/internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "daemon/log.h"

struct pair {
	struct hc_engine *engine;
	int listener;
	int member;
	ev_timer timer;          /* the next check; stopped while one is in flight */
	bool in_flight;
	bool paused;             /* MAINT: no checks, the status stays as it was */
	bool contested;          /* another server claims the same role: fall is 1 */
	struct hc_view view;
};

struct hc_engine {
	struct ev_loop *loop;
	const struct conf *conf;
	hc_change_fn *on_change;
	void *arg;
	struct hc_http *http;
	double started;          /* ev_now() at start: INIT's downtime counts from here */
	int first[CONF_MAX_LISTENERS]; /* index in pairs[] of each listener's member 0 */
	int npairs;
	struct pair pairs[];
};

static const struct conf_listener *pair_listener(const struct pair *p)
{
	return &p->engine->conf->listeners[p->listener];
}

static const struct conf_member *pair_member(const struct pair *p)
{
	return &pair_listener(p)->members[p->member];
}

static const char *pair_server_name(const struct pair *p)
{
	return p->engine->conf->servers[pair_member(p)->server].name;
}

static void schedule(struct pair *p, double delay)
{
	ev_timer_stop(p->engine->loop, &p->timer);   /* it may be pending: re-arm it */
	ev_timer_set(&p->timer, delay, 0.);
	ev_timer_start(p->engine->loop, &p->timer);
}

/* "(HTTP 200, 3 ms)"; a timeout's detail already says how long it waited. */
static void format_outcome(char *out, size_t len, const struct hc_result *r)
{
	if (r->reason == HC_REASON_TIMEOUT)
		snprintf(out, len, "(%s)", r->detail);
	else
		snprintf(out, len, "(%s, %.0f ms)", r->detail, r->duration_ms);
}

static void log_result(const struct pair *p, enum hc_status from, bool changed,
                       const struct hc_result *r)
{
	const struct hc_health *h = &p->view.health;
	char outcome[sizeof r->detail + 32];

	if (!changed && r->reason == HC_REASON_PASSED && h->streak == 0)
		return; /* the steady state says nothing */
	format_outcome(outcome, sizeof outcome, r);
	if (changed) {
		log_notice("%s/%s: %s -> %s %s", pair_listener(p)->name, pair_server_name(p),
		           hc_status_name(from), hc_status_name(h->status), outcome);
	} else if (h->streak) {
		int needed = h->status == HC_STATUS_UP ? pair_member(p)->t.fall
		                                       : pair_member(p)->t.rise;
		log_debug("%s/%s: %s %s, %d of %d toward %s", pair_listener(p)->name,
		          pair_server_name(p), r->reason == HC_REASON_PASSED ? "passed" : "failed",
		          outcome, h->streak, needed,
		          h->status == HC_STATUS_UP ? "DOWN" : "UP");
	} else {
		log_debug("%s/%s: failed %s, still %s", pair_listener(p)->name,
		          pair_server_name(p), outcome, hc_status_name(h->status));
	}
}

bool hc_listener_has_up(const struct hc_engine *e, int listener)
{
	for (int m = 0; m < e->conf->listeners[listener].nmembers; m++)
		if (e->pairs[e->first[listener] + m].view.health.status == HC_STATUS_UP)
			return true;
	return false;
}

/*
 * The write port in a hurry: while a `single` listener has no server UP (a
 * primary is being elected) or two claim the role, its servers are checked
 * at fastinter, so the new primary is found and the stale one dropped as
 * soon as the checks can tell.
 */
static uint64_t next_interval_us(const struct pair *p)
{
	const struct conf_tunables *t = &pair_member(p)->t;
	const struct hc_engine *e = p->engine;

	if (p->contested || (pair_listener(p)->balance == CONF_BALANCE_SINGLE &&
	                     !hc_listener_has_up(e, p->listener)))
		return t->fastinter_us;
	return hc_next_interval_us(&p->view.health, t);
}

static void notify_done(struct pair *p, const struct hc_result *r)
{
	struct hc_engine *e = p->engine;
	const struct conf_tunables *t = &pair_member(p)->t;
	struct hc_view *v = &p->view;
	bool passed = r->reason == HC_REASON_PASSED;
	enum hc_status from = v->health.status;
	bool changed;

	v->checks++;
	if (!passed)
		v->failures++;
	v->last = *r;
	changed = hc_step(&v->health, t->rise, p->contested ? 1 : t->fall, passed);
	if (changed) {
		double now = ev_now(e->loop);

		/* as HAProxy's chkdown: a server that never came up never went down */
		if (from == HC_STATUS_UP)
			v->down_transitions++;
		else
			v->downtime += now - (v->last_change ? v->last_change : e->started);
		v->last_change = now;
	}
	schedule(p, (double)next_interval_us(p) / 1e6);
	log_result(p, from, changed, r);
	if (changed && e->on_change)
		e->on_change(e->arg, p->listener, p->member, from, v->health.status, r);
}

static void on_http_done(void *token, const struct hc_result *result)
{
	struct pair *p = token;

	p->in_flight = false;
	if (p->paused)
		return; /* asked before MAINT: its answer no longer counts */
	notify_done(p, result);
}

static void on_check_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct pair *p = timer->data;
	const struct conf_member *m = pair_member(p);
	struct hc_result r = { .reason = HC_REASON_NETWORK };

	(void)loop;
	(void)revents;
	if (hc_http_start(p->engine->http, pair_listener(p), &p->engine->conf->servers[m->server],
	                  &m->t, p, r.detail, sizeof r.detail) == 0) {
		p->in_flight = true;
		return;
	}
	/* Could not even try (out of memory): a failed check, counted and retried. */
	notify_done(p, &r);
}

/* Spreads first checks over the interval, so n pairs do not fire at once. */
static void start_pairs(struct hc_engine *e)
{
	for (int i = 0; i < e->npairs; i++) {
		struct pair *p = &e->pairs[i];
		double inter = (double)pair_member(p)->t.inter_us / 1e6;

		ev_init(&p->timer, on_check_timer);
		p->timer.data = p;
		schedule(p, inter * i / e->npairs);
	}
}

void hc_set_paused(struct hc_engine *e, int listener, int member, bool paused)
{
	struct pair *p = &e->pairs[e->first[listener] + member];

	if (p->paused == paused)
		return;
	p->paused = paused;
	if (paused) {
		ev_timer_stop(e->loop, &p->timer);
	} else if (!p->in_flight) {
		/* Back from MAINT: learn the server's state now, not an interval later. */
		schedule(p, 0.);
	}
}

void hc_set_contested(struct hc_engine *e, int listener, int member, bool contested)
{
	struct pair *p = &e->pairs[e->first[listener] + member];

	if (p->contested == contested)
		return;
	p->contested = contested;
	/* Ask again now: the other claimant may be the stale one, or this one. */
	if (contested && !p->paused && !p->in_flight)
		schedule(p, 0.);
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

		if (q)
			p->view = q->view;
	}
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
	for (int l = 0; l < conf->nlisteners; l++) {
		e->first[l] = e->npairs;
		for (int m = 0; m < conf->listeners[l].nmembers; m++) {
			struct pair *p = &e->pairs[e->npairs++];

			p->engine = e;
			p->listener = l;
			p->member = m;
		}
	}
	e->http = hc_http_new(loop, on_http_done, err, errlen);
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
	hc_http_free(e->http);
	free(e);
}

const struct hc_view *hc_view(const struct hc_engine *e, int listener, int member)
{
	assert(listener >= 0 && listener < e->conf->nlisteners);
	assert(member >= 0 && member < e->conf->listeners[listener].nmembers);
	return &e->pairs[e->first[listener] + member].view;
}
