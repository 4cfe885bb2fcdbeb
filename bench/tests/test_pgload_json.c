/* The JSON writer (bench/pgload/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static char *buf;
static size_t len;

static FILE *open_mem(void)
{
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	return f;
}

static void nesting_commas_and_indentation(void **state)
{
	struct pgl_json j;
	FILE *f = open_mem();

	(void)state;
	pgl_json_init(&j, f);
	pgl_json_object(&j, NULL);
	pgl_json_int(&j, "a", -1);
	pgl_json_array(&j, "list");
	pgl_json_object(&j, NULL);
	pgl_json_uint(&j, "t", 0);
	pgl_json_object(&j, "deep");
	pgl_json_end(&j);
	pgl_json_end(&j);
	pgl_json_end(&j);
	pgl_json_num(&j, "x", 1.23456, 3);
	pgl_json_num(&j, "nan", NAN, 3);
	pgl_json_bool(&j, "b", true);
	pgl_json_null(&j, "n");
	pgl_json_str(&j, "s", NULL);
	pgl_json_end(&j);
	assert_int_equal(pgl_json_close(&j), 0);
	fclose(f);
	assert_string_equal(buf,
		"{\n"
		"  \"a\":-1,\n"
		"  \"list\":[\n"
		"    {\"t\":0,\"deep\":{}}\n"
		"  ],\n"
		"  \"x\":1.235,\n"
		"  \"nan\":null,\n"
		"  \"b\":true,\n"
		"  \"n\":null,\n"
		"  \"s\":null\n"
		"}\n");
	free(buf);
}

static void strings_are_escaped(void **state)
{
	FILE *f = open_mem();

	(void)state;
	pgl_json_write_string(f, "a\"b\\c\nd\te\x01 host='x'");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001 host='x'\"");
	free(buf);
}

static void unbalanced_is_reported(void **state)
{
	struct pgl_json j;
	FILE *f = open_mem();

	(void)state;
	pgl_json_init(&j, f);
	pgl_json_object(&j, NULL);
	assert_int_equal(pgl_json_close(&j), -1);
	pgl_json_init(&j, f);
	pgl_json_end(&j);
	assert_int_equal(pgl_json_close(&j), -1);
	pgl_json_init(&j, f);
	for (int i = 0; i < PGL_JSON_MAX_DEPTH + 2; i++)
		pgl_json_array(&j, NULL);
	for (int i = 0; i < PGL_JSON_MAX_DEPTH + 2; i++)
		pgl_json_end(&j);
	assert_int_equal(pgl_json_close(&j), -1);
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nesting_commas_and_indentation),
		cmocka_unit_test(strings_are_escaped),
		cmocka_unit_test(unbalanced_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
