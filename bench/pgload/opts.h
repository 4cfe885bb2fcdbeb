/*
 * pgload's command line. Parsing is pure: it fills struct pgl_opts or an
 * error message, and prints nothing.
 */
#ifndef PGLOAD_OPTS_H
#define PGLOAD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PGL_CLIENTS_MAX 10000

enum pgl_mode {
	PGL_MODE_INSERT,        /* one INSERT of a unique row per transaction */
	PGL_MODE_TPCB,          /* BEGIN; UPDATE an account; INSERT the row; COMMIT */
};

const char *pgl_mode_name(enum pgl_mode mode);

struct pgl_opts {
	int writers, readers;
	const char *write_conninfo;     /* "" means libpq's defaults (PGHOST...) */
	const char *read_conninfo;      /* NULL: the write conninfo */
	const char *verify_conninfo;    /* NULL: the write conninfo */
	const char *setup_conninfo;     /* NULL: the write conninfo */
	bool verify, setup;
	double duration;                /* seconds, as every time below */
	double backoff;
	double connect_timeout;
	double query_timeout;
	double think;
	bool reconnect;                 /* close the session after each transaction */
	double outage_min;
	enum pgl_mode mode;
	int rows;                       /* pgload_accounts rows */
	int64_t run_id;
	bool run_id_set;
	const char *json_path;
	const char *acked_path;
	const char *verify_only_path;   /* verify a previous run's acked file, no load */
	const char *label;              /* copied into the JSON report, e.g. "pgfront switchover" */
	bool quiet;
};

enum pgl_opts_result {
	PGL_OPTS_RUN,
	PGL_OPTS_HELP,
	PGL_OPTS_VERSION,
	PGL_OPTS_ERROR,
};

/* Parses ARGV; on PGL_OPTS_ERROR, ERR says why ("--writers: ..."). */
enum pgl_opts_result pgl_opts_parse(struct pgl_opts *o, int argc, char **argv,
                                    char *err, size_t errlen);
void pgl_opts_usage(FILE *f);

/* CONNINFO with any password replaced by "***" (password=..., and the
 * user:password@ and ?password= of a URI), for reports. */
void pgl_conninfo_redact(const char *conninfo, char *out, size_t cap);

/* The conninfo each use resolves to. */
const char *pgl_opts_read_conninfo(const struct pgl_opts *o);
const char *pgl_opts_verify_conninfo(const struct pgl_opts *o);
const char *pgl_opts_setup_conninfo(const struct pgl_opts *o);

#endif
