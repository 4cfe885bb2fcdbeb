/*
 * The sequence numbers one writer had acknowledged, as ranges: a writer
 * numbers its inserts 1, 2, 3... and only failures cut the run of
 * acknowledged ones, so a run of a million writes usually takes a few
 * ranges. Pure: memory only.
 */
#ifndef PGLOAD_RANGES_H
#define PGLOAD_RANGES_H

#include <stddef.h>
#include <stdint.h>

struct pgl_range {
	int64_t lo, hi;         /* inclusive */
};

struct pgl_ranges {
	struct pgl_range *v;
	size_t n, cap;
	uint64_t count;         /* numbers held */
};

/* Adds X; one above the last range's end extends it. 0, or -1 out of memory. */
int pgl_ranges_add(struct pgl_ranges *r, int64_t x);
/* Adds LO..HI as one range (the acked file read back). 0 or -1. */
int pgl_ranges_add_range(struct pgl_ranges *r, int64_t lo, int64_t hi);
void pgl_ranges_free(struct pgl_ranges *r);

#endif
