/*
 * proxy — listeners, client sessions and the per-server counters.
 *
 * The proxy owns its sessions and counters; the stats page reads them through
 * the accessors below. It learns of health changes through
 * proxy_health_changed(), which main wires to the health engine's callback.
 */
#ifndef PGFRONT_PROXY_H
#define PGFRONT_PROXY_H

#include <stdint.h>

#include "conf/conf.h"
#include "health/health.h"

struct ev_loop;
struct proxy;

/* Why a client was refused (told in PostgreSQL's protocol, counted here). */
enum proxy_refusal {
	PROXY_REFUSED_NO_SERVER,
	PROXY_REFUSED_AMBIGUOUS,
	PROXY_REFUSED_QUEUE_TIMEOUT,
	PROXY_REFUSED_MAXCONN,
	PROXY_REFUSED_CONNECT_FAILED,
	PROXY_REFUSED_SHUTTING_DOWN,
	PROXY_REFUSAL_COUNT,
};

/* Per (listener, server). */
struct proxy_server_counters {
	int sessions;             /* current, connection attempts included */
	int sessions_max;
	uint64_t sessions_total;
	uint64_t bytes_in;        /* client to server */
	uint64_t bytes_out;       /* server to client */
	uint64_t connect_errors;
	uint64_t retries;
	uint64_t killed_on_down;  /* sessions closed because the server went DOWN */
};

/* Per listener. */
struct proxy_listener_counters {
	int sessions;             /* clients queued, connecting or relaying */
	int sessions_max;
	uint64_t sessions_total;
	int queued;               /* waiting for a server, held or paused between retries */
	int queued_max;
	uint64_t abandoned;       /* closed while queued: dropped, no server tried for them */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t refused[PROXY_REFUSAL_COUNT];
	/* The login phase: before its whole first packet, a client has no server. */
	int logins;               /* clients whose first packet is not complete yet */
	uint64_t login_timeouts;  /* closed: no whole first packet within timeout_login */
	uint64_t login_invalid;   /* closed: the first packet was not PostgreSQL's nor TLS */
	uint64_t login_dropped;   /* closed, the oldest, to make room (descriptors, see login.c) */
	uint64_t cancels_forwarded; /* CancelRequests passed on to the servers */
	uint64_t vip_lost;        /* closed: they came through a VIP that moved away */
};

/*
 * Creates the proxy and binds every listener of conf (which must outlive it).
 * Binding happens here, before privileges are dropped. Returns NULL and fills
 * err if a bind fails.
 */
struct proxy *proxy_create(struct ev_loop *loop, const struct conf *conf,
                           char *err, size_t errlen);

/* Starts the relay threads and accepting; health is consulted for every
 * routing decision. Call it once privileges are dropped. */
void proxy_start(struct proxy *proxy, struct hc_engine *health);

/* The health engine's change callback (arg is the proxy). */
hc_change_fn proxy_health_changed;

/*
 * The operator's say over one (listener, server), from the stats page or
 * `pgfront ctl`: DRAIN takes no new sessions and keeps the open ones; MAINT
 * takes none and pauses its checks (shown as MAINT); READY undoes both.
 */
enum proxy_admin {
	PROXY_ADMIN_READY,
	PROXY_ADMIN_DRAIN,
	PROXY_ADMIN_MAINT,
};

void proxy_set_admin(struct proxy *proxy, int listener, int member, enum proxy_admin admin);
enum proxy_admin proxy_admin_state(const struct proxy *proxy, int listener, int member);
const char *proxy_admin_name(enum proxy_admin admin);
/* Closes every session of the pair; returns how many. */
int proxy_kill_sessions(struct proxy *proxy, int listener, int member);

/*
 * Applies a new configuration (SIGHUP) with the health engine started for it:
 * sessions to servers that remain stay open; new listeners are bound, removed
 * ones closed. Returns -1 with err filled, and nothing changed, if a new
 * address cannot be bound. conf and health must outlive the proxy (or the
 * next reload); the old ones may go once this returns.
 */
int proxy_reload(struct proxy *proxy, const struct conf *conf, struct hc_engine *health,
                 char *err, size_t errlen);

/*
 * Closes every session whose client connected to addr (the local address of
 * its client socket: a VIP this balancer no longer holds), in every
 * listener, queued ones included; logs one line per listener with a count.
 * The port of addr is ignored. Returns how many. Call it from the loop, not
 * from inside a proxy_ call or a callback the proxy made.
 */
struct sockaddr;
int proxy_close_sessions_on_addr(struct proxy *proxy, const struct sockaddr *addr);

/* Soft stop: closes the listeners, keeps the sessions; returns how many remain. */
int proxy_stop_accepting(struct proxy *proxy);

/* Closes the listeners and every session; the loop then runs dry. */
void proxy_shutdown(struct proxy *proxy);
void proxy_destroy(struct proxy *proxy);

/*
 * Descriptors the proxy holds beside its sessions' two each (binds,
 * refusals in flight): for main's open-files budget.
 */
int proxy_fds_reserved(const struct conf *conf);
/* Takes at most limit client sessions at once, if below global maxconn; -1: no cap. */
void proxy_set_session_limit(struct proxy *proxy, int limit);

int proxy_current_connections(const struct proxy *proxy);
/* The loops proxy_start() will run: [global] threads, or one per CPU. */
int proxy_threads_wanted(const struct conf *conf);
/* Loops that relay ([global] threads), the main one first, and the sessions
 * each relays now. */
int proxy_thread_count(const struct proxy *proxy);
int proxy_thread_sessions(const struct proxy *proxy, int thread);
/* Sessions that ever started relaying on it: new ones on the main loop,
 * the ones moved there on a relay thread. */
uint64_t proxy_thread_sessions_total(const struct proxy *proxy, int thread);
/* Streams it has deferred: read per big buffer, not per chunk (bulk.c). */
uint64_t proxy_thread_bulk_deferrals(const struct proxy *proxy, int thread);
/* Clients accepted that are not sessions: logging in, or having their
 * CancelRequest forwarded. A soft stop waits for them too. */
int proxy_pending_clients(const struct proxy *proxy);
const struct proxy_listener_counters *proxy_listener_counters(const struct proxy *proxy,
                                                              int listener);
const struct proxy_server_counters *proxy_server_counters(const struct proxy *proxy,
                                                          int listener, int member);
const char *proxy_refusal_name(enum proxy_refusal refusal);

#endif
