/*
 * stats — the stats page on pgfront's own libev loop: HTML for people, CSV in
 * HAProxy's `show stat` columns, JSON, Prometheus metrics on /metrics, and the
 * admin actions (READY, DRAIN, MAINT, kill sessions) behind Basic auth.
 *
 * stats reads everything through *src on every request and keeps no pointer
 * from it: main owns the sources and may re-point them (a reload).
 */
#ifndef PGFRONT_STATS_H
#define PGFRONT_STATS_H

#include <stddef.h>

struct conf;
struct ev_loop;
struct hc_engine;
struct proxy;
struct vrrp;

struct stats_sources {
	const struct conf *conf;
	struct proxy *proxy;
	struct hc_engine *health;   /* NULL until the checks start: servers show INIT */
	struct vrrp *vrrp;          /* NULL: no VRRP panel */
	double started;             /* ev_now() when pgfront started */
};

struct stats_server;

/*
 * Binds src->conf's [stats] and starts serving. Binding happens here, so call
 * it before privileges are dropped. Without a [stats] section returns a
 * server that does nothing. Returns NULL and fills err if binding (or loading
 * the TLS certificate) fails. src must outlive the server.
 */
struct stats_server *stats_start(struct ev_loop *loop, const struct stats_sources *src,
                                 char *err, size_t errlen);

/*
 * For a reload, once main has re-pointed src->conf: listens on a changed
 * bind (or stops, if [stats] is gone; starts, if it is new) and reads the
 * certificate again. On failure fills err and keeps the socket and the
 * certificate it had. Other keys (uri, auth, admin, refresh) need nothing:
 * they are read on every request. NULL is allowed.
 */
int stats_reload(struct stats_server *server, char *err, size_t errlen);

/* Descriptors the page of conf may hold at once: for main's open-files budget. */
int stats_fds_needed(const struct conf *conf);

/* Closes the socket and every stats connection; NULL is allowed. */
void stats_stop(struct stats_server *server);

#endif
