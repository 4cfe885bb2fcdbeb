/*
 * What the files of stats/ share, and nobody else. The layers:
 *
 *   http.c, auth.c, form.c   parsing (pure: no I/O, no logging)
 *   collect.c                a snapshot of the sources, read through their accessors
 *   status.c, html.c, csv.c, json.c, metrics.c
 *                            rendering a snapshot (pure)
 *   admin.c                  an admin action applied to the proxy
 *   server.c, tls.c          sockets, the libev watchers, OpenSSL
 *
 * Rendering works on a snapshot rather than on the sources so that unit tests
 * can render a made-up cluster, and so that one request sees one instant.
 */
#ifndef PGFRONT_STATS_INTERNAL_H
#define PGFRONT_STATS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/events.h"
#include "conf/conf.h"
#include "health/health.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "vrrp/vrrp.h"

/* ---- buf.c: a growing output buffer; after a failed allocation it stays failed. */
struct stats_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

void stats_buf_free(struct stats_buf *b);
void stats_buf_add(struct stats_buf *b, const char *data, size_t len);
void stats_buf_puts(struct stats_buf *b, const char *s);
void stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void stats_buf_html(struct stats_buf *b, const char *s);     /* HTML-escaped */
void stats_buf_json(struct stats_buf *b, const char *s);     /* a quoted JSON string */
void stats_buf_csv(struct stats_buf *b, const char *s);      /* a CSV field, quoted if needed */

/* ---- http.c: one request, parsed from what has arrived so far. */
#define STATS_HEAD_MAX 8192       /* request line and headers */
#define STATS_BODY_MAX 4096       /* an admin form is a few dozen bytes */
#define STATS_TARGET_MAX 1024

enum stats_method {
	STATS_METHOD_GET,
	STATS_METHOD_HEAD,
	STATS_METHOD_POST,
};

enum stats_parse {
	STATS_PARSE_MORE,         /* incomplete: read on */
	STATS_PARSE_DONE,
	STATS_PARSE_ERROR,        /* answer req->status, with req->error */
};

struct stats_request {
	enum stats_method method;
	int minor;                          /* HTTP/1.minor */
	char target[STATS_TARGET_MAX];      /* as sent, query included */
	char host[256];
	char origin[256];                   /* has_origin: even empty */
	char referer[1024];
	char authorization[512];
	char content_type[128];
	bool has_host, has_origin, has_referer, has_authorization;
	long content_length;                /* -1: not given */
	size_t head_len;                    /* request line and headers, blank line included */
	const char *body;                   /* within the parsed buffer, body_len bytes */
	size_t body_len;
	int status;                         /* on STATS_PARSE_ERROR: 400, 405, 413... */
	const char *error;                  /* why, for the answer's body */
};

/*
 * Parses buf[0..len). *scanned carries, between calls on the same growing
 * buffer, how far the search for the blank line got (start it at 0), so that
 * a client sending a byte at a time costs one pass, not one per byte.
 */
enum stats_parse stats_http_parse(const char *buf, size_t len, size_t *scanned,
                                  struct stats_request *req);
const char *stats_http_reason(int status);
const char *stats_method_name(enum stats_method method);

/* ---- auth.c */
/* Whether an Authorization header value carries USER:PASSWORD (Basic). */
bool stats_auth_ok(const char *authorization, const char *user, const char *password);
/* Decodes standard base64 (padding required); -1 on any invalid input. */
int stats_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outsize,
                        size_t *outlen);
/* false when an Origin or Referer is given whose host:port is not Host. */
bool stats_same_origin(const struct stats_request *req);

/* ---- form.c: the admin action in a POST body. */
enum stats_action {
	STATS_ACTION_READY,
	STATS_ACTION_DRAIN,
	STATS_ACTION_MAINT,
	STATS_ACTION_KILL,
	STATS_ACTION_COUNT,
};

struct stats_admin_request {
	enum stats_action action;
	char listener[CONF_NAME_MAX];
	char server[CONF_NAME_MAX];
	bool json;                          /* the body was JSON: so is the answer */
};

/* Reads action= and target=LISTENER/SERVER from a form or a JSON object:
 * 0, or the HTTP status to refuse it with (400, 415) and *why. */
int stats_admin_parse(const char *content_type, const char *body, size_t len,
                      struct stats_admin_request *out, const char **why);
const char *stats_action_name(enum stats_action action);
/* The admin state READY, DRAIN and MAINT set; kill sets none. */
enum proxy_admin stats_action_admin(enum stats_action action);
int stats_action_parse(const char *text, enum stats_action *out);

/* ---- collect.c: one instant of every source, for rendering. */
#define STATS_VRRP_MAX 16
#define STATS_ADDR_MAX (CONF_HOST_MAX + 8)
#define STATS_VIP_MAX 24                    /* "255.255.255.255/32" */

struct stats_member {
	char name[CONF_NAME_MAX];
	char address[STATS_ADDR_MAX];       /* "host:port", IPv6 in brackets */
	int sid;                            /* 1-based, as HAProxy numbers servers */
	bool backup;
	int rise, fall, maxconn;
	struct hc_health health;
	enum proxy_admin admin;
	struct hc_result last;
	uint64_t checks, failures, down_transitions;
	uint64_t checks_not_run;     /* no descriptor or memory to run them: not failures */
	double since_change;                /* seconds since the last change (or start) */
	double downtime;                    /* seconds not UP, the current stretch included */
	struct proxy_server_counters c;
};

struct stats_listener {
	char name[CONF_NAME_MAX];
	char binds[CONF_MAX_BINDS][STATS_ADDR_MAX];
	int nbinds;
	enum conf_balance balance;
	char check[CONF_PATH_MAX + 16];     /* "HEAD /primary" */
	int maxconn;                        /* the process's: what a listener may take */
	struct proxy_listener_counters c;
	/* balance single: the write port's gaps without one primary */
	bool writes;
	bool hunting;
	long long timeline;                 /* of the last proven primary, 0 = none */
	uint64_t gaps;                      /* times it lost its one primary */
	double gap_seconds;                 /* in all, the one under way included */
	double last_gap;                    /* the last ended one */
	double gap_now;                     /* the one under way, 0 = has its primary */
	struct stats_member members[CONF_MAX_SERVERS];
	int nmembers;
};

/*
 * One server as Patroni describes it, from the newest check of it that
 * returned Patroni's JSON body (the write port's GET checks do, on every
 * node: a replica answers 503 with its body).
 */
struct stats_node {
	char name[CONF_NAME_MAX];
	char address[STATS_ADDR_MAX];
	bool known;                         /* a body was read at the last check */
	char seen_by[CONF_NAME_MAX];        /* the listener whose check it came from */
	struct hc_patroni patroni;
	bool primary;                       /* role master/primary, state running */
	/* A replica's replay lag behind the primary's position, in bytes, from
	 * the two nodes' last checks (which are up to one inter apart); -1 when
	 * either position is unknown. */
	long long lag_bytes;
};

/* What became of the stats server's own connections (server.c counts them). */
enum stats_conn_outcome {
	STATS_CONN_ACCEPTED,
	STATS_CONN_REFUSED_BUSY,          /* the cap on connections at once */
	STATS_CONN_REFUSED_SOURCE,        /* the cap on connections at once from one address */
	STATS_CONN_TLS_FAILED,
	STATS_CONN_TIMED_OUT,
	STATS_CONN_OUTCOME_COUNT,
};

const char *stats_conn_outcome_name(enum stats_conn_outcome outcome);

struct stats_page_counters {
	unsigned long conns[STATS_CONN_OUTCOME_COUNT];
	unsigned long rate_limited;       /* accepting paused: the rate of new connections */
};

struct stats_snapshot {
	const char *version;
	long pid;
	double now;                         /* ev_now(), epoch seconds */
	double uptime;
	int maxconn;
	int connections;
	int nthreads;                     /* loops that relay, the main one first */
	int thread_sessions[CONF_MAX_THREADS];  /* sessions each relays now */
	uint64_t thread_sessions_total[CONF_MAX_THREADS];  /* ever started relaying there */
	uint64_t thread_bulk_deferrals[CONF_MAX_THREADS];  /* streams deferred there */
	char uri[CONF_PATH_MAX];
	unsigned refresh_s;
	bool admin;                         /* admin actions enabled: show the buttons */
	bool tls;
	struct stats_listener listeners[CONF_MAX_LISTENERS];
	int nlisteners;
	struct vrrp_view vrrp[STATS_VRRP_MAX];
	char vips[STATS_VRRP_MAX][CONF_VRRP_MAX_VIPS][STATS_VIP_MAX];  /* from [vrrp]'s conf */
	int nvips[STATS_VRRP_MAX];
	int nvrrp;
	bool has_vrrp;                      /* the VRRP module runs (even with 0 instances) */
	struct stats_node nodes[CONF_MAX_SERVERS];
	int nnodes;
	bool any_node_known;                /* a check returned a body: show the cluster */
	struct event events[EVENTS_KEPT];   /* newest first */
	int nevents;
	uint64_t event_totals[EVENT_KIND_COUNT];
	struct stats_page_counters page;    /* the stats server's, copied in by server.c */
};

void stats_collect(struct stats_snapshot *snap, const struct stats_sources *src, double now);

/* ---- cluster.c: the nodes as Patroni describes them, and the recent events. */
void stats_collect_nodes(struct stats_snapshot *snap, const struct conf *conf);
void stats_collect_events(struct stats_snapshot *snap);
/* The node's role for people: "primary" (running), "replica", "demoted"..., or "unknown". */
const char *stats_node_role(const struct stats_node *n);

/* ---- status.c: how a server's state is written, shared by every format. */
#define STATS_STATUS_MAX 24
/* "UP", "UP 1/3" (going down), "DOWN", "DOWN 1/2" (going up), "DRAIN", "MAINT", "INIT". */
const char *stats_status(const struct stats_member *m, char *buf, size_t size);
/* The same for HAProxy's CSV, which knows no INIT: DOWN (check_status INI). */
const char *stats_status_csv(const struct stats_member *m, char *buf, size_t size);
/* HAProxy's check_status code (L7OK, L7STS, L4CON...) and its description. */
const char *stats_check_code(const struct hc_result *r);
const char *stats_check_desc(const struct hc_result *r);
/* HAProxy's check_health: 0..rise+fall-1, UP from rise upward. */
int stats_check_health(const struct stats_member *m);
/* "3d 4h", "12m 5s", "42s": for people. */
void stats_duration_text(double seconds, char *buf, size_t size);
/* "1.2 GiB", "512 B". */
void stats_bytes_text(uint64_t bytes, char *buf, size_t size);
/* READY, DRAIN, MAINT; and no_server, queue_timeout... for JSON keys and labels. */
const char *stats_admin_text(enum proxy_admin admin);
const char *stats_refusal_key(enum proxy_refusal refusal);
/* MASTER, BACKUP, INIT; and ttl, checksum... NULL for a reason this table lacks. */
/* Whether clients can be sent to it now: UP and READY. */
bool stats_member_serving(const struct stats_member *m);

/* ---- the renderers: html.c, csv.c, json.c, metrics.c */
void stats_render_html(struct stats_buf *b, const struct stats_snapshot *snap,
                       bool refresh);
void stats_render_csv(struct stats_buf *b, const struct stats_snapshot *snap);
void stats_render_json(struct stats_buf *b, const struct stats_snapshot *snap);
void stats_render_metrics(struct stats_buf *b, const struct stats_snapshot *snap);
/* html.c: a table cell, labelled for the phone layout. */
void stats_html_cell(struct stats_buf *b, const char *label);
/* html_cluster.c: the page's cluster and recent-events panels. */
void stats_html_cluster(struct stats_buf *b, const struct stats_snapshot *snap);
void stats_html_events(struct stats_buf *b, const struct stats_snapshot *snap);

/* ---- admin.c: applies one action; fills msg for the answer and the log.
 * Returns the HTTP status: 200, or 404 for an unknown listener or server. */
int stats_admin_apply(const struct stats_sources *src, const struct stats_admin_request *a,
                      char *msg, size_t msglen);

/* ---- route.c: the whole response to one request (or to a parse error) into out. */
void stats_route(const struct stats_sources *src, struct stats_snapshot *snap, double now,
                 enum stats_parse rc, const struct stats_request *req, const char *peer,
                 struct stats_buf *out);

/* ---- tls.c: OpenSSL on a non-blocking socket. want is EV_READ or EV_WRITE. */
struct ssl_st;
struct ssl_ctx_st;

enum stats_tls_io {
	STATS_TLS_OK,             /* done (or n bytes moved) */
	STATS_TLS_WANT,           /* wait for *want, then call again */
	STATS_TLS_EOF,            /* the peer closed cleanly */
	STATS_TLS_ERROR,
};

struct ssl_ctx_st *stats_tls_ctx_new(const char *cert_file, const char *key_file,
                                     char *err, size_t errlen);
void stats_tls_ctx_free(struct ssl_ctx_st *ctx);
struct ssl_st *stats_tls_new(struct ssl_ctx_st *ctx, int fd);
enum stats_tls_io stats_tls_handshake(struct ssl_st *ssl, int *want);
enum stats_tls_io stats_tls_read(struct ssl_st *ssl, char *buf, size_t len, size_t *n,
                                 int *want);
enum stats_tls_io stats_tls_write(struct ssl_st *ssl, const char *buf, size_t len, size_t *n,
                                  int *want);
/* Sends close_notify if it can without waiting, and frees. */
void stats_tls_free(struct ssl_st *ssl);

#endif
