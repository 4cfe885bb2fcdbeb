#include "outage.h"

#include <string.h>

void pgl_outage_init(struct pgl_outage *o, double start, double min_len)
{
	memset(o, 0, sizeof(*o));
	o->min_len = min_len;
	o->last_ok = start;
	o->longest.from = o->longest.to = start;
}

double pgl_gap_len(const struct pgl_gap *g)
{
	return g->to - g->from;
}

static void close_gap(struct pgl_outage *o, double to, bool to_end)
{
	struct pgl_gap g = {
		.from = o->last_ok,
		.to = to > o->last_ok ? to : o->last_ok,
		.from_start = !o->seen_ok,
		.to_end = to_end,
	};

	/* Ties keep the first: the drill wants to see when it began. */
	if (pgl_gap_len(&g) > pgl_gap_len(&o->longest))
		o->longest = g;
	if (pgl_gap_len(&g) >= o->min_len) {
		if (o->nlist < PGL_OUTAGES_MAX)
			o->list[o->nlist++] = g;
		else
			o->dropped++;
	}
}

void pgl_outage_ok(struct pgl_outage *o, double t)
{
	if (o->finished)
		return;
	close_gap(o, t, false);
	if (t > o->last_ok)
		o->last_ok = t;
	o->seen_ok = true;
	o->successes++;
}

void pgl_outage_finish(struct pgl_outage *o, double end)
{
	if (o->finished)
		return;
	close_gap(o, end, true);
	o->finished = true;
}
