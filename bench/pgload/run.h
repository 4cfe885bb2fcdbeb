/*
 * One load run: the loop, the options, the counters, and the clients.
 * main.c owns it; clients (client.c) update the counters through stats.h.
 */
#ifndef PGLOAD_RUN_H
#define PGLOAD_RUN_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "opts.h"
#include "stats.h"

#define PGL_EXAMPLE_LEN 300

struct pgl_client;

struct pgl_run {
	struct ev_loop *loop;
	const struct pgl_opts *opts;
	int64_t run_id;
	double t0;                     /* pgl_now() at the start */
	double t0_unix;                /* the same instant, on the wall clock */
	double load_end;               /* pgl_now() when it stopped starting transactions */
	double end;                    /* pgl_now() when the load stopped (drain over) */
	bool interrupted;              /* SIGINT or SIGTERM ended it early */
	bool out_of_memory;            /* counting failed: the run stops */
	bool draining;                 /* time is up: in-flight transactions finish, no new ones */
	int busy;                      /* clients still finishing one */
	struct pgl_stats stats;
	struct pgl_client *clients;
	int nclients;
	int up[PGL_ROLE_COUNT];        /* clients connected right now */
	uint64_t rng;
	/* The first message of each kind of error, for the report and stderr. */
	char example[PGL_ROLE_COUNT][PGL_ERR_COUNT][PGL_EXAMPLE_LEN];
};

/* Seconds on CLOCK_MONOTONIC, and on the wall clock. */
double pgl_now(void);
double pgl_now_unix(void);

/* A line on stderr: "pgload: " then the message. */
void pgl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Counts an error and, the first time its kind is seen for ROLE, prints
 * MESSAGE (libpq's, first line) and keeps it as the example. */
void pgl_run_error(struct pgl_run *run, enum pgl_role role, int client, enum pgl_err kind,
                   enum pgl_phase phase, const char *sqlstate, const char *message);
void pgl_run_ok(struct pgl_run *run, enum pgl_role role, double t, double latency);
void pgl_run_set_up(struct pgl_run *run, enum pgl_role role, int delta);
/* A draining client has finished (or failed) its last transaction. */
void pgl_run_drained(struct pgl_run *run);
/* A random integer in 1..N. */
int pgl_run_random(struct pgl_run *run, int n);

#endif
