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
	/* Ours, not the server's: no descriptor or no memory to even try. Never
	 * counted toward fall: a balancer short of descriptors must not mark
	 * healthy servers DOWN and cut their sessions. */
	HC_REASON_LOCAL,
};

/* What Patroni's JSON body said (GET /primary and friends). */
struct hc_patroni {
	bool present;            /* a JSON object was read */
	char role[16];           /* master, primary, replica, demoted, ...; "" if absent */
	char state[24];          /* running, starting, stopping, unknown, ...; "" if absent */
	long long timeline;      /* 0 if absent */
	/* xlog: WAL positions in bytes, 0 if absent (no WAL position is 0) */
	long long wal_position;  /* a primary's current write position */
	long long wal_received;  /* a replica's: received from its upstream */
	long long wal_replayed;  /* a replica's: applied */
};

struct hc_result {
	enum hc_reason reason;
	int http_status;         /* 0 when there was no reply */
	double duration_ms;
	char detail[128];        /* e.g. "connection refused", "HTTP 503" */
	struct hc_patroni patroni;
};

/*
 * What one result says about a server, once the status and the body are
 * weighed. An answer is a verdict; silence is only a doubt.
 */
enum hc_evidence {
	HC_EVIDENCE_PROOF,       /* expected status, and the body: a running primary (writable) */
	HC_EVIDENCE_PASS,        /* expected status, nothing in a body against it */
	HC_EVIDENCE_DENIAL,      /* an answer against it, with nothing to say why (a bare 503) */
	HC_EVIDENCE_GONE,        /* an answer against it whose body says stopping, demoted, replica... */
	HC_EVIDENCE_SILENCE,     /* no answer: timeout, refused, reset, malformed, TLS */
};

/* Does the evidence count as a passed check (toward rise, and against fall)? */
static inline bool hc_evidence_passed(enum hc_evidence ev)
{
	return ev == HC_EVIDENCE_PROOF || ev == HC_EVIDENCE_PASS;
}

/* Weighs one result; pure. A body counts only with check_body = patroni. */
enum hc_evidence hc_evidence_of(const struct hc_result *r, enum conf_check_body body);

/* Reads Patroni's JSON reply; 0, or -1 (out untouched but present = false) if not JSON. */
int hc_patroni_parse(const char *body, size_t len, struct hc_patroni *out);

/* The hysteresis, pure: one step per check result. */
struct hc_health {
	enum hc_status status;
	int streak;              /* consecutive results against the current status */
	int failed;              /* consecutive failed checks, whatever the status */
	/* DOWN on conclusive evidence (or `fall` failures): its sessions may be
	 * cut. A DOWN on a lone answer (a bare 503) stops new sessions only. */
	bool conclusive;
};

/* HAProxy's rules: applies one result; returns true when status changed. */
bool hc_step(struct hc_health *h, int rise, int fall, bool passed);

/*
 * The write port's rules (balance single): an answer against the server
 * marks it DOWN at once; a proof of a writable primary marks it UP at once,
 * whatever rise says; silence counts toward fall as in hc_step. A DOWN is
 * conclusive on a body that says the node is gone, or on `fall` failures
 * in a row once failures_ripe (the caller's clock: they span what fall
 * checks at inter would, so hunting faster never cuts sessions sooner than
 * HAProxy would). Sets *concluded when the DOWN became conclusive at this
 * step. Returns true when status changed.
 */
bool hc_step_single(struct hc_health *h, int rise, int fall, enum hc_evidence ev,
                    bool failures_ripe, bool *concluded);

/* Marks a DOWN conclusive (another server proved it is the primary); true if it was not. */
bool hc_conclude(struct hc_health *h);

/* Delay until the next check: inter, fastinter while changing, downinter while DOWN. */
uint64_t hc_next_interval_us(const struct hc_health *h, const struct conf_tunables *t);

const char *hc_status_name(enum hc_status status);
const char *hc_reason_name(enum hc_reason reason);
const char *hc_evidence_name(enum hc_evidence evidence);

/* What the stats page and the proxy may read of one pair. */
struct hc_view {
	struct hc_health health;
	struct hc_result last;
	uint64_t checks;
	uint64_t failures;
	uint64_t down_transitions;
	uint64_t local_failures; /* checks that could not run (HC_REASON_LOCAL), not in checks */
	double last_change;      /* ev_now() of the last status change, 0 = never */
	double downtime;         /* seconds spent DOWN (or INIT), until last_change */
	long long timeline;      /* of the last proof of a primary, 0 = none */
};

/* What the stats page may read of a `single` listener: its primary's gaps. */
struct hc_listener_view {
	bool hunting;            /* checking every server at hunt_interval */
	long long timeline;      /* of the last proven primary, 0 = none yet */
	uint64_t gaps;           /* times the listener lost its one primary */
	double gap_seconds;      /* in all, ended gaps only */
	double last_gap;         /* seconds, the last ended gap; 0 = none */
	double gap_since;        /* ev_now() when the current gap began, 0 = none */
};

/*
 * One change of a pair: its status (from != to), or a DOWN that just became
 * conclusive (from == to == DOWN). concluded: the sessions may go now.
 * stale_changed (from == to): an UP pair was put in MAINT, or had its first
 * check since MAINT ended: hc_listener_has_up() may have changed.
 */
struct hc_change {
	enum hc_status from, to;
	bool concluded;
	bool stale_changed;
	const struct hc_result *result;
};

struct hc_engine;

typedef void hc_change_fn(void *arg, int listener, int member, const struct hc_change *change);

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
 * The proxy saw a sign that a `single` listener's primary may be leaving (a
 * connect refused or reset, a session closed by the server): every server
 * of the listener is checked at hunt_interval until one primary is proven.
 */
void hc_suspect(struct hc_engine *engine, int listener, int member, const char *why);

/* MAINT: stops checking the pair (its status stays), or resumes at once. */
void hc_set_paused(struct hc_engine *engine, int listener, int member, bool paused);

/* Descriptors the checks of conf may hold at once: for main's open-files budget. */
int hc_fds_needed(const struct conf *conf);

const struct hc_view *hc_view(const struct hc_engine *engine, int listener, int member);

static inline bool hc_is_up(const struct hc_engine *engine, int listener, int member)
{
	return hc_view(engine, listener, member)->health.status == HC_STATUS_UP;
}

/* Has the listener a server UP, i.e. one it could route to? A pair in MAINT,
 * or not checked since, does not count: its UP is frozen, not a check's. */
bool hc_listener_has_up(const struct hc_engine *engine, int listener);

const struct hc_listener_view *hc_listener_view(const struct hc_engine *engine, int listener);

#endif
