/*
 * The proxy's own state, shared by its files and by nobody else.
 * All of it lives in struct proxy (no globals), so that one loop per worker
 * thread can own one struct proxy later.
 */
#ifndef PGFRONT_PROXY_INTERNAL_H
#define PGFRONT_PROXY_INTERNAL_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/list.h"
#include "proxy/pgproto.h"
#include "proxy/proxy.h"

/* As HAProxy's default bufsize: one buffer per direction, only while busy. */
#define RELAY_BUF_SIZE 16384
/*
 * A direction whose last read filled RELAY_BUF_SIZE reads into a buffer this
 * large next: a bulk transfer (COPY, a large result) then costs a quarter of
 * the recv/send pairs. Still taken only while bytes are in flight, so an idle
 * session holds none.
 */
#define RELAY_BIG_BUF_SIZE 65536
#define RELAY_READS_PER_WAKEUP 4     /* buffers moved per readable event at most */
#define RELAY_FREE_BUFS_MAX 256      /* kept for reuse, per loop; the rest are freed */
#define RELAY_FREE_BIG_BUFS_MAX 32   /* the same for big ones: 2 MiB per loop at most */
/*
 * Once one side has closed, the other may stay silent this long, whatever
 * its own timeout: a PostgreSQL client never half-closes to wait for an
 * answer, so a session whose client is gone and whose server says nothing
 * (or the reverse) only holds a slot and a backend. HAProxy's
 * timeout client-fin / server-fin, on by default.
 */
#define RELAY_HALF_CLOSED_TIMEOUT 10.0
/*
 * bulk.c: a direction that has carried this many bytes while the other said
 * nothing is a stream, and wakes its loop per big buffer; its last bytes
 * wait at most BULK_QUIET (1-2 ms with epoll's millisecond timeouts) once
 * the source is quiet. The smallest stream that may lose that much lasts
 * about 80 ms on loopback, longer on a network. At 4 MiB, 8 MB results
 * saved no CPU and may have lost time (bench/RESULTS.md).
 */
#define BULK_AFTER (32u << 20)
#define BULK_QUIET 0.001
#define REFUSALS_MAX 256             /* clients being told why at once; then the oldest goes */
#define REFUSAL_TIMEOUT 5.0          /* seconds to send a StartupMessage after an 'N' */
#define CANCELS_MAX 256              /* CancelRequests being forwarded at once */

struct relay_buf {
	struct relay_buf *next_free;
	uint32_t off, len;
	uint32_t size;            /* RELAY_BUF_SIZE or RELAY_BIG_BUF_SIZE */
	uint8_t data[];
};
_Static_assert(PG_STARTUP_MAX_LEN <= RELAY_BUF_SIZE, "a first packet fits in one relay buffer");
_Static_assert(sizeof(struct relay_buf) == 24,
               "tests/integration/test_faults.py's RELAY_BUF_BYTES counts on it");

/* Empty relay buffers of one size, kept for reuse up to a limit. */
struct relay_pool {
	struct relay_buf *free;
	int count;
};

/*
 * An event loop that relays sessions: the main loop's own, or a relay
 * thread's (threads.c). Each has its own pool of relay buffers, used by that
 * loop's thread alone.
 */
struct relay_loop {
	struct ev_loop *loop;
	int index;                /* 0: the main loop */
	int sessions;             /* relaying on it now: written by the main thread only */
	uint64_t sessions_total;  /* ever started relaying on it (moved in, for a thread): main only */
	uint64_t deferrals;       /* streams it deferred (bulk.c): its own thread writes, atomically */
	struct relay_pool small;  /* RELAY_BUF_SIZE, at most RELAY_FREE_BUFS_MAX kept */
	struct relay_pool big;    /* RELAY_BIG_BUF_SIZE, at most RELAY_FREE_BIG_BUFS_MAX */
};

/*
 * Which thread owns a session that was handed to a relay thread. Guarded by
 * that thread's mutex (struct relay_thread); see threads.c for the moves.
 */
enum session_xfer {
	XFER_NONE,            /* the main thread owns it: it never left, or it is back */
	XFER_HANDED,          /* on the thread's inbox, not started there yet */
	XFER_RUNNING,         /* the relay thread owns it */
	XFER_RECLAIM,         /* on the inbox: the main thread wants it back */
	XFER_BACK,            /* on the thread's outbox: stopped there, ended or given back */
};

/* Where a session is: each state but ROUTING is on exactly one list. */
enum session_state {
	SESSION_LOGIN,        /* reading its first packet: on proxy->logins, counted nowhere else */
	SESSION_ROUTING,      /* admitted, or out of the queue: on no list */
	SESSION_QUEUED,       /* on the listener's queue, or its paused list */
	SESSION_CONNECTING,   /* connecting to the chosen server: on its registry */
	SESSION_RELAYING,     /* on its server's registry */
};

enum session_end {
	SESSION_END_CLIENT_CLOSED,
	SESSION_END_SERVER_CLOSED,
	SESSION_END_CLIENT_ERROR,
	SESSION_END_SERVER_ERROR,
	SESSION_END_CLIENT_TIMEOUT,
	SESSION_END_SERVER_TIMEOUT,
	SESSION_END_SERVER_DOWN,
	SESSION_END_KILLED,       /* by the operator */
	SESSION_END_RELOADED,     /* its listener or server is gone from the configuration */
	SESSION_END_SHUTDOWN,
	SESSION_END_NO_MEMORY,    /* no relay buffer could be allocated */
	SESSION_END_VIP_LOST,     /* it came through a VIP this balancer no longer holds */
};

/* One direction of a session: bytes read from `in`'s fd are written to `out`'s. */
struct relay_dir {
	ev_io in;                 /* readable on the source */
	ev_io out;                /* writable on the destination */
	struct relay_buf *buf;    /* bytes read but not yet written; NULL when idle */
	bool eof;                 /* the source has closed its side */
	bool said_bye;            /* client to server: the last bytes were a Terminate */
	bool bulk;                /* the last read filled RELAY_BUF_SIZE: read into a big buffer */
	bool deferred;            /* the source's SO_RCVLOWAT is raised (bulk.c) */
	uint32_t burst;           /* bytes read since the other direction last moved, up to BULK_AFTER */
	ev_tstamp read_at;        /* the last read */
	ev_tstamp eof_at;         /* when eof was seen */
	uint64_t bytes;           /* written by the relaying thread with __atomic_store_n */
};

struct session {
	struct proxy *proxy;
	struct relay_loop *rl;    /* the loop it relays on (the main loop's until handed over) */
	struct proxy_listener *listener;
	int member;               /* -1 while queued */
	enum session_state state;
	int client_fd;
	int server_fd;
	struct relay_dir up;      /* client to server */
	struct relay_dir down;    /* server to client */
	ev_timer timer;           /* queue, connect or idle timeout */
	ev_tstamp started;
	ev_tstamp last_client;    /* last byte read from or written to the client */
	ev_tstamp last_server;
	int attempts;             /* connection attempts so far */
	uint32_t tried;           /* members already tried, a bit each */
	bool retry_paused;        /* on the paused list, not the queue: waits RETRY_PAUSE */
	bool gone_watched;        /* client_fd is in proxy->gone_fd */
	char connect_error[64];   /* why the last attempt failed */
	/* Fixed when relaying starts, so a relay thread never reads the
	 * configuration, which a reload replaces under it. */
	double timeout_client, timeout_server;   /* seconds */
	uint64_t up_folded, down_folded;  /* bytes already added to the counters */
	/* Relay threads (threads.c): all three guarded by the thread's mutex. */
	enum session_xfer xfer;
	enum session_end thread_end;  /* why it came back, if it ended there */
	struct list_node xfer_node;   /* on its thread's inbox or outbox; or, NONE and
	                               * relaying on the main loop, on proxy->settling */
	struct list_node suspect_node; /* on its thread's suspects: its server closed first */
	struct list_node queue_node;  /* on the listener's queue or paused list */
	struct list_node member_node; /* on the member's registry (member >= 0) */
	struct login *login;      /* its first packet, until the server has it; then NULL */
	/* The address the client connected to (a VIP, maybe), kept from accept:
	 * once a relay thread has the session, its sockets are that thread's. */
	sa_family_t local_family;
	uint8_t local_host[16];   /* in_addr or in6_addr */
	/* "address:port" for the log: "[" 45 "]:" 5 and a NUL fit in 56, and so
	 * the struct login pointer costs a session no more than before. */
	char client[56];
};

/*
 * A session's first packet, read by login.c and written to the server by
 * relay.c (or answered by refuse.c), then freed: a relaying session keeps
 * nothing of it but a NULL pointer.
 */
struct login {
	struct session *session;
	struct list_node node;    /* on proxy->logins while the session is SESSION_LOGIN */
	enum pg_startup_kind kind;
	uint8_t head[PG_STARTUP_HEADER_LEN];  /* until the length is known */
	uint8_t *packet;          /* then the whole packet, len bytes */
	uint32_t len, have;
};

struct refusal;

struct proxy_member {
	enum proxy_admin admin;
	struct proxy_server_counters c;
	struct list sessions;     /* registry: every session connecting or relaying to it */
};

struct proxy_listener {
	struct proxy *proxy;
	int index;
	const struct conf_listener *conf;
	int fds[CONF_MAX_BINDS];
	ev_io accept_watchers[CONF_MAX_BINDS];
	struct proxy_member members[CONF_MAX_SERVERS];
	struct list queue;        /* FIFO of sessions waiting for a server with room */
	struct list paused;       /* held sessions waiting RETRY_PAUSE to try again */
	ev_idle serve;            /* serves the queue, outside whatever freed a slot */
	unsigned cursor;          /* round-robin position */
	bool ambiguous;           /* single: more than one primary right now */
	struct proxy_listener_counters c;
};

struct proxy {
	struct ev_loop *loop;
	const struct conf *conf;
	struct hc_engine *health;
	struct proxy_listener *listeners[CONF_MAX_LISTENERS]; /* moved, not copied, on reload */
	int nlisteners;
	int connections;          /* client sessions, for global maxconn */
	struct list refusals;     /* clients being told why, oldest first */
	struct list logins;       /* struct login of sessions reading their first packet, oldest first */
	struct list cancels;      /* CancelRequests being forwarded */
	struct relay_loop main_rl;    /* the main loop, as a relaying loop */
	struct relay_thread *threads[CONF_MAX_THREADS]; /* threads[0] unused: the main loop */
	int nthreads;             /* loops that relay, the main one included */
	ev_async thread_news;     /* a relay thread ended or gave back a session */
	struct list settling;     /* relaying on the main loop, may move: oldest first */
	ev_timer spread;          /* moves settled sessions to relay threads */
	ev_timer accept_pause;    /* out of file descriptors: retry accepting later */
	int gone_fd;              /* epoll set of queued clients, for their hangups */
	ev_io gone_watcher;       /* on gone_fd, while a client is in it */
	int gone_watched;
	uint64_t ended_no_memory; /* sessions ended for want of a relay buffer */
	int session_limit;        /* what the open-files limit allows; -1: global maxconn */
	bool draining;            /* soft stop: no new clients, sessions go on */
	bool shutting_down;       /* every session is being closed */
};

static inline struct session *member_first(const struct proxy_member *m)
{
	return LIST_ITEM(m->sessions.first, struct session, member_node);
}

/* listener.c */
void listener_track_primaries(struct proxy_listener *l);
void listener_suspect_server(struct proxy_listener *l, int member, const char *why);
void listener_close_binds(struct proxy_listener *l);
int listener_bind_addr(const struct conf_addr *addr, const struct sockopt_keepalive *ka,
                       char *err, size_t errlen);
void listener_init_watchers(struct proxy_listener *l);
void listener_start_accepting(struct proxy_listener *l);
void listener_free(struct proxy_listener *l);

/* fdlimit.c: global maxconn, or fewer if the open-files limit says so. */
int proxy_client_limit(const struct proxy *proxy);

/* queue.c: routing a session, the queue and the hold. */
int queue_open(struct proxy *proxy, char *err, size_t errlen);
void queue_close(struct proxy *proxy);
void queue_init(struct proxy_listener *l);
void queue_stop(struct proxy_listener *l);
void listener_dispatch(struct session *s);
void listener_slot_freed(struct proxy_listener *l);
void queue_leave(struct session *s);
bool listener_hold_for_retry(struct session *s);
struct session *queue_first(const struct proxy_listener *l);

/* session.c */
struct session *session_new(struct proxy_listener *l, const struct conf_addr *bind,
                            int client_fd, const char *client);
void session_admit(struct session *s);
void session_forget(struct session *s);
void session_end(struct session *s, enum session_end why);
void session_attach(struct session *s, int member);
void session_detach(struct session *s);
void session_refuse(struct session *s, enum proxy_refusal why, const char *message);
void session_tell(struct session *s, const char *sqlstate, const char *message);
const char *session_end_name(enum session_end why);

/* connect.c */
void connect_start(struct session *s, int member);

/* relay.c: runs on the loop in s->rl, the main thread's or a relay thread's. */
void relay_prepare(struct session *s);   /* main thread, before relay_start anywhere */
void relay_start(struct session *s);
void relay_stop(struct session *s);
void relay_free_bufs(struct relay_loop *rl);

/* bulk.c: called by relay.c on the session's loop. */
/* After n bytes read from d's source; true if d has just begun to defer, and
 * the session's timer must then fire within BULK_QUIET. */
bool bulk_after_read(struct session *s, struct relay_dir *d, size_t n);
void bulk_source_closed(struct relay_dir *d);
/* Lowers the mark of streams whose source is quiet; returns when to look
 * again (INFINITY: nothing deferred). */
ev_tstamp bulk_check(struct session *s, ev_tstamp now);

/* threads.c: relay threads. Called on the main thread unless said. */
int threads_start(struct proxy *proxy, int n, char *err, size_t errlen);
void threads_stop(struct proxy *proxy);
void threads_relay(struct session *s);       /* relays it, on main, moved if it lasts */
void threads_unsettle(struct session *s);    /* relaying on main, it stops there */
void threads_reclaim(struct session *s);     /* back to the main thread, stopped */
void threads_reclaim_list(struct proxy *proxy, struct list *list, size_t node_offset,
                          bool (*wanted)(const struct session *, const void *), const void *arg);
void threads_ended(struct session *s, enum session_end why);      /* relay thread */
void threads_server_closed(struct session *s);                    /* relay thread */

/* session.c */
void session_fold_bytes(struct session *s);

/* login.c: reading a client's first packet before it gets a server. */
void login_start(struct session *s);
void login_leave(struct session *s);
void login_free(struct session *s);
void login_close_listener(struct proxy *proxy, const struct proxy_listener *l,
                          enum session_end why);
void login_shutdown(struct proxy *proxy);

/* cancel.c: a CancelRequest passed on to the servers that may run the query. */
void cancel_forward(struct session *s);
void cancel_shutdown(struct proxy *proxy);

/* refuse.c: tells a client why in PostgreSQL's protocol, then closes it.
 * `read` is the first packet pgfront has already read from it. */
void refuse_client(struct proxy *proxy, int fd, const char *client, enum pg_startup_kind read,
                   const char *sqlstate, const char *message);
void refuse_shutdown(struct proxy *proxy);

#endif
