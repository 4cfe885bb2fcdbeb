/*
 * libFuzzer target: stats_http_parse(), the stats server's request parser,
 * and the header checks that follow it (Basic credentials, same origin).
 *
 * Checked besides crashes:
 * - a request read as it arrives (the input cut in pieces, *scanned carried
 *   between calls as stats/server.c does) gives the same answer as one read
 *   of the same bytes at once: the resumed search for the blank line misses
 *   nothing;
 * - a parsed request lies within its buffer (head, body) and keeps the
 *   parser's own promises (a path target, Host on HTTP/1.1, a POST's body
 *   as long as its Content-Length); a refusal has a status and a reason;
 * - base64 decodes what it encodes; credentials accepted decode to them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/internal.h"

#define USER "admin"
#define PASSWORD "s3cret"

static struct stats_request once, piece;

static void check_request(enum stats_parse rc, const struct stats_request *r, const char *buf,
                          size_t len)
{
	if (rc == STATS_PARSE_MORE)
		return;
	if (rc == STATS_PARSE_ERROR) {
		if (r->status < 400 || r->status > 599 || r->error == NULL || r->error[0] == '\0' ||
		    strcmp(stats_http_reason(r->status), "Error") == 0)
			abort();
		return;
	}
	if (rc != STATS_PARSE_DONE || r->head_len == 0 || r->head_len > len ||
	    r->head_len > STATS_HEAD_MAX || r->body != buf + r->head_len ||
	    r->body_len > len - r->head_len || r->target[0] != '/' ||
	    (r->minor != 0 && r->minor != 1) || (r->minor == 1 && !r->has_host) ||
	    strcmp(stats_method_name(r->method), "?") == 0)
		abort();
	if (r->method == STATS_METHOD_POST &&
	    (r->content_length < 0 || r->body_len != (size_t)r->content_length ||
	     r->body_len > STATS_BODY_MAX))
		abort();
	if (r->method != STATS_METHOD_POST && r->body_len != 0)
		abort();
}

/* The same request, up to where the body points. */
static bool same_request(const struct stats_request *a, const char *abuf,
                         const struct stats_request *b, const char *bbuf)
{
	struct stats_request x = *a, y = *b;

	x.body = (const char *)(uintptr_t)(a->body ? a->body - abuf + 1 : 0);
	y.body = (const char *)(uintptr_t)(b->body ? b->body - bbuf + 1 : 0);
	return memcmp(&x, &y, sizeof x) == 0;
}

static size_t b64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0) |
		             (i + 2 < len ? in[i + 2] : 0);
		out[n++] = abc[v >> 18 & 63];
		out[n++] = abc[v >> 12 & 63];
		out[n++] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? abc[v & 63] : '=';
	}
	return n;
}

static void check_auth(const struct stats_request *r)
{
	const char *v = r->authorization;
	size_t vlen = strlen(v), n;
	char enc[4 * (sizeof r->authorization / 3 + 1)];
	unsigned char dec[sizeof r->authorization];
	size_t elen = b64_encode((const unsigned char *)v, vlen, enc);

	if (stats_base64_decode(enc, elen, dec, sizeof dec, &n) != 0 || n != vlen ||
	    memcmp(dec, v, n) != 0)
		abort();
	if (!stats_auth_ok(v, USER, PASSWORD))
		return;
	/* Accepted: "Basic" and the base64 of exactly USER:PASSWORD. */
	v += 6;
	while (*v == ' ')
		v++;
	vlen = strlen(v);
	while (vlen > 0 && v[vlen - 1] == ' ')
		vlen--;
	if (stats_base64_decode(v, vlen, dec, sizeof dec, &n) != 0 ||
	    n != strlen(USER ":" PASSWORD) || memcmp(dec, USER ":" PASSWORD, n) != 0)
		abort();
}

/* The request as it would arrive in pieces; sizes from a seed the input sets. */
static enum stats_parse parse_in_pieces(const char *buf, size_t len, size_t *at)
{
	unsigned seed = (unsigned)len * 2654435761u ^ (len ? (unsigned char)buf[0] : 0);
	size_t scanned = 0, step_max = len / 32 + 2;
	enum stats_parse rc = STATS_PARSE_MORE;

	*at = 0;
	do {
		seed = seed * 1103515245u + 12345u;
		*at += 1 + (seed >> 8) % step_max;
		if (*at > len)
			*at = len;
		rc = stats_http_parse(buf, *at, &scanned, &piece);
	} while (*at < len && rc == STATS_PARSE_MORE);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t scanned = 0, at;
	enum stats_parse rc = stats_http_parse(buf, size, &scanned, &once), rc_pieces;
	char *exact;

	check_request(rc, &once, buf, size);
	if (rc == STATS_PARSE_DONE) {
		check_auth(&once);
		(void)stats_same_origin(&once);
	}
	/* Where the pieces stop, one read of exactly that much agrees. */
	rc_pieces = parse_in_pieces(buf, size, &at);
	exact = malloc(at ? at : 1);
	if (exact == NULL)
		return 0;
	memcpy(exact, buf, at);
	scanned = 0;
	if (stats_http_parse(exact, at, &scanned, &once) != rc_pieces ||
	    !same_request(&once, exact, &piece, buf))
		abort();
	check_request(rc_pieces, &once, exact, at);
	free(exact);
	return 0;
}
