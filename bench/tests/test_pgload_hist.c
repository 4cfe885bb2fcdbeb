/* The latency histogram (bench/pgload/hist.c): bucket arithmetic and
 * percentiles within the promised 1/32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "hist.h"

static struct pgl_hist h;

static void buckets_tile_the_range_without_gaps(void **state)
{
	(void)state;
	assert_int_equal(pgl_hist_index(0), 0);
	assert_int_equal(pgl_hist_index(31), 31);
	assert_int_equal(pgl_hist_index(32), 32);
	assert_int_equal(pgl_hist_index(63), 63);
	assert_int_equal(pgl_hist_index(64), 64);
	assert_int_equal(pgl_hist_index(65), 64);
	for (unsigned i = 0; i + 1 < PGL_HIST_BUCKETS; i++) {
		assert_int_equal(pgl_hist_bucket_high(i) + 1, pgl_hist_bucket_low(i + 1));
		assert_int_equal(pgl_hist_index(pgl_hist_bucket_low(i)), i);
		assert_int_equal(pgl_hist_index(pgl_hist_bucket_high(i)), i);
	}
}

static void relative_width_is_at_most_one_32nd(void **state)
{
	(void)state;
	for (unsigned i = PGL_HIST_SUB; i < PGL_HIST_BUCKETS; i++) {
		uint64_t lo = pgl_hist_bucket_low(i), hi = pgl_hist_bucket_high(i);
		assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 32 + 1e-12);
	}
}

static void huge_values_are_clamped_to_the_last_bucket(void **state)
{
	(void)state;
	assert_int_equal(pgl_hist_index(UINT64_MAX), PGL_HIST_BUCKETS - 1);
	pgl_hist_reset(&h);
	pgl_hist_add(&h, UINT64_MAX);
	assert_true(pgl_hist_percentile(&h, 50) == UINT64_MAX);   /* the exact max */
}

static void empty_is_zero(void **state)
{
	(void)state;
	pgl_hist_reset(&h);
	assert_int_equal(pgl_hist_percentile(&h, 50), 0);
	assert_int_equal(pgl_hist_percentile(&h, 99), 0);
}

static void uniform_1_to_10000(void **state)
{
	(void)state;
	pgl_hist_reset(&h);
	for (uint64_t v = 1; v <= 10000; v++)
		pgl_hist_add(&h, v);
	assert_int_equal(h.count, 10000);
	assert_int_equal(h.max, 10000);
	/* The true p50 is 5000, p95 9500, p99 9900: within 1/32 above. */
	assert_in_range(pgl_hist_percentile(&h, 50), 5000, 5000 + 5000 / 32);
	assert_in_range(pgl_hist_percentile(&h, 95), 9500, 9500 + 9500 / 32);
	assert_in_range(pgl_hist_percentile(&h, 99), 9900, 10000);
	assert_int_equal(pgl_hist_percentile(&h, 100), 10000);
}

static void one_slow_outlier_shows_in_p99_only(void **state)
{
	(void)state;
	pgl_hist_reset(&h);
	for (int i = 0; i < 98; i++)
		pgl_hist_add(&h, 100);
	pgl_hist_add(&h, 100000);
	pgl_hist_add(&h, 100000);
	assert_in_range(pgl_hist_percentile(&h, 50), 100, 103);
	assert_in_range(pgl_hist_percentile(&h, 95), 100, 103);
	assert_int_equal(pgl_hist_percentile(&h, 99), 100000);
}

static void merge_adds_counts_and_keeps_the_max(void **state)
{
	static struct pgl_hist a, b;

	(void)state;
	pgl_hist_reset(&a);
	pgl_hist_reset(&b);
	pgl_hist_add(&a, 10);
	pgl_hist_add(&b, 20);
	pgl_hist_add(&b, 5000);
	pgl_hist_merge(&a, &b);
	assert_int_equal(a.count, 3);
	assert_int_equal(a.max, 5000);
	assert_int_equal(pgl_hist_percentile(&a, 1), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_tile_the_range_without_gaps),
		cmocka_unit_test(relative_width_is_at_most_one_32nd),
		cmocka_unit_test(huge_values_are_clamped_to_the_last_bucket),
		cmocka_unit_test(empty_is_zero),
		cmocka_unit_test(uniform_1_to_10000),
		cmocka_unit_test(one_slow_outlier_shows_in_p99_only),
		cmocka_unit_test(merge_adds_counts_and_keeps_the_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
