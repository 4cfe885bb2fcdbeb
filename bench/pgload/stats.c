#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *pgl_role_name(enum pgl_role role)
{
	static const char *const names[PGL_ROLE_COUNT] = {
		[PGL_ROLE_WRITE] = "write",
		[PGL_ROLE_READ] = "read",
	};
	return (unsigned)role < PGL_ROLE_COUNT ? names[role] : "?";
}

int pgl_stats_init(struct pgl_stats *st, double t0, double outage_min,
                   const int clients[PGL_ROLE_COUNT])
{
	memset(st, 0, sizeof(*st));
	st->t0 = t0;
	st->cap = 64;
	st->secs = calloc(st->cap, sizeof(*st->secs));
	if (!st->secs)
		return -1;
	for (int r = 0; r < PGL_ROLE_COUNT; r++) {
		st->role[r].clients = clients[r];
		pgl_outage_init(&st->role[r].outage, t0, outage_min);
	}
	return 0;
}

void pgl_stats_free(struct pgl_stats *st)
{
	free(st->secs);
	st->secs = NULL;
	st->nsecs = st->cap = 0;
}

static int close_second(struct pgl_stats *st)
{
	if (st->nsecs == st->cap) {
		size_t cap = st->cap * 2;
		struct pgl_sec *v = realloc(st->secs, cap * sizeof(*v));

		if (!v)
			return -1;
		st->secs = v;
		st->cap = cap;
	}
	for (int r = 0; r < PGL_ROLE_COUNT; r++) {
		struct pgl_sec_role *s = &st->pending.r[r];
		struct pgl_hist *h = &st->role[r].sec;

		s->up = (uint32_t)st->role[r].up;
		s->p50_us = pgl_hist_percentile(h, 50);
		s->p95_us = pgl_hist_percentile(h, 95);
		s->p99_us = pgl_hist_percentile(h, 99);
		s->max_us = h->max;
		pgl_hist_reset(h);
	}
	st->secs[st->nsecs++] = st->pending;
	memset(&st->pending, 0, sizeof(st->pending));
	st->cur++;
	return 0;
}

static long second_of(const struct pgl_stats *st, double t)
{
	double d = t - st->t0;

	return d <= 0 ? 0 : (long)floor(d);
}

int pgl_stats_advance(struct pgl_stats *st, double t)
{
	long want = second_of(st, t);

	if (st->finished)
		return 0;
	while (st->cur < want)
		if (close_second(st) < 0)
			return -1;
	return 0;
}

int pgl_stats_ok(struct pgl_stats *st, enum pgl_role role, double t, double latency)
{
	struct pgl_role_stats *rs = &st->role[role];
	uint64_t us = latency <= 0 ? 0 : (uint64_t)llround(latency * 1e6);

	if (st->finished)
		return 0;
	if (pgl_stats_advance(st, t) < 0)
		return -1;
	rs->ok++;
	st->pending.r[role].ok++;
	pgl_hist_add(&rs->run, us);
	pgl_hist_add(&rs->sec, us);
	pgl_outage_ok(&rs->outage, t);
	return 0;
}

static void count_sqlstate(struct pgl_role_stats *rs, const char *code)
{
	for (size_t i = 0; i < rs->nsqlstates; i++) {
		if (strcmp(rs->sqlstates[i].code, code) == 0) {
			rs->sqlstates[i].n++;
			return;
		}
	}
	if (rs->nsqlstates == PGL_SQLSTATES_MAX) {
		rs->sqlstates_dropped++;
		return;
	}
	struct pgl_sqlstate_count *c = &rs->sqlstates[rs->nsqlstates++];
	strncpy(c->code, code, PGL_SQLSTATE_LEN);
	c->code[PGL_SQLSTATE_LEN] = '\0';
	c->n = 1;
}

int pgl_stats_error(struct pgl_stats *st, enum pgl_role role, double t,
                    enum pgl_err kind, enum pgl_phase phase, const char *sqlstate)
{
	struct pgl_role_stats *rs = &st->role[role];

	if (st->finished)
		return 0;
	if (pgl_stats_advance(st, t) < 0)
		return -1;
	rs->err[kind]++;
	rs->phase_err[phase]++;
	st->pending.r[role].err[kind]++;
	if (sqlstate && sqlstate[0])
		count_sqlstate(rs, sqlstate);
	return 0;
}

void pgl_stats_set_up(struct pgl_stats *st, enum pgl_role role, int up)
{
	st->role[role].up = up;
}

static bool second_empty(const struct pgl_sec *s)
{
	for (int r = 0; r < PGL_ROLE_COUNT; r++) {
		if (s->r[r].ok)
			return false;
		for (int k = 0; k < PGL_ERR_COUNT; k++)
			if (s->r[r].err[k])
				return false;
	}
	return true;
}

int pgl_stats_finish(struct pgl_stats *st, double end, double load_end)
{
	if (st->finished)
		return 0;
	if (pgl_stats_advance(st, end) < 0)
		return -1;
	/* The last, partial second is kept if anything happened in it. */
	if (!second_empty(&st->pending) && close_second(st) < 0)
		return -1;
	for (int r = 0; r < PGL_ROLE_COUNT; r++)
		pgl_outage_finish(&st->role[r].outage, load_end > st->t0 ? load_end : st->t0);
	st->end = end;
	st->finished = true;
	return 0;
}
