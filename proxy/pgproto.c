#include "proxy/pgproto.h"

#include <string.h>

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum pg_startup_kind pg_startup_classify(const uint8_t header[PG_STARTUP_HEADER_LEN],
                                         uint32_t *len)
{
	uint32_t length = get_be32(header);
	uint32_t code = get_be32(header + 4);

	*len = length;
	switch (code) {
	case PG_CODE_SSL:
		return length == 8 ? PG_STARTUP_SSL : PG_STARTUP_INVALID;
	case PG_CODE_GSSENC:
		return length == 8 ? PG_STARTUP_GSSENC : PG_STARTUP_INVALID;
	case PG_CODE_CANCEL:
		return length == 16 ? PG_STARTUP_CANCEL : PG_STARTUP_INVALID;
	}
	/* A StartupMessage holds at least the version and a terminating NUL. */
	if (code >> 16 == 3 && length > PG_STARTUP_HEADER_LEN && length <= PG_STARTUP_MAX_LEN)
		return PG_STARTUP_V3;
	return PG_STARTUP_INVALID;
}

/* A handshake record of TLS 1.0 to 1.3 (1.3 keeps 3.1 in its records) or SSL 3.0,
 * long enough for a handshake message header (4 bytes). */
static enum pg_startup_kind tls_record(const uint8_t *buf, uint32_t *len)
{
	uint32_t body = (uint32_t)buf[3] << 8 | buf[4];

	if (buf[1] != 3 || buf[2] > 4 || body < 4 || body > PG_TLS_RECORD_MAX)
		return PG_STARTUP_INVALID;
	*len = PG_TLS_HEADER_LEN + body;
	if (*len > PG_STARTUP_MAX_LEN)
		*len = PG_STARTUP_MAX_LEN;
	return PG_STARTUP_TLS;
}

enum pg_startup_kind pg_first_packet(const uint8_t *buf, size_t n, uint32_t *len)
{
	enum pg_startup_kind kind;

	*len = 0;
	if (n >= 1 && buf[0] == PG_TLS_HANDSHAKE) {
		if (n < PG_TLS_HEADER_LEN)
			return PG_STARTUP_INCOMPLETE;
		return tls_record(buf, len);
	}
	if (n < PG_STARTUP_HEADER_LEN)
		return PG_STARTUP_INCOMPLETE;
	kind = pg_startup_classify(buf, len);
	if (kind == PG_STARTUP_INVALID)
		*len = 0;
	return kind;
}

const char *pg_startup_kind_name(enum pg_startup_kind kind)
{
	static const char *const names[] = {
		[PG_STARTUP_SSL] = "SSLRequest",
		[PG_STARTUP_GSSENC] = "GSSENCRequest",
		[PG_STARTUP_CANCEL] = "CancelRequest",
		[PG_STARTUP_V3] = "StartupMessage",
		[PG_STARTUP_INVALID] = "invalid startup packet",
		[PG_STARTUP_TLS] = "TLS ClientHello",
		[PG_STARTUP_INCOMPLETE] = "incomplete startup packet",
	};
	return names[kind];
}

static size_t put_field(uint8_t *out, size_t at, size_t cap, char type, const char *value)
{
	size_t n = strlen(value) + 1;

	if (at + 1 + n > cap)
		return 0;
	out[at] = (uint8_t)type;
	memcpy(out + at + 1, value, n);
	return at + 1 + n;
}

size_t pg_error_response(uint8_t *out, size_t cap, const char *severity,
                         const char *sqlstate, const char *message)
{
	size_t at = 5; /* 'E' and the length, filled in last */

	if (cap < at + 1)
		return 0;
	/* 'S' is localized in real servers; 'V' (since 9.6) never is. */
	if (!(at = put_field(out, at, cap, 'S', severity)) ||
	    !(at = put_field(out, at, cap, 'V', severity)) ||
	    !(at = put_field(out, at, cap, 'C', sqlstate)) ||
	    !(at = put_field(out, at, cap, 'M', message)) || at + 1 > cap)
		return 0;
	out[at++] = 0;
	out[0] = 'E';
	put_be32(out + 1, (uint32_t)(at - 1));
	return at;
}
