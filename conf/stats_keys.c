/*
 * Keys of [stats], and what can be checked of it only once the whole file is
 * read: `admin` needs `auth` (admin actions drain and kill sessions: nobody
 * who merely reaches the port may do that), a certificate needs its key, and
 * the page's port must not be one a [listen] binds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/state.h"

#define METRICS_PATH "/metrics"

static void set_bind(struct conf_state *st, const char *key, const char *value)
{
	struct conf_addr a;
	const char *why;

	if (!conf_key_once(st, &st->stats.bind, key))
		return;
	if (conf_parse_addr(value, true, &a, &why) < 0)
		conf_bad_value(st, key, value, why);
	else
		st->conf->stats.bind = a;
}

/* ';' starts the page's options (";csv"), '?' a query: neither may be in it. */
static bool valid_uri(const char *uri)
{
	if (uri[0] != '/' || strlen(uri) >= CONF_PATH_MAX)
		return false;
	for (const char *p = uri; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr(";?#%\"<>\\", *p))
			return false;
	return true;
}

static void set_uri(struct conf_state *st, const char *key, const char *value)
{
	if (!conf_key_once(st, &st->stats.uri, key))
		return;
	if (!valid_uri(value))
		conf_bad_value(st, key, value, "expected a path starting with '/', of printable "
		               "characters other than ; ? # % \" < > \\");
	else if (strcmp(value, METRICS_PATH) == 0)
		conf_bad_value(st, key, value, "/metrics is where the Prometheus metrics are");
	else
		strcpy(st->conf->stats.uri, value);
}

/* The page refreshes by <meta http-equiv=refresh>, which counts whole seconds. */
static void set_refresh(struct conf_state *st, const char *key, const char *value)
{
	uint64_t us;
	const char *why;

	if (!conf_key_once(st, &st->stats.refresh, key))
		return;
	if (strcmp(value, "0") == 0) {
		st->conf->stats.refresh_s = 0;
		return;
	}
	if (conf_parse_duration(value, &us, &why) < 0)
		conf_bad_value(st, key, value, why);
	else if (us % 1000000 || us < 1000000 || us > CONF_STATS_REFRESH_MAX * 1000000ULL)
		conf_bad_value(st, key, value, "expected 0 (off) or whole seconds from 1s to 1d");
	else
		st->conf->stats.refresh_s = (unsigned)(us / 1000000);
}

/* USER:PASSWORD as HTTP Basic sends it: USER without ':', both printable. */
static void set_auth(struct conf_state *st, const char *key, const char *value)
{
	struct conf_stats *s = &st->conf->stats;
	const char *colon = strchr(value, ':');
	size_t ulen = colon ? (size_t)(colon - value) : 0;
	bool printable = true;

	if (!conf_key_once(st, &st->stats.auth, key))
		return;
	for (const char *p = value; *p; p++)
		printable = printable && *p > ' ' && *p < 0x7f;
	if (!colon || ulen == 0 || colon[1] == '\0' || !printable) {
		/* The value is not quoted back: it holds a password. */
		conf_error(st, st->line, st->title, key, "invalid value: expected USER:PASSWORD, "
		           "both non-empty, of printable characters without spaces");
	} else if (ulen >= sizeof s->user || strlen(colon + 1) >= sizeof s->password) {
		conf_error(st, st->line, st->title, key, "the user may have at most %zu characters "
		           "and the password %zu", sizeof s->user - 1, sizeof s->password - 1);
	} else {
		memcpy(s->user, value, ulen);
		s->user[ulen] = '\0';
		strcpy(s->password, colon + 1);
	}
}

static void set_admin(struct conf_state *st, const char *key, const char *value)
{
	if (conf_key_once(st, &st->stats.admin, key) &&
	    conf_parse_bool(value, &st->conf->stats.admin) < 0)
		conf_bad_value(st, key, value, "expected yes or no");
}

/* Read at load, as the checks' files are: a file missing at start fails now. */
static void set_path(struct conf_state *st, int *line, char *field, const char *key,
                     const char *value)
{
	if (!conf_key_once(st, line, key))
		return;
	if (value[0] != '/')
		conf_bad_value(st, key, value, "expected an absolute path");
	else if (strlen(value) >= CONF_PATH_MAX)
		conf_bad_value(st, key, value, "the path is longer than 255 characters");
	else if (access(value, R_OK) < 0)
		conf_error(st, st->line, st->title, key, "cannot read %s: %s", value,
		           strerror(errno));
	else {
		strcpy(field, value);
		conf_access_note(st, value, R_OK, key);
	}
}

void conf_stats_key(struct conf_state *st, const char *name, const char *value)
{
	struct conf_stats *s = &st->conf->stats;

	if (strcmp(name, "bind") == 0)
		set_bind(st, name, value);
	else if (strcmp(name, "uri") == 0)
		set_uri(st, name, value);
	else if (strcmp(name, "refresh") == 0)
		set_refresh(st, name, value);
	else if (strcmp(name, "auth") == 0)
		set_auth(st, name, value);
	else if (strcmp(name, "admin") == 0)
		set_admin(st, name, value);
	else if (strcmp(name, "tls_cert_file") == 0)
		set_path(st, &st->stats.tls_cert_file, s->tls_cert_file, name, value);
	else
		set_path(st, &st->stats.tls_key_file, s->tls_key_file, name, value);
}

/* The page's address against every [listen]'s: one socket cannot serve both. */
static void check_bind_clash(struct conf_state *st)
{
	const struct conf_addr *a = &st->conf->stats.bind;
	char text[CONF_HOST_MAX + 16], other[CONF_HOST_MAX + 16];

	for (int i = 0; i < st->conf->nlisteners; i++) {
		const struct conf_listener *l = &st->conf->listeners[i];
		for (int j = 0; j < l->nbinds; j++) {
			if (conf_addr_overlap(a, &l->binds[j]) == 0)
				continue;
			conf_addr_format(a, text, sizeof text);
			conf_addr_format(&l->binds[j], other, sizeof other);
			conf_error(st, st->stats.bind, "[stats]", "bind",
			           "'%s' clashes with '%s' of [listen %s]", text, other, l->name);
			return;
		}
	}
}

void conf_stats_resolve(struct conf_state *st)
{
	struct conf_stats *s = &st->conf->stats;
	const struct conf_raw_stats *raw = &st->stats;

	if (raw->line == 0)
		return;
	s->enabled = true;
	s->line = raw->line;
	if (raw->uri == 0)
		strcpy(s->uri, "/");
	if (raw->bind == 0)
		conf_error(st, raw->line, "[stats]", NULL, "bind is required, e.g. 'bind = *:5000'");
	else if (s->bind.port != 0)       /* 0: given but in error */
		check_bind_clash(st);
	if (s->admin && raw->auth == 0)
		conf_error(st, raw->admin, "[stats]", "admin",
		           "admin = yes needs auth = USER:PASSWORD: without it anyone who "
		           "reaches the port could drain servers and kill sessions");
	if (raw->tls_cert_file && !raw->tls_key_file)
		conf_error(st, raw->tls_cert_file, "[stats]", "tls_cert_file",
		           "given without tls_key_file");
	else if (raw->tls_key_file && !raw->tls_cert_file)
		conf_error(st, raw->tls_key_file, "[stats]", "tls_key_file",
		           "given without tls_cert_file");
}
