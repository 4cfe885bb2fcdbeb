/*
 * The HTTP/1.x request parser of the stats server. Pure: a buffer in, a
 * struct stats_request out, or the status to refuse it with.
 *
 * Deliberately strict, since nothing but browsers, curl, Prometheus and
 * `pgfront ctl` has reason to talk to it: one request per connection, bodies
 * only with Content-Length (Transfer-Encoding is refused, which also closes
 * the door on request smuggling), no obsolete line folding, a bounded head
 * and body. Lines may end in CRLF or a bare LF (RFC 9112 section 2.2).
 */
#include <string.h>

#include "stats/internal.h"

#define HEADERS_MAX 100

static const char *const method_names[] = {
	[STATS_METHOD_GET] = "GET",
	[STATS_METHOD_HEAD] = "HEAD",
	[STATS_METHOD_POST] = "POST",
};

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 303, "See Other" }, { 400, "Bad Request" },
	{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 411, "Length Required" }, { 413, "Content Too Large" },
	{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
	{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
	{ 501, "Not Implemented" }, { 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *stats_http_reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}

const char *stats_method_name(enum stats_method method)
{
	if ((unsigned)method >= sizeof method_names / sizeof method_names[0])
		return "?";
	return method_names[method];
}

static enum stats_parse fail(struct stats_request *req, int status, const char *why)
{
	req->status = status;
	req->error = why;
	return STATS_PARSE_ERROR;
}

/* RFC 9110 section 5.6.2 */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The length of the head up to and including its blank line, or 0 if not all here. */
static size_t head_end(const char *buf, size_t len, size_t *scanned)
{
	size_t i = *scanned > 2 ? *scanned - 2 : 0;

	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i >= 1 && buf[i - 1] == '\n')
			return i + 1;
		if (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n')
			return i + 1;
	}
	*scanned = len;
	return 0;
}

/* Copies a value that must fit; false if it does not. */
static bool copy_value(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static enum stats_parse parse_method(struct stats_request *req, const char *m, size_t len)
{
	for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
		if (strlen(method_names[i]) == len && memcmp(method_names[i], m, len) == 0) {
			req->method = (enum stats_method)i;
			return STATS_PARSE_DONE;
		}
	}
	return fail(req, 405, "only GET, HEAD and POST are served");
}

/* "METHOD SP TARGET SP HTTP/1.x", the line without its end. */
static enum stats_parse parse_request_line(struct stats_request *req, const char *line,
                                           size_t len)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *version;
	size_t tlen, vlen;

	if (!sp1 || sp1 == line)
		return fail(req, 400, "malformed request line");
	for (const char *p = line; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(req, 400, "malformed request line");
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (!sp2)
		return fail(req, 400, "malformed request line: no HTTP version");
	tlen = (size_t)(sp2 - sp1 - 1);
	version = sp2 + 1;
	vlen = len - (size_t)(version - line);
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return fail(req, 400, "malformed request target");
	if (vlen == 8 && memcmp(version, "HTTP/1.", 7) == 0 &&
	    (version[7] == '0' || version[7] == '1'))
		req->minor = version[7] - '0';
	else if (vlen >= 5 && memcmp(version, "HTTP/", 5) == 0)
		return fail(req, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	else
		return fail(req, 400, "malformed request line: bad HTTP version");
	if (tlen == 0 || sp1[1] != '/')
		return fail(req, 400, "the request target must be a path starting with '/'");
	if (!copy_value(req->target, sizeof req->target, sp1 + 1, tlen))
		return fail(req, 414, "the request target is too long");
	return parse_method(req, line, (size_t)(sp1 - line));
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static enum stats_parse set_content_length(struct stats_request *req, const char *v,
                                           size_t len)
{
	long n = 0;

	if (req->content_length >= 0)
		return fail(req, 400, "Content-Length given twice");
	if (len == 0 || len > 9)
		return fail(req, len > 9 ? 413 : 400, "bad Content-Length");
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(req, 400, "bad Content-Length");
		n = n * 10 + (v[i] - '0');
	}
	req->content_length = n;
	return STATS_PARSE_DONE;
}

/* One of the headers we read; the others are only checked for form. */
static enum stats_parse set_header(struct stats_request *req, const char *name, size_t nlen,
                                   const char *v, size_t vlen)
{
	static const struct {
		const char *name;
		size_t field, size, has;
	} known[] = {
#define KNOWN(n, f, h) { n, offsetof(struct stats_request, f), \
	sizeof ((struct stats_request *)0)->f, h }
		KNOWN("Host", host, offsetof(struct stats_request, has_host)),
		KNOWN("Origin", origin, offsetof(struct stats_request, has_origin)),
		KNOWN("Referer", referer, offsetof(struct stats_request, has_referer)),
		KNOWN("Authorization", authorization,
		      offsetof(struct stats_request, has_authorization)),
		KNOWN("Content-Type", content_type, 0),
#undef KNOWN
	};

	if (name_is(name, nlen, "Content-Length"))
		return set_content_length(req, v, vlen);
	if (name_is(name, nlen, "Transfer-Encoding"))
		return fail(req, 501, "Transfer-Encoding is not supported: send Content-Length");
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char *field = (char *)req + known[i].field;
		bool *has = known[i].has ? (bool *)((char *)req + known[i].has) : NULL;
		if (!name_is(name, nlen, known[i].name))
			continue;
		if ((has && *has) || (!has && field[0]))
			return fail(req, 400, "a header is given twice");
		if (!copy_value(field, known[i].size, v, vlen))
			return fail(req, 431, "a header value is too long");
		if (has)
			*has = true;
		return STATS_PARSE_DONE;
	}
	return STATS_PARSE_DONE;
}

/* "Name: value", the line without its end. */
static enum stats_parse parse_header(struct stats_request *req, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v, *end = line + len;

	if (line[0] == ' ' || line[0] == '\t')
		return fail(req, 400, "obsolete header line folding");
	if (!colon || colon == line)
		return fail(req, 400, "malformed header line");
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(req, 400, "malformed header name");
	for (v = colon + 1; v < end; v++)
		if ((unsigned char)*v < ' ' && *v != '\t')
			return fail(req, 400, "control character in a header value");
		else if (*v == 0x7f)
			return fail(req, 400, "control character in a header value");
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return set_header(req, line, (size_t)(colon - line), v, (size_t)(end - v));
}

/* Every line of the head; the blank line that ends it excluded. */
static enum stats_parse parse_head(struct stats_request *req, const char *buf, size_t head_len)
{
	const char *p = buf, *stop = buf + head_len;
	int nheaders = 0;

	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t len = (size_t)(nl - p);
		enum stats_parse rc;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break;                      /* the blank line */
		if (memchr(p, '\r', len))
			return fail(req, 400, "bare CR in the request head");
		if (p == buf)
			rc = parse_request_line(req, p, len);
		else if (++nheaders > HEADERS_MAX)
			return fail(req, 431, "too many header lines");
		else
			rc = parse_header(req, p, len);
		if (rc == STATS_PARSE_ERROR)
			return rc;
		p = nl + 1;
	}
	return STATS_PARSE_DONE;
}

/* What may follow the head, by method. */
static enum stats_parse check_body(struct stats_request *req, const char *buf, size_t len)
{
	if (req->minor == 1 && !req->has_host)
		return fail(req, 400, "HTTP/1.1 needs a Host header");
	if (req->method != STATS_METHOD_POST) {
		if (req->content_length > 0)
			return fail(req, 400, "a GET or HEAD request takes no body");
		req->body = buf + req->head_len;
		return STATS_PARSE_DONE;
	}
	if (req->content_length < 0)
		return fail(req, 411, "a POST needs Content-Length");
	if (req->content_length > STATS_BODY_MAX)
		return fail(req, 413, "the body is too large (at most 4096 bytes)");
	if (len - req->head_len < (size_t)req->content_length)
		return STATS_PARSE_MORE;
	req->body = buf + req->head_len;
	req->body_len = (size_t)req->content_length;
	return STATS_PARSE_DONE;
}

/* A TLS handshake or other binary sent to the plain port is refused at once. */
static bool bad_start(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ')
			return i == 0;
		if (!is_tchar((unsigned char)buf[i]))
			return true;
	}
	return false;
}

enum stats_parse stats_http_parse(const char *buf, size_t len, size_t *scanned,
                                  struct stats_request *req)
{
	size_t head_len;
	enum stats_parse rc;

	memset(req, 0, sizeof *req);
	req->content_length = -1;
	if (bad_start(buf, len))
		return fail(req, 400, "not an HTTP request");
	head_len = head_end(buf, len, scanned);
	if (head_len == 0 || head_len > STATS_HEAD_MAX) {
		if (len >= STATS_HEAD_MAX || head_len > STATS_HEAD_MAX)
			return fail(req, 431, "the request head is too large (at most 8192 bytes)");
		return STATS_PARSE_MORE;
	}
	req->head_len = head_len;
	rc = parse_head(req, buf, head_len);
	if (rc != STATS_PARSE_DONE)
		return rc;
	return check_body(req, buf, len);
}
