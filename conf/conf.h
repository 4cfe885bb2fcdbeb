/*
 * conf — pgfront's configuration as plain data, and its validation.
 *
 * This layer does no networking and no logging: conf_load() reads an INI file
 * (through inih) into a struct conf and collects every error with its line, so
 * `pgfront -c` can report them all in one run. Addresses must be numeric: a
 * name lookup at load time would block, and a balancer that routes writes
 * should not depend on DNS to find its databases.
 */
#ifndef PGFRONT_CONF_H
#define PGFRONT_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "common/log.h"  /* enum log_level */
#include "common/sockopt.h"  /* struct sockopt_keepalive */

#define CONF_NAME_MAX 64      /* section names: servers and listeners */
#define CONF_PATH_MAX 256     /* file paths and HTTP paths */
#define CONF_HOST_MAX 64      /* numeric host text, v4 or v6 */
#define CONF_MAX_BINDS 8      /* bind lines per listener */
#define CONF_MAX_SERVERS 32
#define CONF_MAX_LISTENERS 16
#define CONF_MAX_THREADS 64   /* [global] threads */
#define CONF_MAX_ERRORS 64    /* errors kept; the count goes on past it */
#define CONF_ERROR_MAX 320    /* one formatted error line */

enum conf_balance {
	CONF_BALANCE_SINGLE,     /* the write port: the one UP server, never two */
	CONF_BALANCE_ROUNDROBIN,
	CONF_BALANCE_LEASTCONN,
	CONF_BALANCE_FIRST,
};

/* What a check's reply body is read as. */
enum conf_check_body {
	CONF_CHECK_BODY_NONE,    /* the status alone decides, as in HAProxy */
	CONF_CHECK_BODY_PATRONI, /* Patroni's JSON: role, state and timeline */
};

enum conf_on_marked_down {
	CONF_ON_DOWN_NONE,
	CONF_ON_DOWN_SHUTDOWN_SESSIONS,
};


/* A numeric socket address and the text it was written as. */
struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char host[CONF_HOST_MAX]; /* "127.0.0.11", "::1", "*" for any */
	uint16_t port;
};

/*
 * Everything that [defaults] may set and a [listen] or [server] may override.
 * Resolved per (listener, server): [server] > [listen] > [defaults] > built-in.
 * Durations are in microseconds.
 */
struct conf_tunables {
	int retries;
	uint64_t timeout_connect_us;
	uint64_t timeout_client_us;
	uint64_t timeout_server_us;
	uint64_t timeout_check_us;
	uint64_t timeout_queue_us;
	uint64_t inter_us;
	uint64_t fastinter_us;   /* while a server is changing state */
	uint64_t downinter_us;   /* while a server is fully DOWN */
	int fall;
	int rise;
	enum conf_on_marked_down on_marked_down;
	uint16_t check_port;
	int maxconn;             /* per server, per listener; 0 = no limit */
	bool check_tls;
	char check_ca_file[CONF_PATH_MAX];
	char check_cert_file[CONF_PATH_MAX];
	char check_key_file[CONF_PATH_MAX];
	/* While no server can take a new session (none UP, or two primaries), a
	 * client waits up to this long for one instead of being refused at once:
	 * a switchover then costs it a slower connect, not an error. 0 = off. */
	uint64_t hold_when_down_us;
	/* A client must have sent its whole first packet (startup, SSL or GSS
	 * request, CancelRequest, TLS ClientHello) this long after connecting;
	 * until then it has no server. Per listener. */
	uint64_t timeout_login_us;
};

struct conf_server {
	char name[CONF_NAME_MAX];
	struct conf_addr address;        /* where PostgreSQL listens */
	char check_host[CONF_HOST_MAX];  /* numeric; default: address.host */
	int line;                        /* of its section header */
};

/* One server as one listener uses it: the pair that is health-checked. */
struct conf_member {
	int server;                      /* index into conf.servers */
	bool backup;
	struct conf_tunables t;          /* resolved */
};

struct conf_listener {
	char name[CONF_NAME_MAX];
	struct conf_addr binds[CONF_MAX_BINDS];
	int nbinds;
	enum conf_balance balance;
	char check_method[16];           /* HEAD, GET, OPTIONS */
	char check_path[CONF_PATH_MAX];  /* /primary, /replica, ... */
	int expect_status;
	/* Patroni's body is read (and a HEAD check sent as GET to get it): the
	 * default on `single` listeners, where it proves a writable primary. */
	enum conf_check_body check_body;
	/* single: while the write port has no proven primary, or may be losing
	 * it, every server is checked this often (one check in flight each). */
	uint64_t hunt_interval_us;
	struct conf_member members[CONF_MAX_SERVERS];
	int nmembers;
	/* The listener's own resolved tunables ([listen] > [defaults] > built-in):
	 * timeout_client, timeout_queue and timeout_login act per listener. */
	struct conf_tunables t;
	/* TCP keepalive on its clients' sockets and their server connections:
	 * [listen] > [global] > built-in. */
	struct sockopt_keepalive keepalive;
	int line;
};

struct conf_global {
	int maxconn;                     /* process-wide client connections */
	int threads;                     /* loops that relay; 0: one per CPU pgfront may use */
	enum log_level log_level;
	char user[CONF_NAME_MAX];        /* empty: keep the current user */
	uint64_t hard_stop_after_us;     /* soft stop: longest wait for sessions; 0 = no limit */
	struct sockopt_keepalive keepalive;  /* what a [listen] that sets none uses */
};

#include "conf/conf_stats.h"
#include "conf/conf_vrrp.h"

struct conf {
	char path[CONF_PATH_MAX];
	struct conf_global global;
	struct conf_server servers[CONF_MAX_SERVERS];
	int nservers;
	struct conf_listener listeners[CONF_MAX_LISTENERS];
	int nlisteners;
	struct conf_stats stats;         /* [stats]: the stats page */
	struct conf_vrrp vrrps[CONF_MAX_VRRP];  /* [vrrp NAME]: the VRRP instances */
	int nvrrps;
};

/* Every error found, formatted "FILE:LINE: [section] key: message". */
struct conf_errors {
	char lines[CONF_MAX_ERRORS][CONF_ERROR_MAX];
	int count;                       /* may exceed CONF_MAX_ERRORS */
};

/*
 * Reads and validates path. Returns 0 and fills *conf, or -1 with every error
 * in *errors (a file that cannot be opened is one error at line 0).
 * conf and errors are caller-owned; both are fully overwritten.
 */
int conf_load(const char *path, struct conf *conf, struct conf_errors *errors);

/* The same, from a string in memory (for tests); name is used in messages. */
int conf_load_string(const char *name, const char *text, struct conf *conf,
                     struct conf_errors *errors);

/* The wildcard of its family ("*" or "[::]"): a bind to every address. */
bool conf_addr_is_any(const struct conf_addr *a);

/* Parses "4s", "250ms", "30m"... into microseconds; a bare number is an error. */
int conf_parse_duration(const char *text, uint64_t *us, const char **why);

const char *conf_balance_name(enum conf_balance balance);
const char *conf_log_level_name(enum log_level level);
const char *conf_on_marked_down_name(enum conf_on_marked_down action);
const char *conf_check_body_name(enum conf_check_body body);

#endif
