/* Outage arithmetic (bench/pgload/outage.c): the longest interval with no
 * success, from the last success before it to the first after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "outage.h"

#define EPS 1e-9

static void gap_is(const struct pgl_gap *g, double from, double to, int from_start, int to_end)
{
	assert_float_equal(g->from, from, EPS);
	assert_float_equal(g->to, to, EPS);
	assert_int_equal(g->from_start, from_start);
	assert_int_equal(g->to_end, to_end);
}

static void steady_successes_have_small_gaps(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 100.0, 0.5);
	for (int i = 1; i <= 100; i++)
		pgl_outage_ok(&o, 100.0 + i * 0.01);
	pgl_outage_finish(&o, 101.005);
	assert_float_equal(pgl_gap_len(&o.longest), 0.01, 1e-6);
	assert_int_equal(o.nlist, 0);
	assert_int_equal(o.successes, 100);
}

static void a_gap_is_measured_from_last_success_to_first_after(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 0.0, 0.5);
	pgl_outage_ok(&o, 0.1);
	pgl_outage_ok(&o, 0.2);
	pgl_outage_ok(&o, 2.45);        /* 2.25 s with no success */
	pgl_outage_ok(&o, 2.5);
	pgl_outage_finish(&o, 3.0);
	gap_is(&o.longest, 0.2, 2.45, 0, 0);
	assert_int_equal(o.nlist, 2);   /* that one, and 2.5 .. end (0.5 s) */
	gap_is(&o.list[0], 0.2, 2.45, 0, 0);
	gap_is(&o.list[1], 2.5, 3.0, 0, 1);
}

static void the_longest_of_several_wins_and_ties_keep_the_first(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 0.0, 1.0);
	pgl_outage_ok(&o, 0.0);
	pgl_outage_ok(&o, 1.5);         /* 1.5 */
	pgl_outage_ok(&o, 4.5);         /* 3.0 */
	pgl_outage_ok(&o, 7.5);         /* 3.0 again: not longer */
	pgl_outage_ok(&o, 7.6);
	pgl_outage_finish(&o, 7.7);
	gap_is(&o.longest, 1.5, 4.5, 0, 0);
	assert_int_equal(o.nlist, 3);
}

static void down_from_the_start_counts_from_the_start(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 10.0, 0.5);
	pgl_outage_ok(&o, 13.0);
	pgl_outage_finish(&o, 13.1);
	gap_is(&o.longest, 10.0, 13.0, 1, 0);
}

static void never_back_counts_to_the_end(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 0.0, 0.5);
	pgl_outage_ok(&o, 1.0);
	pgl_outage_finish(&o, 9.0);
	gap_is(&o.longest, 1.0, 9.0, 0, 1);
}

static void no_success_at_all_is_the_whole_run(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 5.0, 0.5);
	pgl_outage_finish(&o, 15.0);
	gap_is(&o.longest, 5.0, 15.0, 1, 1);
	assert_int_equal(o.successes, 0);
	/* finish twice changes nothing, nor does a late success */
	pgl_outage_finish(&o, 20.0);
	pgl_outage_ok(&o, 21.0);
	gap_is(&o.longest, 5.0, 15.0, 1, 1);
	assert_int_equal(o.nlist, 1);
}

static void a_time_going_backwards_is_no_gap(void **state)
{
	struct pgl_outage o;

	(void)state;
	pgl_outage_init(&o, 0.0, 0.5);
	pgl_outage_ok(&o, 2.0);
	pgl_outage_ok(&o, 1.9);         /* rounding between clients: ignored */
	pgl_outage_ok(&o, 2.1);
	pgl_outage_finish(&o, 2.2);
	gap_is(&o.longest, 0.0, 2.0, 1, 0);
	assert_float_equal(o.last_ok, 2.1, EPS);
}

static void the_list_is_bounded_and_counts_what_it_drops(void **state)
{
	struct pgl_outage o;
	double t = 0;

	(void)state;
	pgl_outage_init(&o, 0.0, 0.5);
	for (int i = 0; i < PGL_OUTAGES_MAX + 10; i++) {
		t += 1.0;
		pgl_outage_ok(&o, t);
	}
	pgl_outage_finish(&o, t);       /* a 0 s last gap: not listed */
	assert_int_equal(o.nlist, PGL_OUTAGES_MAX);
	assert_int_equal(o.dropped, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(steady_successes_have_small_gaps),
		cmocka_unit_test(a_gap_is_measured_from_last_success_to_first_after),
		cmocka_unit_test(the_longest_of_several_wins_and_ties_keep_the_first),
		cmocka_unit_test(down_from_the_start_counts_from_the_start),
		cmocka_unit_test(never_back_counts_to_the_end),
		cmocka_unit_test(no_success_at_all_is_the_whole_run),
		cmocka_unit_test(a_time_going_backwards_is_no_gap),
		cmocka_unit_test(the_list_is_bounded_and_counts_what_it_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
