/*
 * The body of an admin POST: `action=drain&target=postgres_write%2Fpg1` as
 * the page's forms send it, or {"action":"drain","target":"postgres_write/pg1"}
 * as scripts may prefer. Pure; anything unexpected is refused, not guessed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats/internal.h"

#define VALUE_MAX 160   /* "listener/server" fits twice over */

static const char *const action_names[] = {
	[STATS_ACTION_READY] = "ready",
	[STATS_ACTION_DRAIN] = "drain",
	[STATS_ACTION_MAINT] = "maint",
	[STATS_ACTION_KILL] = "kill",
};

const char *stats_action_name(enum stats_action action)
{
	if ((unsigned)action >= STATS_ACTION_COUNT)
		return "?";
	return action_names[action];
}

enum proxy_admin stats_action_admin(enum stats_action action)
{
	switch (action) {
	case STATS_ACTION_DRAIN:
		return PROXY_ADMIN_DRAIN;
	case STATS_ACTION_MAINT:
		return PROXY_ADMIN_MAINT;
	default:
		return PROXY_ADMIN_READY;
	}
}

int stats_action_parse(const char *text, enum stats_action *out)
{
	for (int i = 0; i < STATS_ACTION_COUNT; i++) {
		if (strcmp(text, action_names[i]) == 0) {
			*out = (enum stats_action)i;
			return 0;
		}
	}
	return -1;
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= CONF_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* "LISTENER/SERVER" into out. */
static int split_target(const char *target, struct stats_admin_request *out)
{
	const char *slash = strchr(target, '/');

	if (!slash || !valid_name(target, (size_t)(slash - target)) ||
	    !valid_name(slash + 1, strlen(slash + 1)))
		return -1;
	memcpy(out->listener, target, (size_t)(slash - target));
	out->listener[slash - target] = '\0';
	strcpy(out->server, slash + 1);
	return 0;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* application/x-www-form-urlencoded: '+' is a space, %XX a byte. */
static int url_decode(const char *in, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= len || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0)
				return -1;
			c = hex(in[i + 1]) << 4 | hex(in[i + 2]);
			i += 2;
		}
		if (c == 0 || n + 1 >= size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int parse_form(const char *body, size_t len, char *action, char *target)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char key[16];

		if (eq && url_decode(p, (size_t)(eq - p), key, sizeof key) == 0) {
			if (strcmp(key, "action") == 0 &&
			    url_decode(eq + 1, (size_t)(stop - eq - 1), action, VALUE_MAX) < 0)
				return -1;
			if (strcmp(key, "target") == 0 &&
			    url_decode(eq + 1, (size_t)(stop - eq - 1), target, VALUE_MAX) < 0)
				return -1;
		}
		p = stop + 1;
	}
	return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* A JSON string of ASCII into out; returns the position after it, or NULL. */
static const char *json_string(const char *p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		int c = (unsigned char)*p++;
		if (c < 0x20 || c >= 0x80)
			return NULL;
		if (c == '\\') {
			const char *esc = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *hit;
			if (p >= end)
				return NULL;
			if (*p == 'u') {
				char h[5] = { 0 };
				if (end - p < 5)
					return NULL;
				memcpy(h, p + 1, 4);
				if (strspn(h, "0123456789abcdefABCDEF") != 4)
					return NULL;
				c = (int)strtol(h, NULL, 16);
				if (c == 0 || c >= 0x80)
					return NULL;
				p += 5;
			} else if ((hit = strchr(esc, *p)) && *p) {
				c = (unsigned char)to[hit - esc];
				p++;
			} else {
				return NULL;
			}
		}
		if (n + 1 >= size)
			return NULL;
		out[n++] = (char)c;
	}
	if (p >= end)
		return NULL;
	out[n] = '\0';
	return p + 1;
}

/* One flat object of string values; keys other than ours are skipped. */
static int parse_json(const char *body, size_t len, char *action, char *target)
{
	const char *p = body, *end = body + len;
	char key[16], value[VALUE_MAX];

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	p = skip_ws(p, end);
	if (p < end && *p == '}')
		return skip_ws(p + 1, end) == end ? 0 : -1;
	for (;;) {
		if (!(p = json_string(skip_ws(p, end), end, key, sizeof key)))
			return -1;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		if (!(p = json_string(skip_ws(p, end), end, value, sizeof value)))
			return -1;
		if (strcmp(key, "action") == 0)
			strcpy(action, value);
		else if (strcmp(key, "target") == 0)
			strcpy(target, value);
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return skip_ws(p + 1, end) == end ? 0 : -1;
		return -1;
	}
}

/* The media type without parameters: "application/json; charset=utf-8". */
static bool media_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(content_type, want, n) == 0 &&
	       (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

int stats_admin_parse(const char *content_type, const char *body, size_t len,
                      struct stats_admin_request *out, const char **why)
{
	char action[VALUE_MAX] = "", target[VALUE_MAX] = "";
	int rc;

	memset(out, 0, sizeof *out);
	if (media_is(content_type, "application/x-www-form-urlencoded")) {
		rc = parse_form(body, len, action, target);
	} else if (media_is(content_type, "application/json")) {
		out->json = true;
		rc = parse_json(body, len, action, target);
	} else {
		*why = "send application/x-www-form-urlencoded or application/json";
		return 415;
	}
	if (rc < 0) {
		*why = out->json ? "malformed JSON: expected {\"action\": \"...\", \"target\": \"...\"}"
		                 : "malformed form data";
		return 400;
	}
	if (stats_action_parse(action, &out->action) < 0) {
		*why = "action must be ready, drain, maint or kill";
		return 400;
	}
	if (split_target(target, out) < 0) {
		*why = "target must be LISTENER/SERVER";
		return 400;
	}
	return 0;
}
