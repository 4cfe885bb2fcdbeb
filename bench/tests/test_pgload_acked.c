/* Acknowledged ids (bench/pgload/ranges.c) and their file (ackfile.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ackfile.h"
#include "ranges.h"

static void consecutive_ids_make_one_range(void **state)
{
	struct pgl_ranges r = { 0 };

	(void)state;
	for (int64_t i = 1; i <= 100000; i++)
		assert_int_equal(pgl_ranges_add(&r, i), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.count, 100000);
	assert_int_equal(r.v[0].lo, 1);
	assert_int_equal(r.v[0].hi, 100000);
	pgl_ranges_free(&r);
	assert_null(r.v);
}

static void a_failed_id_splits_the_range(void **state)
{
	struct pgl_ranges r = { 0 };

	(void)state;
	for (int64_t i = 1; i <= 20; i++)
		if (i != 7 && i != 13 && i != 14)
			pgl_ranges_add(&r, i);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.count, 17);
	assert_int_equal(r.v[0].hi, 6);
	assert_int_equal(r.v[1].lo, 8);
	assert_int_equal(r.v[1].hi, 12);
	assert_int_equal(r.v[2].lo, 15);
	assert_int_equal(pgl_ranges_add_range(&r, 30, 29), -1);   /* reversed */
	assert_int_equal(r.count, 17);
	pgl_ranges_free(&r);
}

static void many_ranges_grow(void **state)
{
	struct pgl_ranges r = { 0 };

	(void)state;
	for (int64_t i = 1; i <= 2000; i++)
		pgl_ranges_add(&r, 2 * i);
	assert_int_equal(r.n, 2000);
	assert_int_equal(r.v[1999].lo, 4000);
	pgl_ranges_free(&r);
}

static char path[64];

static int make_path(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/pgload-ackfile-test.%d", (int)getpid());
	return 0;
}

static int remove_path(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void the_file_reads_back_what_was_written(void **state)
{
	struct pgl_ranges in[3] = { { 0 } }, *out = NULL;
	int64_t run_id = 0;
	int n = 0;
	char err[256];

	(void)state;
	pgl_ranges_add_range(&in[0], 1, 5000);
	pgl_ranges_add_range(&in[0], 5002, 9000);
	pgl_ranges_add_range(&in[2], 1, 1);
	assert_int_equal(pgl_ackfile_write(path, 281474976710655, in, 3, err, sizeof(err)), 0);
	assert_int_equal(pgl_ackfile_read(path, &run_id, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(run_id, 281474976710655);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].n, 2);
	assert_int_equal(out[0].count, 8999);
	assert_int_equal(out[1].n, 0);
	assert_int_equal(out[2].v[0].hi, 1);
	for (int i = 0; i < 3; i++) {
		pgl_ranges_free(&in[i]);
		pgl_ranges_free(&out[i]);
	}
	free(out);
}

static void bad_files_say_where(void **state)
{
	static const struct { const char *text, *error; } cases[] = {
		{ "run_id 1\nclients 2\nrange 2 1 5\n", ":3: range of a client outside" },
		{ "run_id 1\nrange 0 1 5\n", ":2: range of a client outside" },
		{ "run_id 1\nclients 1\nrange 0 5 1\n", ":3: bad range" },
		{ "run_id 1\nclients 1\nrange 0 0 1\n", ":3: bad range" },
		{ "run_id 1\nclients 1\nclients 1\n", ":3: bad or repeated" },
		{ "run_id 1\nclients 1\nrange 0 1 2 extra\n", ":3: expected" },
		{ "clients 1\n", ":1: no 'run_id'" },
		{ "run_id 1\nclients 1\nrange 0 1 2", ":3: line too long or not ended" },
		{ "hello\n", ":1: expected" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pgl_ranges *out = NULL;
		int64_t id;
		int n;

		write_file(cases[i].text);
		assert_int_equal(pgl_ackfile_read(path, &id, &out, &n, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].error))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].error);
	}
	unlink(path);
	assert_int_equal(pgl_ackfile_read(path, &(int64_t){ 0 }, &(struct pgl_ranges *){ NULL },
	                                  &(int){ 0 }, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consecutive_ids_make_one_range),
		cmocka_unit_test(a_failed_id_splits_the_range),
		cmocka_unit_test(many_ranges_grow),
		cmocka_unit_test_setup_teardown(the_file_reads_back_what_was_written, make_path,
		                                remove_path),
		cmocka_unit_test_setup_teardown(bad_files_say_where, make_path, remove_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
