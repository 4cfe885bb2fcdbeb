/*
 * libFuzzer target: proxy/pgproto.c, what pgfront reads and writes of the
 * PostgreSQL protocol before a session is relayed.
 *
 * The whole input, and its prefixes, go to pg_first_packet() (what a client
 * sent first, TLS ClientHello included). The input's first 8 bytes are a
 * startup packet's header for
 * pg_startup_classify(); the kind it returns must agree with the length and
 * code in those bytes. The rest is cut at NULs into a severity, a SQLSTATE
 * and a message for pg_error_response(), whose output must read back as the
 * ErrorResponse of the protocol docs ("Message Formats"): 'E', a length that
 * counts itself and the fields, S V C M with the same strings, a final NUL.
 * A buffer size taken from the input exercises the "does not fit" path.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/pgproto.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_classify(const uint8_t *h)
{
	uint32_t len = 0xdeadbeef, want = be32(h), code = be32(h + 4);
	enum pg_startup_kind kind = pg_startup_classify(h, &len);
	const char *name = pg_startup_kind_name(kind);

	if (name == NULL || name[0] == '\0')
		abort();
	switch (kind) {
	case PG_STARTUP_SSL:
		if (len != 8 || code != PG_CODE_SSL)
			abort();
		break;
	case PG_STARTUP_GSSENC:
		if (len != 8 || code != PG_CODE_GSSENC)
			abort();
		break;
	case PG_STARTUP_CANCEL:
		if (len != 16 || code != PG_CODE_CANCEL)
			abort();
		break;
	case PG_STARTUP_V3:
		if (len != want || len <= PG_STARTUP_HEADER_LEN || len > PG_STARTUP_MAX_LEN ||
		    code >> 16 != 3)
			abort();
		break;
	case PG_STARTUP_INVALID:
		/* A request code with its right length is never refused. */
		if ((code == PG_CODE_SSL && want == 8) || (code == PG_CODE_GSSENC && want == 8) ||
		    (code == PG_CODE_CANCEL && want == 16))
			abort();
		return;
	case PG_STARTUP_TLS:
	case PG_STARTUP_INCOMPLETE:
	default:
		abort();
	}
	if (len != want)
		abort();
}

/* Reads one field of type t at *at: the string, or NULL. */
static const char *field(const uint8_t *out, size_t n, size_t *at, char t)
{
	const uint8_t *nul;
	const char *s;

	if (*at >= n || out[*at] != (uint8_t)t)
		return NULL;
	s = (const char *)out + *at + 1;
	nul = memchr(s, 0, n - *at - 1);
	if (nul == NULL)
		return NULL;
	*at = (size_t)(nul - out) + 1;
	return s;
}

/* The next field is of type t and holds want. */
static bool next_is(const uint8_t *out, size_t n, size_t *at, char t, const char *want)
{
	const char *s = field(out, n, at, t);

	return s != NULL && strcmp(s, want) == 0;
}

static void check_error_response(const uint8_t *data, size_t size)
{
	/* Three NUL-terminated strings from the input; missing ones are empty. */
	char *copy = calloc(1, size + 3);
	const char *sev, *state, *msg;
	size_t cap, need, n, at = 5;
	uint8_t *out;

	if (copy == NULL)
		return;
	cap = size ? data[0] * 8u : 0;
	if (size)
		memcpy(copy, data + 1, size - 1);
	sev = copy;
	state = sev + strlen(sev) + 1;
	msg = state + strlen(state) + 1;
	need = 5 + 2 * (strlen(sev) + 2) + strlen(state) + 2 + strlen(msg) + 2 + 1;
	out = malloc(cap ? cap : 1);
	n = pg_error_response(out, cap, sev, state, msg);
	if (n == 0) {
		if (need <= cap)
			abort();
	} else if (n != need || n > cap || out[0] != 'E' || be32(out + 1) != n - 1 ||
	           !next_is(out, n, &at, 'S', sev) || !next_is(out, n, &at, 'V', sev) ||
	           !next_is(out, n, &at, 'C', state) || !next_is(out, n, &at, 'M', msg) ||
	           at != n - 1 || out[at] != 0) {
		abort();
	}
	free(out);
	free(copy);
}

/*
 * pg_first_packet() on the whole input, and on every prefix of it that a
 * client could have sent so far: a prefix never decides differently from the
 * bytes that complete it, except by saying INCOMPLETE; a PostgreSQL packet's
 * kind and length agree with pg_startup_classify(); a length is never 0 for
 * a decided kind nor more than the cap.
 */
static void check_first_packet(const uint8_t *data, size_t size)
{
	uint32_t whole_len = 0xdeadbeef;
	enum pg_startup_kind whole = pg_first_packet(data, size, &whole_len);

	if (whole == PG_STARTUP_INCOMPLETE || whole == PG_STARTUP_INVALID) {
		if (whole_len != 0)
			abort();
	} else if (whole_len == 0 || whole_len > PG_STARTUP_MAX_LEN + PG_TLS_RECORD_MAX) {
		abort();
	}
	if (whole != PG_STARTUP_TLS && whole != PG_STARTUP_INCOMPLETE &&
	    size >= PG_STARTUP_HEADER_LEN) {
		uint32_t len = 0;
		if (pg_startup_classify(data, &len) != whole ||
		    (whole != PG_STARTUP_INVALID && len != whole_len))
			abort();
	}
	for (size_t n = 0; n < size && n <= PG_STARTUP_HEADER_LEN; n++) {
		uint32_t len = 0xdeadbeef;
		enum pg_startup_kind k = pg_first_packet(data, n, &len);
		if (k != PG_STARTUP_INCOMPLETE && (k != whole || len != whole_len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t header[PG_STARTUP_HEADER_LEN] = { 0 };

	memcpy(header, data, size < sizeof header ? size : sizeof header);
	check_classify(header);
	check_first_packet(data, size);
	if (size > sizeof header)
		check_error_response(data + sizeof header, size - sizeof header);
	return 0;
}
