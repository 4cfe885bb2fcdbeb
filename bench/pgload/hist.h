/*
 * Latency histogram: log-linear buckets over microseconds, 32 per power of
 * two, so a percentile read back is within 1/32 (3 %) of the true value,
 * in fixed memory whatever the number of samples. Pure: no I/O.
 */
#ifndef PGLOAD_HIST_H
#define PGLOAD_HIST_H

#include <stdint.h>

#define PGL_HIST_SUB_BITS 5
#define PGL_HIST_SUB (1u << PGL_HIST_SUB_BITS)
#define PGL_HIST_MAX_EXP 40            /* 2^41 us, 25 days: beyond is clamped */
#define PGL_HIST_BUCKETS ((PGL_HIST_MAX_EXP - PGL_HIST_SUB_BITS + 2) * PGL_HIST_SUB)

struct pgl_hist {
	uint64_t count;
	uint64_t max;                  /* largest sample, exact */
	uint64_t b[PGL_HIST_BUCKETS];
};

void pgl_hist_reset(struct pgl_hist *h);
void pgl_hist_add(struct pgl_hist *h, uint64_t us);
void pgl_hist_merge(struct pgl_hist *into, const struct pgl_hist *from);
/* The value at percentile P (0 < P <= 100): the highest value of the bucket
 * holding that rank, never above the exact maximum; 0 when empty. */
uint64_t pgl_hist_percentile(const struct pgl_hist *h, double p);

/* Bucket arithmetic, exported for the unit test. */
unsigned pgl_hist_index(uint64_t us);
uint64_t pgl_hist_bucket_low(unsigned index);
uint64_t pgl_hist_bucket_high(unsigned index);

#endif
