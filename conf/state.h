/*
 * The state of one conf_load() run, shared by the files of conf/ and by
 * nobody else: other modules see only the finished struct conf.
 *
 * Values are kept per section as written, with the line of each key, and are
 * resolved only once the whole file is read: a [listen] may name [server]s
 * that come after it, and [defaults] may come last.
 */
#ifndef PGFRONT_CONF_STATE_H
#define PGFRONT_CONF_STATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf/conf.h"
#include "conf/vrrp_state.h"

/* "[listen " + a longest name + "]"; a malformed header as written is cut. */
#define CONF_TITLE_MAX 80

/* Limits on durations: timeouts and check intervals alike. The top is what
 * fits a signed 32-bit count of milliseconds, as libev and curl take them. */
#define CONF_DURATION_MIN_US 1000ULL
#define CONF_DURATION_MAX_US (24ULL * 86400 * 1000000)

/* hunt_interval: at 10ms three servers already get 300 checks a second. */
#define CONF_HUNT_INTERVAL_MIN_US 10000ULL
#define CONF_HUNT_INTERVAL_MAX_US 10000000ULL
#define CONF_HUNT_INTERVAL_DEFAULT_US 100000ULL
/* hold_when_down of a `single` listener that sets none: long enough for a
 * planned switchover (about 2 s) many times over, short of libpq's usual
 * connect_timeout choices. */
#define CONF_SINGLE_HOLD_DEFAULT_US 10000000ULL

enum conf_section_kind {
	CONF_SEC_NONE,      /* before the first header */
	CONF_SEC_SKIP,      /* after a header in error: its keys are not checked */
	CONF_SEC_GLOBAL,
	CONF_SEC_DEFAULTS,
	CONF_SEC_SERVER,
	CONF_SEC_LISTEN,
	CONF_SEC_STATS,
	CONF_SEC_VRRP,
};

#define CONF_IN_GLOBAL   (1u << CONF_SEC_GLOBAL)
#define CONF_IN_DEFAULTS (1u << CONF_SEC_DEFAULTS)
#define CONF_IN_SERVER   (1u << CONF_SEC_SERVER)
#define CONF_IN_LISTEN   (1u << CONF_SEC_LISTEN)
#define CONF_IN_STATS    (1u << CONF_SEC_STATS)
#define CONF_IN_VRRP     (1u << CONF_SEC_VRRP)

/* The keys of struct conf_tunables, in the order of conf/tunables.c's table. */
enum conf_tun {
	CONF_TUN_RETRIES,
	CONF_TUN_TIMEOUT_CONNECT,
	CONF_TUN_TIMEOUT_CLIENT,
	CONF_TUN_TIMEOUT_SERVER,
	CONF_TUN_TIMEOUT_CHECK,
	CONF_TUN_TIMEOUT_QUEUE,
	CONF_TUN_INTER,
	CONF_TUN_FASTINTER,
	CONF_TUN_DOWNINTER,
	CONF_TUN_FALL,
	CONF_TUN_RISE,
	CONF_TUN_ON_MARKED_DOWN,
	CONF_TUN_CHECK_PORT,
	CONF_TUN_MAXCONN,
	CONF_TUN_CHECK_TLS,
	CONF_TUN_CHECK_CA_FILE,
	CONF_TUN_CHECK_CERT_FILE,
	CONF_TUN_CHECK_KEY_FILE,
	CONF_TUN_HOLD_WHEN_DOWN,
	CONF_TUN_TIMEOUT_LOGIN,
	CONF_TUN_COUNT,
};

/* The tunables one section wrote: each key's value and line (0: not given). */
struct conf_tun_set {
	struct conf_tunables v;
	int line[CONF_TUN_COUNT];
	const char *title;       /* of the section, for messages */
	bool pair_reported;      /* a cert without key (or back) said once */
};

/* The keys of a [listen] that [defaults] may give too. */
struct conf_listen_keys {
	enum conf_balance balance;
	int balance_line;
	char check_method[16];
	char check_path[CONF_PATH_MAX];
	int check_line;
	int expect_status;
	int expect_status_line;
	enum conf_check_body check_body;
	int check_body_line;
	uint64_t hunt_interval_us;
	int hunt_interval_line;
};

struct conf_name_list {
	char names[CONF_MAX_SERVERS][CONF_NAME_MAX];
	int n;
	int line;                /* 0: not given */
	bool bad;                /* in error: not resolved, to spare echoes */
};

/* What a [server] wrote beyond what struct conf_server keeps. */
struct conf_raw_server {
	char title[CONF_TITLE_MAX];
	struct conf_tun_set tun;
	int address_line;
	int check_address_line;
};

/* The keepalive keys one section wrote, and their lines (0: not given). */
enum { CONF_KA_ON, CONF_KA_IDLE, CONF_KA_INTVL, CONF_KA_CNT, CONF_KA_COUNT };
struct conf_ka_set {
	struct sockopt_keepalive v;
	int line[CONF_KA_COUNT];
};

/* What a [listen] wrote beyond what struct conf_listener keeps. */
struct conf_raw_listener {
	char title[CONF_TITLE_MAX];
	struct conf_tun_set tun;
	struct conf_listen_keys keys;
	int bind_line[CONF_MAX_BINDS];
	int bind_given;          /* bind keys seen, valid or not */
	struct conf_name_list servers;
	struct conf_name_list backup;
	struct conf_ka_set ka;
};

/* Lines of the keys of [stats] (0: not given), for duplicates and messages. */
struct conf_raw_stats {
	int line;                /* of the header */
	int bind, uri, refresh, auth, admin, tls_cert_file, tls_key_file;
};

/* Where lines come from: a FILE, or else a string. */
struct conf_source {
	FILE *file;
	const char *text;
	size_t pos;
	int read_errno;          /* nonzero once reading the file failed */
};

/* A file the daemon will open as [global] user: checked as that user. */
#define CONF_ACCESS_MAX 160   /* 3 per [defaults], [listen], [server]; 2 in [stats]; 1 per [vrrp] */
struct conf_access {
	char path[CONF_PATH_MAX];
	char title[CONF_TITLE_MAX];
	char key[24];
	int mode;                /* R_OK or X_OK */
	int line;
};

struct conf_state {
	const char *name;        /* the file as messages name it */
	struct conf *conf;
	struct conf_errors *errors;
	int error_line[CONF_MAX_ERRORS];  /* of each kept error, to keep them in order */

	struct conf_source src;
	int line;                /* of the line inih is working on */

	enum conf_section_kind kind;
	int index;               /* of the [server] or [listen] being read */
	char title[CONF_TITLE_MAX];

	int global_line;
	int global_maxconn_line;
	int global_threads_line;
	int global_log_level_line;
	int global_user_line;
	int global_hard_stop_after_line;
	struct conf_ka_set global_ka;
	int defaults_line;
	struct conf_tun_set defaults;
	struct conf_listen_keys defaults_keys;
	bool saw_listen;         /* a [listen] header, even one in error */
	struct conf_raw_stats stats;
	struct conf_raw_vrrp vrrps[CONF_MAX_VRRP];

	struct conf_raw_server servers[CONF_MAX_SERVERS];
	struct conf_raw_listener listeners[CONF_MAX_LISTENERS];

	struct conf_access access[CONF_ACCESS_MAX];
	int naccess;
};

/* errors.c: records "FILE:LINE: [title] key: message"; title, key may be NULL. */
void conf_error(struct conf_state *st, int line, const char *title,
                const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* For the key on the current line: false (after an error) if given before. */
bool conf_key_once(struct conf_state *st, int *line, const char *key);
/* "invalid value 'VALUE': EXPECTED" for the key on the current line. */
void conf_bad_value(struct conf_state *st, const char *key, const char *value,
                    const char *expected);

/* line_reader.c: the ini_reader that inih pulls every line through. */
char *conf_read_line(char *str, int num, void *stream);

/* sections.c: a "[...]" line; returns 0, or -1 after recording an error. */
int conf_section_open(struct conf_state *st, const char *line);

/* keys.c: the ini_handler; always returns 1, errors are recorded. */
int conf_handle_key(void *user, const char *section, const char *name,
                    const char *value);

/* listen_keys.c: keys of [listen] (and those [defaults] may give). */
void conf_listen_key(struct conf_state *st, const char *name, const char *value);

/* tunables.c */
int conf_tun_find(const char *name);
const char *conf_tun_name(enum conf_tun k);
/* The sections (CONF_IN_*) where key k may be written. */
unsigned conf_tun_where(enum conf_tun k);
void conf_tun_set_key(struct conf_state *st, struct conf_tun_set *set,
                      enum conf_tun k, const char *value);
/* layers[0] wins over layers[1] and so on, then the built-in values;
 * from[k] (if from) is the layer key k came from, NULL for built-in. */
void conf_tun_resolve(struct conf_tun_set *const *layers, int nlayers,
                      struct conf_tunables *out, struct conf_tun_set **from);

/* values.c: parsers of one value each; 0 or -1, no messages. */
int conf_parse_int(const char *text, long long min, long long max, long long *out);
int conf_parse_bool(const char *text, bool *out);
int conf_parse_balance(const char *text, enum conf_balance *out);
int conf_parse_log_level(const char *text, enum log_level *out);
int conf_parse_on_marked_down(const char *text, enum conf_on_marked_down *out);
int conf_parse_check_body(const char *text, enum conf_check_body *out);
bool conf_valid_name(const char *text);
int conf_parse_check(const char *text, char *method, size_t method_size,
                     char *path, size_t path_size);
#define CONF_NAME_RULE "use 1 to 63 characters of A-Z a-z 0-9 _ . -"

/* addr.c */
int conf_parse_addr(const char *text, bool allow_any, struct conf_addr *out,
                    const char **why);
int conf_parse_host(const char *text, char *out, size_t size, const char **why);
/* 0: distinct; 1: the same; 2: one is the wildcard of the other's family. */
int conf_addr_overlap(const struct conf_addr *a, const struct conf_addr *b);
void conf_addr_format(const struct conf_addr *a, char *buf, size_t size);

/* stats_keys.c: keys of [stats], and its checks once the file is read. */
void conf_stats_key(struct conf_state *st, const char *name, const char *value);
void conf_stats_resolve(struct conf_state *st);

/* keepalive_keys.c: tcp_keepalive and its timers, in [global] or a [listen]. */
void conf_keepalive_key(struct conf_state *st, const char *name, const char *value);
void conf_keepalive_resolve(struct conf_state *st);

/* user_access.c: files to open as [global] user, checked once it is known. */
void conf_access_note(struct conf_state *st, const char *path, int mode, const char *key);
void conf_check_user_access(struct conf_state *st);

/* resolve.c: what can be checked only once the whole file is read. */
void conf_resolve(struct conf_state *st);

#endif
