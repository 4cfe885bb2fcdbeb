#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double pgl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double pgl_now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pgl_log(const char *fmt, ...)
{
	va_list ap;

	fputs("pgload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void out_of_memory(struct pgl_run *run)
{
	if (!run->out_of_memory)
		pgl_log("out of memory for the timeline: stopping the run");
	run->out_of_memory = true;
	ev_break(run->loop, EVBREAK_ALL);
}

/* libpq's messages run over several lines ("DETAIL:", "LOCATION:", hints);
 * the example keeps them, joined by " | ". */
static void flatten(char *out, size_t cap, const char *msg)
{
	size_t n = 0;

	for (const char *p = msg ? msg : ""; *p && n + 4 < cap; p++) {
		if (*p == '\n') {
			if (p[1] == '\0')
				break;
			memcpy(out + n, " | ", 3);
			n += 3;
		} else if (*p != '\r') {
			out[n++] = *p == '\t' ? ' ' : *p;
		}
	}
	out[n] = '\0';
}

void pgl_run_error(struct pgl_run *run, enum pgl_role role, int client, enum pgl_err kind,
                   enum pgl_phase phase, const char *sqlstate, const char *message)
{
	char *ex = run->example[role][kind];
	double t = pgl_now();

	if (pgl_stats_error(&run->stats, role, t, kind, phase, sqlstate) < 0)
		out_of_memory(run);
	if (ex[0])
		return;
	flatten(ex, PGL_EXAMPLE_LEN, message);
	pgl_log("t=%.3fs %s client %d: first '%s' error (%s): %s", t - run->t0,
	        pgl_role_name(role), client, pgl_err_name(kind), pgl_phase_name(phase), ex);
}

void pgl_run_ok(struct pgl_run *run, enum pgl_role role, double t, double latency)
{
	if (pgl_stats_ok(&run->stats, role, t, latency) < 0)
		out_of_memory(run);
}

void pgl_run_set_up(struct pgl_run *run, enum pgl_role role, int delta)
{
	run->up[role] += delta;
	pgl_stats_set_up(&run->stats, role, run->up[role]);
}

void pgl_run_drained(struct pgl_run *run)
{
	if (--run->busy <= 0)
		ev_break(run->loop, EVBREAK_ALL);
}

int pgl_run_random(struct pgl_run *run, int n)
{
	/* xorshift64*: plenty for picking rows. */
	uint64_t x = run->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	run->rng = x;
	return (int)((x * 0x2545F4914F6CDD1DULL) % (uint64_t)n) + 1;
}
