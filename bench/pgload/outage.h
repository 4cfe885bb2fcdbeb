/*
 * Outage arithmetic for one role (writers or readers): an outage is an
 * interval with no success by any client of the role, measured from the
 * last success before it to the first success after it. The run's start
 * and end bound the first and last intervals, which are flagged, so that a
 * target down at the start, or never back, still counts.
 *
 * Pure: times are seconds on any one clock, given by the caller.
 */
#ifndef PGLOAD_OUTAGE_H
#define PGLOAD_OUTAGE_H

#include <stdbool.h>
#include <stddef.h>

#define PGL_OUTAGES_MAX 256

struct pgl_gap {
	double from, to;
	bool from_start;             /* no success before it: from is the run's start */
	bool to_end;                 /* no success after it: to is the run's end */
};

struct pgl_outage {
	double min_len;              /* gaps at least this long are listed */
	double last_ok;              /* last success, or the run's start */
	bool seen_ok;
	bool finished;
	unsigned long successes;
	struct pgl_gap longest;      /* seconds 0 until the first gap closes */
	struct pgl_gap list[PGL_OUTAGES_MAX];
	size_t nlist;
	size_t dropped;              /* listed gaps beyond PGL_OUTAGES_MAX */
};

void pgl_outage_init(struct pgl_outage *o, double start, double min_len);
/* A success at T. Times must not go backwards; an earlier T is taken as
 * the last one (the loop's clock is monotonic, so this is only rounding). */
void pgl_outage_ok(struct pgl_outage *o, double t);
/* Closes the interval from the last success to END. Call once. */
void pgl_outage_finish(struct pgl_outage *o, double end);
double pgl_gap_len(const struct pgl_gap *g);

#endif
