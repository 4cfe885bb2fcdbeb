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

const char *pg_startup_kind_name(enum pg_startup_kind kind)
{
	static const char *const names[] = {
		[PG_STARTUP_SSL] = "SSLRequest",
		[PG_STARTUP_GSSENC] = "GSSENCRequest",
		[PG_STARTUP_CANCEL] = "CancelRequest",
		[PG_STARTUP_V3] = "StartupMessage",
		[PG_STARTUP_INVALID] = "invalid startup packet",
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
