/* The PostgreSQL messages pgfront reads and writes itself, against fixed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proxy/pgproto.h"

static void classifies_negotiation_requests(void **state)
{
	/* What libpq sends first with sslmode=prefer and gssencmode=prefer. */
	const uint8_t ssl[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	const uint8_t gss[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30 };
	const uint8_t cancel[8] = { 0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e };
	uint32_t len;

	(void)state;
	assert_int_equal(pg_startup_classify(ssl, &len), PG_STARTUP_SSL);
	assert_int_equal(len, 8);
	assert_int_equal(pg_startup_classify(gss, &len), PG_STARTUP_GSSENC);
	assert_int_equal(pg_startup_classify(cancel, &len), PG_STARTUP_CANCEL);
	assert_int_equal(len, 16);
}

static void classifies_startup_message(void **state)
{
	/* Protocol 3.0, 84 bytes: user, database and the like follow. */
	const uint8_t v3[8] = { 0, 0, 0, 84, 0, 3, 0, 0 };
	const uint8_t v3_max[8] = { 0, 0, 0x27, 0x10, 0, 3, 0, 0 };   /* 10000 */
	uint32_t len;

	(void)state;
	assert_int_equal(pg_startup_classify(v3, &len), PG_STARTUP_V3);
	assert_int_equal(len, 84);
	assert_int_equal(pg_startup_classify(v3_max, &len), PG_STARTUP_V3);
	assert_int_equal(len, 10000);
}

static void rejects_garbage(void **state)
{
	const uint8_t *bad[] = {
		(const uint8_t *)"GET / HT",                       /* HTTP */
		(const uint8_t[8]){ 0, 0, 0x27, 0x11, 0, 3, 0, 0 },  /* 10001 bytes: too long */
		(const uint8_t[8]){ 0, 0, 0, 8, 0, 3, 0, 0 },        /* no room for parameters */
		(const uint8_t[8]){ 0, 0, 0, 84, 0, 2, 0, 0 },       /* protocol 2 */
		(const uint8_t[8]){ 0, 0, 0, 9, 0x04, 0xd2, 0x16, 0x2f }, /* SSLRequest, wrong length */
		(const uint8_t[8]){ 0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0 }, /* huge */
		(const uint8_t[8]){ 0, 0, 0, 0, 0, 0, 0, 0 },
	};
	uint32_t len;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(pg_startup_classify(bad[i], &len), PG_STARTUP_INVALID);
}

static void error_response_bytes(void **state)
{
	static const uint8_t expected[] = {
		'E', 0, 0, 0, 29,
		'S', 'F', 'A', 'T', 'A', 'L', 0,
		'V', 'F', 'A', 'T', 'A', 'L', 0,
		'C', '5', '7', 'P', '0', '3', 0,
		'M', 'm', 0,
		0,
	};
	uint8_t out[64];
	size_t n = pg_error_response(out, sizeof out, "FATAL", "57P03", "m");

	(void)state;
	assert_int_equal(n, sizeof expected);
	assert_memory_equal(out, expected, sizeof expected);
}

static void error_response_that_does_not_fit(void **state)
{
	uint8_t out[64];
	char message[100];

	(void)state;
	memset(message, 'x', sizeof message - 1);
	message[sizeof message - 1] = 0;
	assert_int_equal(pg_error_response(out, sizeof out, "FATAL", "57P03", message), 0);
	/* Exactly full still fits: 5 + 3 * 7 + 2 + 29 + 1 = 58 for a 29-byte message. */
	message[29] = 0;
	assert_int_equal(pg_error_response(out, 58, "FATAL", "57P03", message), 58);
	assert_int_equal(pg_error_response(out, 57, "FATAL", "57P03", message), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classifies_negotiation_requests),
		cmocka_unit_test(classifies_startup_message),
		cmocka_unit_test(rejects_garbage),
		cmocka_unit_test(error_response_bytes),
		cmocka_unit_test(error_response_that_does_not_fit),
	};
	return cmocka_run_group_tests_name("pgproto", tests, NULL, NULL);
}
