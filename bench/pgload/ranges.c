#include "ranges.h"

#include <stdlib.h>

static int grow(struct pgl_ranges *r)
{
	size_t cap = r->cap ? r->cap * 2 : 8;
	struct pgl_range *v = realloc(r->v, cap * sizeof(*v));

	if (!v)
		return -1;
	r->v = v;
	r->cap = cap;
	return 0;
}

int pgl_ranges_add_range(struct pgl_ranges *r, int64_t lo, int64_t hi)
{
	if (hi < lo)
		return -1;
	if (r->n > 0 && r->v[r->n - 1].hi + 1 == lo) {
		r->v[r->n - 1].hi = hi;
	} else {
		if (r->n == r->cap && grow(r) < 0)
			return -1;
		r->v[r->n++] = (struct pgl_range){ lo, hi };
	}
	r->count += (uint64_t)(hi - lo) + 1;
	return 0;
}

int pgl_ranges_add(struct pgl_ranges *r, int64_t x)
{
	return pgl_ranges_add_range(r, x, x);
}

void pgl_ranges_free(struct pgl_ranges *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
	r->count = 0;
}
