#include "hist.h"

#include <math.h>
#include <string.h>

void pgl_hist_reset(struct pgl_hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned pgl_hist_index(uint64_t us)
{
	unsigned e;

	if (us < PGL_HIST_SUB)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);
	if (e > PGL_HIST_MAX_EXP)
		return PGL_HIST_BUCKETS - 1;
	/* e >= SUB_BITS: the top SUB_BITS+1 bits of us pick the bucket. */
	return (e - PGL_HIST_SUB_BITS + 1) * PGL_HIST_SUB +
	       (unsigned)(us >> (e - PGL_HIST_SUB_BITS)) - PGL_HIST_SUB;
}

uint64_t pgl_hist_bucket_low(unsigned index)
{
	unsigned group = index / PGL_HIST_SUB, sub = index % PGL_HIST_SUB;

	if (group == 0)
		return index;
	return (uint64_t)(PGL_HIST_SUB + sub) << (group - 1);
}

uint64_t pgl_hist_bucket_high(unsigned index)
{
	unsigned group = index / PGL_HIST_SUB;

	if (group == 0)
		return index;
	return pgl_hist_bucket_low(index) + ((uint64_t)1 << (group - 1)) - 1;
}

void pgl_hist_add(struct pgl_hist *h, uint64_t us)
{
	h->b[pgl_hist_index(us)]++;
	h->count++;
	if (us > h->max)
		h->max = us;
}

void pgl_hist_merge(struct pgl_hist *into, const struct pgl_hist *from)
{
	for (unsigned i = 0; i < PGL_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	into->count += from->count;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t pgl_hist_percentile(const struct pgl_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		p = 1e-9;
	if (p > 100)
		p = 100;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < PGL_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			/* The last bucket holds everything clamped: its bound means nothing. */
			uint64_t v = i == PGL_HIST_BUCKETS - 1 ? h->max : pgl_hist_bucket_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
