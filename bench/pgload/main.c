/*
 * pgload: writers and readers on PostgreSQL that survive failover. See
 * bench/README.md for the options, the output and the JSON report.
 */
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ackfile.h"
#include "client.h"
#include "db.h"
#include "opts.h"
#include "report.h"
#include "run.h"
#include "version.h"

#define EXIT_LOST 1
#define EXIT_USAGE 2
#define SETUP_TIMEOUT 10.0          /* seconds to reach the server for setup */
#define DRAIN_MAX 2.0               /* seconds the last transactions may take */

struct timers {
	ev_timer tick, end;
	ev_signal sigint, sigterm;
	size_t printed;              /* seconds already printed */
};

static int64_t random_run_id(void)
{
	uint64_t x = 0;

	if (getrandom(&x, sizeof(x), 0) != sizeof(x))
		x = (uint64_t)getpid() << 32 ^ (uint64_t)(pgl_now_unix() * 1e6);
	/* 48 bits: exact as a JSON number in every parser (doubles). */
	return (int64_t)(x & 0xFFFFFFFFFFFFULL);
}

/* Every client holds a socket; the default soft limit (1024) is too low
 * for the larger drills. */
static void raise_fd_limit(int clients)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)clients + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		pgl_log("warning: open files limited to %lu, %d clients need %lu",
		        (unsigned long)rl.rlim_cur, clients, (unsigned long)want);
}

static void print_seconds(struct pgl_run *run, struct timers *t)
{
	for (; t->printed < run->stats.nsecs; t->printed++)
		if (!run->opts->quiet)
			pgl_report_second(stderr, run, t->printed);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgl_run *run = ev_userdata(loop);
	struct timers *t = w->data;
	double now = pgl_now();

	(void)revents;
	if (pgl_stats_advance(&run->stats, now) < 0) {
		run->out_of_memory = true;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	print_seconds(run, t);
	/* Just past the next second's end, so that it is closed by then. */
	ev_timer_set(w, run->t0 + (double)(run->stats.cur + 1) + 0.001 - now, 0.);
	ev_timer_start(loop, w);
}

static void end_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct pgl_run *run = ev_userdata(loop);

	(void)revents;
	pgl_log("%s: stopping", strsignal(w->signum));
	run->interrupted = true;
	ev_break(loop, EVBREAK_ALL);
}

static void start_timers(struct pgl_run *run, struct timers *t)
{
	ev_timer_init(&t->tick, tick_cb, 1.001, 0.);
	t->tick.data = t;
	ev_timer_start(run->loop, &t->tick);
	ev_timer_init(&t->end, end_cb, run->opts->duration, 0.);
	ev_timer_start(run->loop, &t->end);
	ev_signal_init(&t->sigint, signal_cb, SIGINT);
	ev_signal_start(run->loop, &t->sigint);
	ev_signal_init(&t->sigterm, signal_cb, SIGTERM);
	ev_signal_start(run->loop, &t->sigterm);
}

static void stop_timers(struct pgl_run *run, struct timers *t)
{
	ev_timer_stop(run->loop, &t->tick);
	ev_timer_stop(run->loop, &t->end);
	ev_signal_stop(run->loop, &t->sigint);
	ev_signal_stop(run->loop, &t->sigterm);
}

static int init_run(struct pgl_run *run, const struct pgl_opts *o)
{
	const int clients[PGL_ROLE_COUNT] = { o->writers, o->readers };

	memset(run, 0, sizeof(*run));
	run->opts = o;
	run->run_id = o->run_id_set ? o->run_id : random_run_id();
	run->rng = ((uint64_t)run->run_id * 2654435761u) | 1;   /* xorshift needs non-zero */
	run->nclients = o->writers + o->readers;
	run->clients = calloc((size_t)run->nclients, sizeof(*run->clients));
	run->loop = ev_default_loop(EVFLAG_AUTO);
	if (!run->clients || !run->loop)
		return -1;
	ev_set_userdata(run->loop, run);
	for (int i = 0; i < run->nclients; i++) {
		bool w = i < o->writers;

		pgl_client_init(&run->clients[i], run, w ? PGL_ROLE_WRITE : PGL_ROLE_READ,
		                w ? i : i - o->writers);
	}
	run->t0 = pgl_now();
	run->t0_unix = pgl_now_unix();
	return pgl_stats_init(&run->stats, run->t0, o->outage_min, clients);
}

/* Lets the transactions in flight end, so that what was committed was
 * acknowledged (unless one takes longer than DRAIN_MAX: it is then left in
 * doubt, neither acknowledged nor failed). */
static void drain(struct pgl_run *run, struct timers *t)
{
	double limit = run->opts->query_timeout < DRAIN_MAX ? run->opts->query_timeout : DRAIN_MAX;

	run->draining = true;
	run->busy = 0;
	for (int i = 0; i < run->nclients; i++)
		if (pgl_client_drain(&run->clients[i]))
			run->busy++;
	if (run->busy == 0)
		return;
	ev_timer_stop(run->loop, &t->end);
	ev_timer_set(&t->end, limit, 0.);
	ev_timer_start(run->loop, &t->end);
	ev_run(run->loop, 0);
}

/* Runs the load until the duration ends or a signal; 0, or -1 out of memory. */
static int load(struct pgl_run *run)
{
	struct timers t = { 0 };

	start_timers(run, &t);
	for (int i = 0; i < run->nclients; i++)
		pgl_client_start(&run->clients[i]);
	ev_run(run->loop, 0);
	run->load_end = pgl_now();
	if (!run->out_of_memory)
		drain(run, &t);
	run->end = pgl_now();
	stop_timers(run, &t);
	if (pgl_stats_finish(&run->stats, run->end, run->load_end) < 0)
		run->out_of_memory = true;
	for (int i = 0; i < run->nclients; i++)
		pgl_client_stop(&run->clients[i]);
	print_seconds(run, &t);
	return run->out_of_memory ? -1 : 0;
}

/* The writers' acknowledged ids, one struct pgl_ranges per writer. */
static struct pgl_ranges *gather_acked(struct pgl_run *run, bool *complete)
{
	struct pgl_ranges *acked = calloc((size_t)run->opts->writers + 1, sizeof(*acked));

	*complete = !run->out_of_memory;
	if (!acked)
		return NULL;
	for (int i = 0; i < run->opts->writers; i++) {
		acked[i] = run->clients[i].acked;   /* shallow: the clients keep them */
		if (run->clients[i].out_of_memory)
			*complete = false;
	}
	return acked;
}

static int finish(const struct pgl_opts *o, struct pgl_run *run, int64_t run_id,
                  struct pgl_ranges *acked, int nwriters, bool complete)
{
	struct pgl_verify v = { 0 };
	bool attempted = o->verify && nwriters > 0;
	const char *vc = pgl_opts_verify_conninfo(o);
	char err[512];
	int rc = 0;

	if (attempted) {
		pgl_db_verify(vc, run_id, acked, nwriters, &v);
		if (v.done && !complete) {
			v.done = false;
			snprintf(v.error, sizeof(v.error),
			         "pgload ran out of memory: some acknowledged ids were not kept");
		}
		if (!v.done || v.lost > 0)
			rc = EXIT_LOST;
	}
	pgl_report_summary(stdout, run, &v, attempted);
	fflush(stdout);
	if (o->json_path &&
	    pgl_report_json(o->json_path, o->label, run, run_id, &v, attempted, vc, err,
	                    sizeof(err)) < 0) {
		pgl_log("%s", err);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int run_load(const struct pgl_opts *o)
{
	struct pgl_run run;
	struct pgl_ranges *acked;
	char err[512];
	bool complete;
	int rc;

	raise_fd_limit(o->writers + o->readers);
	if (o->setup &&
	    pgl_db_setup(pgl_opts_setup_conninfo(o), o->rows, SETUP_TIMEOUT, err, sizeof(err)) < 0) {
		pgl_log("%s", err);
		return EXIT_USAGE;
	}
	if (init_run(&run, o) < 0) {
		pgl_log("out of memory");
		return EXIT_USAGE;
	}
	load(&run);
	acked = gather_acked(&run, &complete);
	if (!acked) {
		pgl_log("out of memory");
		rc = EXIT_LOST;
	} else {
		if (o->acked_path &&
		    pgl_ackfile_write(o->acked_path, run.run_id, acked, o->writers, err,
		                      sizeof(err)) < 0)
			pgl_log("%s", err);
		rc = finish(o, &run, run.run_id, acked, o->writers, complete);
	}
	free(acked);
	for (int i = 0; i < run.nclients; i++)
		pgl_client_free(&run.clients[i]);
	free(run.clients);
	pgl_stats_free(&run.stats);
	ev_loop_destroy(run.loop);
	return rc;
}

static int run_verify_only(const struct pgl_opts *o)
{
	struct pgl_ranges *acked;
	int64_t run_id;
	int n, rc;
	char err[512];

	if (pgl_ackfile_read(o->verify_only_path, &run_id, &acked, &n, err, sizeof(err)) < 0) {
		pgl_log("%s", err);
		return EXIT_USAGE;
	}
	rc = finish(o, NULL, run_id, acked, n, true);
	for (int i = 0; i < n; i++)
		pgl_ranges_free(&acked[i]);
	free(acked);
	return rc;
}

int main(int argc, char **argv)
{
	struct pgl_opts o;
	char err[512];

	switch (pgl_opts_parse(&o, argc, argv, err, sizeof(err))) {
	case PGL_OPTS_HELP:
		pgl_opts_usage(stdout);
		return 0;
	case PGL_OPTS_VERSION:
		printf("pgload %s (libpq %d)\n", PGLOAD_VERSION, PQlibVersion());
		return 0;
	case PGL_OPTS_ERROR:
		pgl_log("%s", err);
		return EXIT_USAGE;
	case PGL_OPTS_RUN:
		break;
	}
	/* A write to a connection the server closed must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	return o.verify_only_path ? run_verify_only(&o) : run_load(&o);
}
