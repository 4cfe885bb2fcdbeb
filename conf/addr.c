/*
 * Numeric socket addresses: "HOST:PORT", "*:PORT" and "[V6]:PORT".
 *
 * Only inet_pton(), never a resolver: a lookup at load time would block, and
 * a balancer that routes writes should not depend on DNS to find its
 * databases. IPv6 needs its brackets so that the port is never ambiguous.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

static const char why_numeric[] =
	"host must be a numeric IPv4 or IPv6 address (names are not resolved)";

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* Fills ss from a numeric host without brackets; "*" is not handled here. */
static int host_to_sockaddr(const char *host, struct conf_addr *out)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;

	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		out->len = sizeof *in;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		out->len = sizeof *in6;
		return 0;
	}
	return -1;
}

static int parse_port(const char *text, uint16_t *port)
{
	long long value;

	if (conf_parse_int(text, 1, 65535, &value) < 0)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

/* Splits text into host (brackets removed) and the port text after ':'. */
static int split(const char *text, char *host, const char **port, const char **why,
                 bool *bracketed)
{
	const char *colon;
	size_t hlen;

	*bracketed = text[0] == '[';
	if (*bracketed) {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return fail(why, "expected [IPv6]:PORT, e.g. '[::1]:5432'");
		hlen = (size_t)(close - text - 1);
		text++;
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return fail(why, "expected HOST:PORT, e.g. '192.0.2.10:5432'");
		if (memchr(text, ':', (size_t)(colon - text)))
			return fail(why, "IPv6 addresses need brackets, e.g. '[::1]:5432'");
		hlen = (size_t)(colon - text);
	}
	if (hlen == 0 || hlen >= CONF_HOST_MAX)
		return fail(why, hlen ? why_numeric : "the host is missing");
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	*port = colon + 1;
	return 0;
}

int conf_parse_addr(const char *text, bool allow_any, struct conf_addr *out,
                    const char **why)
{
	char host[CONF_HOST_MAX];
	const char *port;
	bool bracketed;

	memset(out, 0, sizeof *out);
	if (split(text, host, &port, why, &bracketed) < 0)
		return -1;
	if (parse_port(port, &out->port) < 0)
		return fail(why, "port must be 1..65535");
	if (strcmp(host, "*") == 0 && !bracketed) {
		struct sockaddr_in *in = (struct sockaddr_in *)&out->ss;
		if (!allow_any)
			return fail(why, "'*' (any address) is only for bind; give the server's address");
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		out->len = sizeof *in;
	} else if (host_to_sockaddr(host, out) < 0) {
		return fail(why, why_numeric);
	} else if (bracketed != (out->ss.ss_family == AF_INET6)) {
		return fail(why, bracketed ? "only IPv6 addresses go in brackets"
		                           : "IPv6 addresses need brackets, e.g. '[::1]:5432'");
	}
	if (out->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons(out->port);
	else
		((struct sockaddr_in *)&out->ss)->sin_port = htons(out->port);
	strcpy(out->host, host);
	return 0;
}

/* A host alone, as check_address takes it: v4, v6 bare or in brackets. */
int conf_parse_host(const char *text, char *out, size_t size, const char **why)
{
	struct conf_addr scratch;
	char host[CONF_HOST_MAX];
	size_t n = strlen(text);

	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof host || n >= size)
		return fail(why, n ? why_numeric : "the host is missing");
	memcpy(host, text, n);
	host[n] = '\0';
	if (strcmp(host, "*") == 0)
		return fail(why, "'*' (any address) cannot be checked; give the server's address");
	if (host_to_sockaddr(host, &scratch) < 0)
		return fail(why, why_numeric);
	strcpy(out, host);
	return 0;
}

bool conf_addr_is_any(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static bool same_host(const struct conf_addr *a, const struct conf_addr *b)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
	              &((const struct sockaddr_in6 *)&b->ss)->sin6_addr,
	              sizeof(struct in6_addr)) == 0;
}

/*
 * Across families nothing is reported: whether [::]:P and *:P collide
 * depends on IPV6_V6ONLY, which the proxy sets, not the file.
 */
int conf_addr_overlap(const struct conf_addr *a, const struct conf_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family || a->port != b->port)
		return 0;
	if (same_host(a, b))
		return 1;
	return conf_addr_is_any(a) || conf_addr_is_any(b) ? 2 : 0;
}

void conf_addr_format(const struct conf_addr *a, char *buf, size_t size)
{
	if (a->ss.ss_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(buf, size, "%s:%u", a->host, (unsigned)a->port);
}
