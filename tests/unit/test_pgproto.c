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

static void first_packet_waits_until_it_can_decide(void **state)
{
	const uint8_t v3[8] = { 0, 0, 0, 84, 0, 3, 0, 0 };
	const uint8_t tls[5] = { 0x16, 0x03, 0x01, 0x02, 0x00 };
	uint32_t len = 99;

	(void)state;
	for (size_t n = 0; n < sizeof v3; n++) {
		assert_int_equal(pg_first_packet(v3, n, &len), PG_STARTUP_INCOMPLETE);
		assert_int_equal(len, 0);
	}
	for (size_t n = 1; n < sizeof tls; n++)
		assert_int_equal(pg_first_packet(tls, n, &len), PG_STARTUP_INCOMPLETE);
	assert_int_equal(pg_first_packet(v3, sizeof v3, &len), PG_STARTUP_V3);
	assert_int_equal(len, 84);
}

static void first_packet_kinds_as_classify(void **state)
{
	const uint8_t ssl[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	const uint8_t gss[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30 };
	const uint8_t cancel[16] = { 0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0x30, 0x39,
	                             0xde, 0xad, 0xbe, 0xef };
	const uint8_t http[8] = { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' };
	uint32_t len;

	(void)state;
	assert_int_equal(pg_first_packet(ssl, sizeof ssl, &len), PG_STARTUP_SSL);
	assert_int_equal(len, 8);
	assert_int_equal(pg_first_packet(gss, sizeof gss, &len), PG_STARTUP_GSSENC);
	/* More bytes than the header change nothing: the header decides. */
	assert_int_equal(pg_first_packet(cancel, sizeof cancel, &len), PG_STARTUP_CANCEL);
	assert_int_equal(len, 16);
	assert_int_equal(pg_first_packet(http, sizeof http, &len), PG_STARTUP_INVALID);
	assert_int_equal(len, 0);
}

static void first_packet_tls_client_hello(void **state)
{
	/* The first bytes of a ClientHello as OpenSSL sends it: record version
	 * 3.1 whatever the TLS version, then handshake type 1. */
	const uint8_t hello[9] = { 0x16, 0x03, 0x01, 0x01, 0x2c, 0x01, 0x00, 0x01, 0x28 };
	const uint8_t big[5] = { 0x16, 0x03, 0x03, 0x40, 0x00 };    /* 16384: cut */
	const uint8_t *bad[] = {
		(const uint8_t[5]){ 0x16, 0x02, 0x00, 0x00, 0x10 },  /* SSL 2 version */
		(const uint8_t[5]){ 0x16, 0x03, 0x05, 0x00, 0x10 },  /* unknown 3.5 */
		(const uint8_t[5]){ 0x16, 0x03, 0x01, 0x00, 0x03 },  /* shorter than a handshake header */
		(const uint8_t[5]){ 0x16, 0x03, 0x01, 0x40, 0x01 },  /* 16385: over 2^14 */
	};
	uint32_t len;

	(void)state;
	assert_int_equal(pg_first_packet(hello, sizeof hello, &len), PG_STARTUP_TLS);
	assert_int_equal(len, 5 + 300);
	assert_int_equal(pg_first_packet(big, sizeof big, &len), PG_STARTUP_TLS);
	assert_int_equal(len, PG_STARTUP_MAX_LEN);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(pg_first_packet(bad[i], 5, &len), PG_STARTUP_INVALID);
		assert_int_equal(len, 0);
	}
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
		cmocka_unit_test(first_packet_waits_until_it_can_decide),
		cmocka_unit_test(first_packet_kinds_as_classify),
		cmocka_unit_test(first_packet_tls_client_hello),
		cmocka_unit_test(error_response_bytes),
		cmocka_unit_test(error_response_that_does_not_fit),
	};
	return cmocka_run_group_tests_name("pgproto", tests, NULL, NULL);
}
