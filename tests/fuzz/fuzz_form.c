/*
 * libFuzzer target: stats_admin_parse(), the admin POST's body.
 *
 * The input is "CONTENT-TYPE\nBODY" (no newline: all of it is the body of a
 * form). Checked besides crashes: a refusal is 400 or 415 with a reason; an
 * accepted action names a listener and a server of valid characters; and
 * what was read, written back as a form (percent-encoded, as a browser
 * does) and as JSON (with \u escapes), reads the same.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/internal.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static bool valid_name(const char *s)
{
	size_t len = strnlen(s, CONF_NAME_MAX);

	if (len == 0 || len == CONF_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       len;
}

static void check_same(const struct stats_admin_request *a, const char *type, const char *body,
                       bool json)
{
	struct stats_admin_request b;
	const char *why = NULL;

	if (stats_admin_parse(type, body, strlen(body), &b, &why) != 0 ||
	    a->action != b.action || strcmp(a->listener, b.listener) != 0 ||
	    strcmp(a->server, b.server) != 0 || b.json != json)
		abort();
}

/* Every character as %XX, the way the most careful client would send it. */
static void percent(char *out, const char *s)
{
	for (; *s; s++, out += 3)
		sprintf(out, "%%%02X", (unsigned char)*s);
	*out = '\0';
}

/* Every character as \u00XX. */
static void escaped(char *out, const char *s)
{
	for (; *s; s++, out += 6)
		sprintf(out, "\\u%04x", (unsigned char)*s);
	*out = '\0';
}

static void check_roundtrip(const struct stats_admin_request *a)
{
	char target[2 * CONF_NAME_MAX + 1], enc[6 * sizeof target + 1], body[8 * sizeof target];

	snprintf(target, sizeof target, "%s/%s", a->listener, a->server);
	snprintf(body, sizeof body, "action=%s&target=%s", stats_action_name(a->action), target);
	check_same(a, FORM, body, false);
	percent(enc, target);
	snprintf(body, sizeof body, "x=1&target=%s&action=%s", enc, stats_action_name(a->action));
	check_same(a, FORM "; charset=UTF-8", body, false);
	snprintf(body, sizeof body, "{\"target\": \"%s\", \"action\": \"%s\"}", target,
	         stats_action_name(a->action));
	check_same(a, JSON, body, true);
	escaped(enc, target);
	snprintf(body, sizeof body, " {\"action\":\"%s\",\"target\":\"%s\"} ",
	         stats_action_name(a->action), enc);
	check_same(a, JSON, body, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *type;
	const char *body, *why = NULL;
	size_t len;
	struct stats_admin_request out;
	int rc;

	if (nl) {
		type = strndup((const char *)data, (size_t)(nl - data));
		body = (const char *)nl + 1;
		len = size - (size_t)(nl - data) - 1;
	} else {
		type = strdup(FORM);
		body = (const char *)data;
		len = size;
	}
	if (type == NULL)
		return 0;
	rc = stats_admin_parse(type, body, len, &out, &why);
	if (rc != 0) {
		if ((rc != 400 && rc != 415) || why == NULL || why[0] == '\0')
			abort();
	} else {
		if ((unsigned)out.action >= STATS_ACTION_COUNT || !valid_name(out.listener) ||
		    !valid_name(out.server))
			abort();
		check_roundtrip(&out);
	}
	free(type);
	return 0;
}
