/*
 * Who may ask: HTTP Basic credentials (RFC 7617), and the same-origin rule
 * that keeps another web page, open in an operator's browser (which holds
 * the credentials), from posting admin actions to the stats port.
 * Pure functions.
 */
#include <string.h>
#include <strings.h>

#include "stats/internal.h"

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int stats_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outsize,
                        size_t *outlen)
{
	size_t n = 0;

	if (inlen % 4)
		return -1;
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			bool last = i + 4 == inlen;
			/* '=' only at the very end, at most two, and only after data. */
			if (c == '=' && last && k >= 2 && (k == 3 || in[i + 3] == '=')) {
				v[k] = 0;
				pad++;
			} else if ((v[k] = b64_value(c)) < 0 || pad) {
				return -1;
			}
		}
		if (n + 3 - (size_t)pad > outsize)
			return -1;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	*outlen = n;
	return 0;
}

/* Takes as long whatever a and b hold, so timing does not leak the secret. */
static bool same_secret(const unsigned char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned diff = alen != blen;

	for (size_t i = 0; i < blen; i++)
		diff |= (unsigned)(b[i] ^ (i < alen ? a[i] : 0));
	return diff == 0;
}

bool stats_auth_ok(const char *authorization, const char *user, const char *password)
{
	unsigned char plain[384];
	const char *p = authorization;
	size_t ulen = strlen(user), n, tlen;

	if (!authorization || !user[0] || strncasecmp(p, "Basic", 5) != 0 || p[5] != ' ')
		return false;
	p += 5;
	while (*p == ' ')
		p++;
	tlen = strlen(p);
	while (tlen > 0 && p[tlen - 1] == ' ')
		tlen--;
	if (stats_base64_decode(p, tlen, plain, sizeof plain, &n) < 0)
		return false;
	/* The user is no secret; the password's comparison alone must be even. */
	if (n <= ulen || memcmp(plain, user, ulen) != 0 || plain[ulen] != ':')
		return false;
	return same_secret(plain + ulen + 1, n - ulen - 1, password);
}

/* The host[:port] of an http(s) URL, or NULL: *len set. */
static const char *url_authority(const char *url, size_t *len)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return NULL;
	*len = strcspn(p, "/?#");
	return p;
}

static bool matches_host(const struct stats_request *req, const char *url)
{
	size_t len;
	const char *auth = url_authority(url, &len);

	return auth && req->has_host && len > 0 && strlen(req->host) == len &&
	       strncasecmp(auth, req->host, len) == 0;
}

/*
 * A browser sends Origin with every POST it makes, and Referer unless told
 * not to; curl and `pgfront ctl` send neither. When one is there it must name
 * the very host:port the request was sent to.
 */
bool stats_same_origin(const struct stats_request *req)
{
	if (req->has_origin && !matches_host(req, req->origin))
		return false;
	if (req->has_referer && !matches_host(req, req->referer))
		return false;
	return true;
}
