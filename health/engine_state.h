/*
 * The engine's own state, shared by engine.c (pairs, their checks and
 * results) and hunt.c (the write port's hunt for its primary), and by
 * nobody else.
 */
#ifndef PGFRONT_HEALTH_ENGINE_STATE_H
#define PGFRONT_HEALTH_ENGINE_STATE_H

#include <ev.h>

#include "common/log.h"
#include "health/internal.h"

struct pair {
	struct hc_engine *engine;
	int listener;
	int member;
	ev_timer timer;          /* the next check; stopped while one is in flight */
	struct hc_request *request; /* the check in flight, or NULL */
	double check_started;    /* ev_now() when the last check started, 0 = never */
	double failing_since;    /* check_started of the first of the failures in a row */
	bool paused;             /* MAINT: no checks, the status stays as it was */
	bool stale;              /* paused, or not checked since: its status vouches for nothing */
	struct hc_view view;
};

/* Per listener; only `single` listeners hunt. */
struct hunt {
	/* A hunt may start on every session a server closes: say so within bounds. */
	struct log_ratelimit log_rl;
	bool had_primary;        /* gaps count once a first primary was seen */
	double started;          /* ev_now() when the hunt began; valid while hunting */
	struct hc_listener_view view;
};

struct hc_engine {
	struct ev_loop *loop;
	const struct conf *conf;
	hc_change_fn *on_change;
	void *arg;
	struct hc_http *http;
	double started;          /* ev_now() at start: INIT's downtime counts from here */
	int first[CONF_MAX_LISTENERS]; /* index in pairs[] of each listener's member 0 */
	struct hunt hunts[CONF_MAX_LISTENERS];
	struct log_ratelimit local_rl; /* checks that could not run */
	int npairs;
	struct pair pairs[];
};

static inline const struct conf_listener *pair_listener(const struct pair *p)
{
	return &p->engine->conf->listeners[p->listener];
}

static inline const struct conf_member *pair_member(const struct pair *p)
{
	return &pair_listener(p)->members[p->member];
}

static inline const char *pair_server_name(const struct pair *p)
{
	return p->engine->conf->servers[pair_member(p)->server].name;
}

static inline struct pair *engine_pair(struct hc_engine *e, int listener, int member)
{
	return &e->pairs[e->first[listener] + member];
}

/* engine.c */
void engine_schedule(struct pair *p, double delay);
void engine_check_now(struct pair *p);
void engine_conclude(struct pair *p, const char *why);

/* hunt.c */
void hunt_start(struct hc_engine *e, int listener, const char *why);
void hunt_after_result(struct pair *p, enum hc_evidence ev);
void hunt_after_pause(struct hc_engine *e, int listener);
void hunt_accept_proof(struct pair *p);
void hunt_carry(struct hunt *to, const struct hunt *from);

#endif
