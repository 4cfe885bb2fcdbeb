/*
 * haproxy.cfg as `pgfront import` reads it, shared by conf/import_haproxy.c
 * (lines, sections, proxy keywords), conf/import_hap_server.c (server, bind
 * and default-server options) and conf/import_hap_build.c (proxies into
 * listeners). Settings are kept as HAProxy inherits them: a proxy starts as a
 * copy of the last `defaults` before it, and its own lines override that.
 */
#ifndef PGFRONT_CONF_IMPORT_HAP_H
#define PGFRONT_CONF_IMPORT_HAP_H

#include "conf/import_int.h"

#define HP_MAX_WORDS 64
#define HP_LINE_MAX 4096
#define HP_MAX_DEFAULTS 16
#define HP_MAX_PROXIES 64
#define HP_MAX_BINDS 16
#define HP_MAX_SERVERS CONF_MAX_SERVERS
#define HP_NAME_MAX 128

/* One line, split into words as HAProxy does (quotes, backslash escapes). */
struct hp_line {
	int no;
	int nw;
	char *w[HP_MAX_WORDS];
	char text[160];          /* as written, blanks squeezed, for messages */
	char buf[HP_LINE_MAX + HP_MAX_WORDS];
};

/* A number (or duration, in us) and its line; line 0: not set. */
struct hp_num {
	long long v;
	int line;
};

/* A flag and its line; line 0: not set (then false). */
struct hp_flag {
	bool on;
	int line;
};

struct hp_str {
	char s[IMP_VALUE_MAX];
	int line;
};

/* What default-server and server lines set. */
struct hp_srvopts {
	struct hp_num inter, fastinter, downinter, fall, rise, port, maxconn, weight;
	struct hp_flag shutdown_sessions;   /* on-marked-down shutdown-sessions */
	struct hp_flag check, backup, disabled, check_ssl;
	struct hp_str addr, ca_file, crt;
};

enum hp_mode { HP_MODE_TCP, HP_MODE_HTTP, HP_MODE_OTHER };
enum hp_check { HP_CHECK_CONNECT, HP_CHECK_HTTP, HP_CHECK_OTHER };

struct hp_settings {
	struct hp_num mode;                 /* enum hp_mode */
	struct hp_str balance;              /* the algorithm as written */
	struct hp_num retries, maxconn;
	struct hp_num t_connect, t_client, t_server, t_check, t_queue, t_tunnel;
	struct hp_num check;                /* enum hp_check */
	char check_what[64];                /* HP_CHECK_OTHER: e.g. "option pgsql-check" */
	char method[16];
	char uri[CONF_PATH_MAX];
	struct hp_num uri_line;             /* .v unused */
	struct hp_num send_line;            /* http-check send: it wins over option httpchk */
	struct hp_num expect;               /* status */
	struct hp_str expect_other;         /* an expect pgfront cannot do */
	struct hp_num check_port;           /* http-check connect port */
	struct hp_srvopts defsrv;
	struct hp_flag stats;               /* stats enable, or any stats keyword */
	struct hp_str stats_uri, stats_auth;
	struct hp_num stats_refresh;        /* us */
	struct hp_flag stats_admin;
	struct hp_str default_backend;
};

enum hp_kind { HP_LISTEN, HP_FRONTEND, HP_BACKEND };

struct hp_bind {
	char text[IMP_VALUE_MAX];           /* the address words, as written */
	int line;
	bool dual_stack;                    /* ":::P" without v6only */
	bool ssl;                           /* "ssl"/"crt": TLS on the listener */
	char crt[IMP_VALUE_MAX];            /* its "crt FILE" */
	bool accept_proxy;
};

struct hp_server {
	char name[HP_NAME_MAX];
	char addr[IMP_VALUE_MAX];
	int line;
	struct hp_srvopts o;
};

struct hp_proxy {
	enum hp_kind kind;
	char name[HP_NAME_MAX];
	int line;
	int defaults;                       /* index, -1: none */
	struct hp_settings s;
	struct hp_bind binds[HP_MAX_BINDS];
	int nbinds;
	struct hp_server srv[HP_MAX_SERVERS];
	int nsrv;
	struct hp_flag disabled;
	struct hp_str use_backend;          /* an unconditional use_backend */
	bool routing_rules;                 /* a rule that routes was left out */
};

struct hp_defaults {
	char name[HP_NAME_MAX];
	int line;
	struct hp_settings s;
	int users;                          /* proxies that took it */
	int replaced_by;                    /* line of the next defaults; 0: EOF */
};

struct hp_state {
	struct imp *im;
	struct imp_model *model;
	struct hp_line ln;
	struct hp_defaults defaults[HP_MAX_DEFAULTS];
	int ndefaults;
	int cur_defaults;                   /* the one proxies take; -1: none */
	struct hp_proxy proxies[HP_MAX_PROXIES];
	int nproxies;
	enum { HP_SEC_NONE, HP_SEC_GLOBAL, HP_SEC_DEFAULTS, HP_SEC_PROXY,
	       HP_SEC_OTHER } sec;
	struct hp_settings *cur;            /* of the section being read */
	struct hp_proxy *proxy;             /* HP_SEC_PROXY */
};

/* import_hap_keys.c: one line of global, or of defaults or a proxy */
void conf_hp_global_line(struct hp_state *st);
void conf_hp_proxy_line(struct hp_state *st);
/* Report the current line: left out (routing or not), with why. */
void conf_hp_routing(struct hp_state *st, const char *why);
void conf_hp_note(struct hp_state *st, const char *why);

/* import_hap_server.c */
/* Reads "default-server"/"server" options from word `from` on. */
void conf_hp_srvopts_parse(struct hp_state *st, struct hp_srvopts *o, int from);
void conf_hp_server_line(struct hp_state *st);
void conf_hp_bind_line(struct hp_state *st);
/* "10.0.0.1:5432" etc. into numeric host and port; why on failure. */
int conf_hp_split_address(const char *text, char *host, size_t size, long long *port,
                     bool *has_port, const char **why);

/* import_hap_build.c: the proxies into model->ls and model->stats. */
void conf_hp_build(struct hp_state *st);

#endif
