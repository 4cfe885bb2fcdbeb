/*
 * health — HTTP checks of each (listener, server) pair against Patroni's
 * REST API, and the rise/fall hysteresis that turns results into UP/DOWN.
 *
 * The engine owns every check's state; nobody else writes it. Others read it
 * through hc_view() and learn of changes through one callback.
 */
#ifndef PGFRONT_HEALTH_H
#define PGFRONT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

struct ev_loop;

/*
 * INIT routes nothing, like DOWN: no session is sent to a server before a
 * check has passed (HAProxy starts servers UP, so writes can reach a replica
 * at start; pgfront does not).
 */
enum hc_status {
	HC_STATUS_INIT,
	HC_STATUS_DOWN,
	HC_STATUS_UP,
};

/* Why a check ended as it did: one kept per pair for the log and the stats page. */
enum hc_reason {
	HC_REASON_NONE,          /* not checked yet */
	HC_REASON_PASSED,        /* the expected status */
	HC_REASON_STATUS,        /* another HTTP status (http_status says which) */
	HC_REASON_REFUSED,       /* connection refused */
	HC_REASON_TIMEOUT,       /* no full answer within timeout_check */
	HC_REASON_MALFORMED,     /* not an HTTP reply */
	HC_REASON_TLS,           /* TLS handshake or certificate failed */
	HC_REASON_NETWORK,       /* other socket errors (unreachable, reset) */
};

struct hc_result {
	enum hc_reason reason;
	int http_status;         /* 0 when there was no reply */
	double duration_ms;
	char detail[128];        /* e.g. "connection refused", "HTTP 503" */
};

/* The hysteresis, pure: one step per check result. */
struct hc_health {
	enum hc_status status;
	int streak;              /* consecutive results against the current status */
};

/* Applies one result; returns true when status changed. */
bool hc_step(struct hc_health *h, int rise, int fall, bool passed);

/* Delay until the next check: inter, fastinter while changing, downinter while DOWN. */
uint64_t hc_next_interval_us(const struct hc_health *h, const struct conf_tunables *t);

const char *hc_status_name(enum hc_status status);
const char *hc_reason_name(enum hc_reason reason);

/* What the stats page and the proxy may read of one pair. */
struct hc_view {
	struct hc_health health;
	struct hc_result last;
	uint64_t checks;
	uint64_t failures;
	uint64_t down_transitions;
	double last_change;      /* ev_now() of the last status change, 0 = never */
	double downtime;         /* seconds spent DOWN (or INIT), until last_change */
};

struct hc_engine;

typedef void hc_change_fn(void *arg, int listener, int member,
                          enum hc_status from, enum hc_status to,
                          const struct hc_result *result);

/*
 * Starts checking every member of every listener of conf (which must outlive
 * the engine). First checks are spread over each pair's interval. Returns NULL
 * and fills err on failure.
 */
struct hc_engine *hc_engine_start(struct ev_loop *loop, const struct conf *conf,
                                  hc_change_fn *on_change, void *arg,
                                  char *err, size_t errlen);
void hc_engine_stop(struct hc_engine *engine);

/*
 * For a reload: a new engine on conf, with the same callback, that starts
 * from the state of every (listener, server) pair of previous whose check is
 * unchanged. previous runs on until the caller stops it.
 */
struct hc_engine *hc_engine_start_from(const struct hc_engine *previous,
                                       const struct conf *conf, char *err, size_t errlen);

/*
 * Two servers of a `single` listener claim the role (two answer /primary):
 * the contested pairs are checked again at once and then at fastinter, and
 * one failure marks a contested pair DOWN, so the stale claimant is dropped
 * after one check instead of `fall` of them. The proxy clears it once one
 * claimant remains.
 */
void hc_set_contested(struct hc_engine *engine, int listener, int member, bool contested);

/* MAINT: stops checking the pair (its status stays), or resumes at once. */
void hc_set_paused(struct hc_engine *engine, int listener, int member, bool paused);

const struct hc_view *hc_view(const struct hc_engine *engine, int listener, int member);

static inline bool hc_is_up(const struct hc_engine *engine, int listener, int member)
{
	return hc_view(engine, listener, member)->health.status == HC_STATUS_UP;
}

/* Has the listener a server UP, i.e. one it could route to? */
bool hc_listener_has_up(const struct hc_engine *engine, int listener);

#endif
