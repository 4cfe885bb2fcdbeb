/*
 * What the files of `pgfront import` share, and nobody else: the findings
 * list, an output buffer, and the model both parsers fill and the emitter
 * writes out (conf/import.h has the entry point).
 *
 * Each translated value keeps the line it came from, so that the emitted
 * file can say, next to every key, which line of haproxy.cfg or
 * keepalived.conf it translates.
 */
#ifndef PGFRONT_CONF_IMPORT_INT_H
#define PGFRONT_CONF_IMPORT_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "conf/import.h"

#define IMP_VALUE_MAX 192       /* an emitted value; pgfront's lines hold 198 */
#define IMP_NOTE_MAX 120        /* an emitted comment */
#define IMP_MAX_KV 40           /* keys of a [global], [stats] or [vrrp] */

struct imp_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void conf_imp_buf_add(struct imp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One translation run. */
struct imp {
	const char *names[2];            /* indexed by enum conf_import_file */
	enum conf_import_file file;      /* the one being read */
	struct conf_import_finding *f;
	int nf, capf;
	bool oom;
};

/* "FILE:LINE: left out 'WHAT': WHY"; routing: "left out (changes routing)". */
void conf_imp_left_out(struct imp *im, int line, bool routing, const char *what,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "FILE:LINE: note: ...": translated, but not quite as it was. */
void conf_imp_notice(struct imp *im, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pgfront's tunables as the importer writes them, per (listener, server). */
enum imp_key {
	IMP_RETRIES,
	IMP_TIMEOUT_CONNECT,
	IMP_TIMEOUT_CLIENT,
	IMP_TIMEOUT_SERVER,
	IMP_TIMEOUT_CHECK,
	IMP_TIMEOUT_QUEUE,
	IMP_INTER,
	IMP_FASTINTER,
	IMP_DOWNINTER,
	IMP_FALL,
	IMP_RISE,
	IMP_ON_MARKED_DOWN,
	IMP_CHECK_PORT,
	IMP_MAXCONN,
	IMP_CHECK_TLS,
	IMP_CHECK_CA_FILE,
	IMP_CHECK_CERT_FILE,
	IMP_CHECK_KEY_FILE,
	IMP_KEY_COUNT,
};

/* A value and where it came from: line > 0, or else why (a default's name). */
struct imp_val {
	bool set;                        /* false: pgfront's key is not written */
	int line;
	long long num;                   /* integers, booleans; durations in us */
	char str[IMP_VALUE_MAX];         /* paths and on_marked_down */
	const char *why;                 /* e.g. "HAProxy's default" */
};

const char *conf_imp_key_name(enum imp_key k);
bool conf_imp_key_is_duration(enum imp_key k);
/* The value as pgfront.ini writes it ("3s", "90", "/path"). */
void conf_imp_val_format(enum imp_key k, const struct imp_val *v, char *buf, size_t size);
bool conf_imp_val_equal(const struct imp_val *a, const struct imp_val *b);
void conf_imp_format_duration(long long us, char *buf, size_t size);

/* One emitted "key = value ; comment" line of a simple section. */
struct imp_kv {
	char key[32];
	char value[IMP_VALUE_MAX];
	int line;                        /* in the input; 0: none */
	char note[IMP_NOTE_MAX];
	bool commented;                  /* written as "; key = value": a hint */
};

struct imp_section {
	char title[CONF_NAME_MAX + 16];  /* "global", "stats", "vrrp VI_01" */
	int line;
	struct imp_kv kv[IMP_MAX_KV];
	int nkv;
	char comment[IMP_NOTE_MAX * 2];  /* above the header */
	enum conf_import_file file;
};

struct imp_kv *conf_imp_kv_add(struct imp_section *s, const char *key, int line,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One HAProxy server as one translated listener uses it. */
struct imp_server {
	char name[CONF_NAME_MAX];
	int line;
	char address[CONF_HOST_MAX + 8]; /* "10.0.0.1:5432", "[::1]:5432" */
	char check_host[CONF_HOST_MAX];  /* "": the address's host */
	int check_host_line;
	bool backup;
	int backup_line;
	struct imp_val v[IMP_KEY_COUNT];
	int section;                     /* emitter: its [server] section */
};

struct imp_listener {
	char name[CONF_NAME_MAX];
	char origin[160];                /* what it translates, for its comment */
	int line;
	char binds[CONF_MAX_BINDS][CONF_HOST_MAX + 8];
	int bind_line[CONF_MAX_BINDS];
	int nbinds;
	enum conf_balance balance;
	int balance_line;
	char balance_note[IMP_NOTE_MAX];
	char method[16];
	char path[CONF_PATH_MAX];
	int check_line;
	char check_note[IMP_NOTE_MAX];
	bool body_none;                  /* check_body = none (a /leader check) */
	int expect;
	int expect_line;
	char expect_note[IMP_NOTE_MAX];
	struct imp_server srv[CONF_MAX_SERVERS];
	int nsrv;
};

/* Everything translated, ready to be written. */
struct imp_model {
	struct imp_section global;
	struct imp_listener ls[CONF_MAX_LISTENERS];
	int nls;
	struct imp_section stats;        /* nkv == 0 and line == 0: none */
	struct imp_section vrrp[CONF_MAX_VRRP];
	int nvrrp;
	/* keepalived's check of the HAProxy process, for the emitter to point at
	 * the write listener: per vrrp, the weight and its line (0: none). */
	int track_weight[CONF_MAX_VRRP];
	int track_line[CONF_MAX_VRRP];
	char track_note[CONF_MAX_VRRP][IMP_NOTE_MAX];
};

/* import_haproxy*.c: fills model->global, ls, stats. */
void conf_imp_haproxy(struct imp *im, const char *text, struct imp_model *model);
/* import_keepalived.c: fills model->vrrp. */
void conf_imp_keepalived(struct imp *im, const char *text, struct imp_model *model);
/* import_emit.c: the pgfront.ini. */
void conf_imp_emit(struct imp *im, const struct imp_model *model, struct imp_buf *out);

/* Helpers of both parsers. */
bool conf_imp_numeric_host(const char *text, bool *v6);
/* HAProxy's time format: a number and us/ms/s/m/h/d; bare = default_unit_us. */
int conf_imp_parse_time(const char *text, long long default_unit_us, long long *us);
int conf_imp_parse_int(const char *text, long long min, long long max, long long *out);
/* Copies at most size-1 bytes; true if it all fit. */
bool conf_imp_copy(char *dst, size_t size, const char *src);

#endif
