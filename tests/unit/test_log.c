/*
 * log: lines go through a bounded buffer once the loop runs. Driven with a
 * pipe put in place of stderr that nobody reads (shrunk to one page so that
 * it fills at once): logging must not wait, lines that do not fit are
 * dropped whole and counted, and what arrives is whole lines in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define FLOOD 3000
#define PAD 200

static int saved_stderr = -1;
static int reader = -1;
static struct ev_loop *loop;
static char got[4 << 20];
static size_t got_len;

/* stderr becomes the write end of a one-page pipe; the test holds the read end. */
static int setup(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	saved_stderr = dup(2);
	assert_int_equal(dup2(p[1], 2), 2);
	close(p[1]);
	reader = p[0];
	loop = ev_loop_new(EVFLAG_AUTO);
	got_len = 0;
	unsetenv("JOURNAL_STREAM");
	log_set_level(LOG_LEVEL_DEBUG);
	alarm(20); /* a log call that waits for the reader hangs: fail instead */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	log_flush_and_detach();
	dup2(saved_stderr, 2);
	close(saved_stderr);
	close(reader);
	ev_loop_destroy(loop);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the pipe and runs the loop (which flushes) until 0.3 s pass quietly. */
static void drain(void)
{
	double quiet_since = now();

	while (now() - quiet_since < 0.3) {
		ssize_t n = read(reader, got + got_len, sizeof got - 1 - got_len);
		if (n > 0) {
			got_len += (size_t)n;
			quiet_since = now();
		}
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	got[got_len] = 0;
}

static const char *pad(void)
{
	static char p[PAD + 1];

	memset(p, 'x', PAD);
	return p;
}

static void test_direct_before_the_loop(void **state)
{
	(void)state;
	log_notice("before the loop %d", 1);
	drain();
	assert_non_null(strstr(got, " pgfront[notice]: before the loop 1\n"));
	/* a timestamp first: "YYYY-MM-DD HH:MM:SS.mmm " */
	assert_int_equal(got[4], '-');
	assert_int_equal(got[19], '.');
}

static void test_overflow_drops_whole_lines_and_says_so(void **state)
{
	unsigned long dropped = 0;
	int expect = 0, notices = 0, arrived = 0;
	char *line, *save;

	(void)state;
	log_attach_loop(loop);
	/* ~700 KB into a 4 KiB pipe nobody reads: returns at once. */
	for (int i = 0; i < FLOOD; i++)
		log_info("line %d %s", i, pad());
	log_debug("not let through while the pipe is full");
	drain();
	log_warning("after the flood");
	drain();
	assert_true(got_len > 4096);
	assert_int_equal(got[got_len - 1], '\n');
	for (line = strtok_r(got, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *msg = strstr(line, " pgfront[");
		int n;
		unsigned long d;

		assert_non_null(msg);
		if (sscanf(msg, " pgfront[warning]: %lu log lines dropped", &d) == 1) {
			dropped += d;
			notices++;
			expect = FLOOD;   /* nothing of the flood came after the buffer filled */
			continue;
		}
		if (strstr(msg, "after the flood"))
			break;
		assert_int_equal(sscanf(msg, " pgfront[info]: line %d", &n), 1);
		assert_int_equal(n, expect);              /* in order, none missing before the drop */
		assert_int_equal(strlen(strrchr(line, ' ') + 1), PAD); /* not cut */
		expect++;
		arrived++;
	}
	assert_non_null(line);                         /* "after the flood" arrived */
	assert_int_equal(notices, 1);
	/* the lines after the buffer filled, and the debug line */
	assert_int_equal(dropped, (unsigned long)(FLOOD - arrived + 1));
}

/* Counts the flood's lines that arrived, and those the notice says were dropped. */
static void test_every_line_arrives_or_is_counted(void **state)
{
	unsigned long dropped = 0, arrived = 0, d;
	char *line, *save;

	(void)state;
	log_attach_loop(loop);
	for (int i = 0; i < FLOOD; i++)
		log_info("line %d %s", i, pad());
	drain();
	log_flush_and_detach();
	drain();
	for (line = strtok_r(got, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(strstr(line, " pgfront["), " pgfront[warning]: %lu log lines dropped", &d) == 1)
			dropped += d;
		else if (strstr(line, " pgfront[info]: line "))
			arrived++;
	}
	assert_true(arrived > 0);
	assert_true(dropped > 0);
	assert_int_equal(arrived + dropped, FLOOD);
}

static void test_journal_stream_gets_the_priority_prefix(void **state)
{
	struct stat st;
	char env[64];

	(void)state;
	assert_int_equal(fstat(2, &st), 0);
	snprintf(env, sizeof env, "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_attach_loop(loop);
	log_warning("to the journal %d", 7);
	log_err("an error");
	log_debug("some detail");
	drain();
	assert_string_equal(got, "<4>warning: to the journal 7\n<3>err: an error\n"
	                         "<7>debug: some detail\n");
}

static void test_other_journal_stream_keeps_timestamps(void **state)
{
	(void)state;
	setenv("JOURNAL_STREAM", "1:2", 1);
	log_attach_loop(loop);
	log_warning("not the journal");
	drain();
	assert_int_equal(got[0], '2');  /* the year */
	assert_non_null(strstr(got, " pgfront[warning]: not the journal\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_direct_before_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_drops_whole_lines_and_says_so, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_every_line_arrives_or_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_stream_gets_the_priority_prefix, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_other_journal_stream_keeps_timestamps, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
