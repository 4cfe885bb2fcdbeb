/*
 * Everything pgload counts: per role (writers, readers) the totals, errors
 * by kind and by SQLSTATE, latency histograms, outages, and a timeline of
 * one entry per second of the run. Pure: the caller gives every time (in
 * seconds, on the clock T0 was read from); nothing here does I/O.
 */
#ifndef PGLOAD_STATS_H
#define PGLOAD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errkind.h"
#include "hist.h"
#include "outage.h"

enum pgl_role {
	PGL_ROLE_WRITE,
	PGL_ROLE_READ,
	PGL_ROLE_COUNT
};

const char *pgl_role_name(enum pgl_role role);   /* "write", "read" */

#define PGL_SQLSTATES_MAX 32

struct pgl_sqlstate_count {
	char code[PGL_SQLSTATE_LEN + 1];
	uint64_t n;
};

struct pgl_sec_role {
	uint32_t ok;
	uint32_t err[PGL_ERR_COUNT];
	uint32_t up;                  /* clients connected as the second ended */
	uint64_t p50_us, p95_us, p99_us, max_us;
};

struct pgl_sec {
	struct pgl_sec_role r[PGL_ROLE_COUNT];
};

struct pgl_role_stats {
	int clients;
	int up;
	uint64_t ok;
	uint64_t err[PGL_ERR_COUNT];
	uint64_t phase_err[PGL_PHASE_COUNT];
	struct pgl_sqlstate_count sqlstates[PGL_SQLSTATES_MAX];
	size_t nsqlstates;
	uint64_t sqlstates_dropped;   /* errors whose SQLSTATE found no slot */
	struct pgl_hist run;          /* the whole run */
	struct pgl_hist sec;          /* the second being filled */
	struct pgl_outage outage;
};

struct pgl_stats {
	double t0;
	long cur;                     /* index of the second being filled */
	struct pgl_sec pending;       /* its counters */
	struct pgl_sec *secs;         /* closed seconds 0 .. nsecs-1 */
	size_t nsecs, cap;
	bool finished;
	double end;
	struct pgl_role_stats role[PGL_ROLE_COUNT];
};

/* 0, or -1 out of memory. */
int pgl_stats_init(struct pgl_stats *st, double t0, double outage_min,
                   const int clients[PGL_ROLE_COUNT]);
void pgl_stats_free(struct pgl_stats *st);

/* Closes every second that ended before T. 0, or -1 out of memory. */
int pgl_stats_advance(struct pgl_stats *st, double t);
int pgl_stats_ok(struct pgl_stats *st, enum pgl_role role, double t, double latency);
/* SQLSTATE may be "" (none). */
int pgl_stats_error(struct pgl_stats *st, enum pgl_role role, double t,
                    enum pgl_err kind, enum pgl_phase phase, const char *sqlstate);
void pgl_stats_set_up(struct pgl_stats *st, enum pgl_role role, int up);
/* Ends the run at END (the drain over): closes the last (partial) second,
 * and the outages at LOAD_END, when the load stopped starting transactions:
 * the drain starts none, so a last interval that ran on through it would
 * be an outage of pgload's making. */
int pgl_stats_finish(struct pgl_stats *st, double end, double load_end);

#endif
