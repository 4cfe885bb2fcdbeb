/*
 * The tunables: keys that [defaults] sets, a [listen] overrides, and a
 * [server] overrides again. One table says each key's name, kind, range and
 * field, so that reading, inheriting and documenting them cannot disagree.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "conf/state.h"

#define SEC 1000000ULL

enum tun_kind {
	TK_INT,          /* int field, range min..max */
	TK_U16,          /* uint16_t field, range min..max */
	TK_DURATION,     /* uint64_t microseconds, CONF_DURATION_MIN_US..MAX_US */
	TK_DURATION_OFF, /* the same, or 0 (written "0s") for off */
	TK_BOOL,
	TK_ON_DOWN,
	TK_PATH,         /* an absolute path to a file that must be readable */
};

#define FIELD(f) offsetof(struct conf_tunables, f), sizeof(((struct conf_tunables *)0)->f)

/* Where a key may be written: most act per (listener, server), a few per
 * listener only, and a [server] that set those would be silently ignored. */
#define PAIR (CONF_IN_DEFAULTS | CONF_IN_LISTEN | CONF_IN_SERVER)
#define LISTENER (CONF_IN_DEFAULTS | CONF_IN_LISTEN)

static const struct tun_def {
	const char *name;
	enum tun_kind kind;
	long long min, max;
	size_t offset, size;
	unsigned where;
} tun_defs[CONF_TUN_COUNT] = {
	[CONF_TUN_RETRIES] = { "retries", TK_INT, 0, 100, FIELD(retries), PAIR },
	[CONF_TUN_TIMEOUT_CONNECT] = { "timeout_connect", TK_DURATION, 0, 0, FIELD(timeout_connect_us), PAIR },
	[CONF_TUN_TIMEOUT_CLIENT] = { "timeout_client", TK_DURATION, 0, 0, FIELD(timeout_client_us), LISTENER },
	[CONF_TUN_TIMEOUT_SERVER] = { "timeout_server", TK_DURATION, 0, 0, FIELD(timeout_server_us), PAIR },
	[CONF_TUN_TIMEOUT_CHECK] = { "timeout_check", TK_DURATION, 0, 0, FIELD(timeout_check_us), PAIR },
	[CONF_TUN_TIMEOUT_QUEUE] = { "timeout_queue", TK_DURATION, 0, 0, FIELD(timeout_queue_us), LISTENER },
	[CONF_TUN_INTER] = { "inter", TK_DURATION, 0, 0, FIELD(inter_us), PAIR },
	[CONF_TUN_FASTINTER] = { "fastinter", TK_DURATION, 0, 0, FIELD(fastinter_us), PAIR },
	[CONF_TUN_DOWNINTER] = { "downinter", TK_DURATION, 0, 0, FIELD(downinter_us), PAIR },
	[CONF_TUN_FALL] = { "fall", TK_INT, 1, 1000, FIELD(fall), PAIR },
	[CONF_TUN_RISE] = { "rise", TK_INT, 1, 1000, FIELD(rise), PAIR },
	[CONF_TUN_ON_MARKED_DOWN] = { "on_marked_down", TK_ON_DOWN, 0, 0, FIELD(on_marked_down), PAIR },
	[CONF_TUN_CHECK_PORT] = { "check_port", TK_U16, 1, 65535, FIELD(check_port), PAIR },
	[CONF_TUN_MAXCONN] = { "maxconn", TK_INT, 0, 1000000, FIELD(maxconn), PAIR },
	[CONF_TUN_CHECK_TLS] = { "check_tls", TK_BOOL, 0, 0, FIELD(check_tls), PAIR },
	[CONF_TUN_CHECK_CA_FILE] = { "check_ca_file", TK_PATH, 0, 0, FIELD(check_ca_file), PAIR },
	[CONF_TUN_CHECK_CERT_FILE] = { "check_cert_file", TK_PATH, 0, 0, FIELD(check_cert_file), PAIR },
	[CONF_TUN_CHECK_KEY_FILE] = { "check_key_file", TK_PATH, 0, 0, FIELD(check_key_file), PAIR },
	[CONF_TUN_HOLD_WHEN_DOWN] = { "hold_when_down", TK_DURATION_OFF, 0, 0, FIELD(hold_when_down_us), LISTENER },
	[CONF_TUN_TIMEOUT_LOGIN] = { "timeout_login", TK_DURATION, 0, 0, FIELD(timeout_login_us), LISTENER },
};

/* fastinter and downinter are absent here: they follow the resolved inter. */
static const struct conf_tunables builtin = {
	.retries = 3,
	.timeout_connect_us = 5 * SEC,
	.timeout_client_us = 30 * 60 * SEC,
	.timeout_server_us = 30 * 60 * SEC,
	.timeout_check_us = 5 * SEC,
	.timeout_queue_us = 5 * SEC,
	.timeout_login_us = 60 * SEC,   /* PgBouncer's client_login_timeout */
	.inter_us = 2 * SEC,
	.fall = 3,
	.rise = 2,
	.on_marked_down = CONF_ON_DOWN_SHUTDOWN_SESSIONS,
	.check_port = 8008,
	.maxconn = 0,
	.check_tls = false,
};

int conf_tun_find(const char *name)
{
	for (int k = 0; k < CONF_TUN_COUNT; k++)
		if (strcmp(tun_defs[k].name, name) == 0)
			return k;
	return -1;
}

const char *conf_tun_name(enum conf_tun k)
{
	return tun_defs[k].name;
}

unsigned conf_tun_where(enum conf_tun k)
{
	return tun_defs[k].where;
}

static void set_integer(struct conf_state *st, const struct tun_def *d, void *field,
                        const char *value)
{
	long long n;

	if (conf_parse_int(value, d->min, d->max, &n) < 0) {
		conf_error(st, st->line, st->title, d->name,
		           "invalid value '%s': expected an integer in %lld..%lld",
		           value, d->min, d->max);
		return;
	}
	if (d->kind == TK_U16)
		*(uint16_t *)field = (uint16_t)n;
	else
		*(int *)field = (int)n;
}

static void set_duration(struct conf_state *st, const struct tun_def *d, uint64_t *field,
                         const char *value)
{
	const char *why;
	uint64_t us;

	if (conf_parse_duration(value, &us, &why) < 0)
		conf_bad_value(st, d->name, value, why);
	else if (d->kind == TK_DURATION_OFF && us == 0)
		*field = 0;
	else if (us < CONF_DURATION_MIN_US || us > CONF_DURATION_MAX_US)
		conf_bad_value(st, d->name, value, d->kind == TK_DURATION_OFF
		               ? "expected 0s (off) or a duration in 1ms..24d"
		               : "expected a duration in 1ms..24d");
	else
		*field = us;
}

/* The one piece of I/O in conf: a file the checks will need must be there now. */
static void set_path(struct conf_state *st, const struct tun_def *d, char *field,
                     const char *value)
{
	if (value[0] != '/')
		conf_bad_value(st, d->name, value, "expected an absolute path");
	else if (strlen(value) >= CONF_PATH_MAX)
		conf_bad_value(st, d->name, value, "the path is longer than 255 characters");
	else if (access(value, R_OK) < 0)
		conf_error(st, st->line, st->title, d->name, "cannot read %s: %s", value,
		           strerror(errno));
	else {
		strcpy(field, value);
		conf_access_note(st, value, R_OK, d->name);
	}
}

void conf_tun_set_key(struct conf_state *st, struct conf_tun_set *set,
                      enum conf_tun k, const char *value)
{
	const struct tun_def *d = &tun_defs[k];
	char *field = (char *)&set->v + d->offset;

	if (!conf_key_once(st, &set->line[k], d->name))
		return;
	switch (d->kind) {
	case TK_INT:
	case TK_U16:
		set_integer(st, d, field, value);
		break;
	case TK_DURATION:
	case TK_DURATION_OFF:
		set_duration(st, d, (uint64_t *)(void *)field, value);
		break;
	case TK_BOOL:
		if (conf_parse_bool(value, (bool *)field) < 0)
			conf_bad_value(st, d->name, value, "expected yes or no (or true, false, on, off, 1, 0)");
		break;
	case TK_ON_DOWN:
		if (conf_parse_on_marked_down(value, (enum conf_on_marked_down *)(void *)field) < 0)
			conf_bad_value(st, d->name, value, "expected none or shutdown-sessions");
		break;
	case TK_PATH:
		set_path(st, d, field, value);
		break;
	}
}

void conf_tun_resolve(struct conf_tun_set *const *layers, int nlayers,
                      struct conf_tunables *out, struct conf_tun_set **from)
{
	*out = builtin;
	for (int k = 0; k < CONF_TUN_COUNT; k++) {
		const struct tun_def *d = &tun_defs[k];
		struct conf_tun_set *src = NULL;

		for (int i = 0; i < nlayers && src == NULL; i++)
			if (layers[i] && layers[i]->line[k])
				src = layers[i];
		if (src)
			memcpy((char *)out + d->offset, (const char *)&src->v + d->offset, d->size);
		if (from)
			from[k] = src;
	}
	/* Zero only when no layer gave them (a given one is at least 1ms), and
	 * only now is inter final: it may come from another layer than these. */
	if (out->fastinter_us == 0)
		out->fastinter_us = out->inter_us;
	if (out->downinter_us == 0)
		out->downinter_us = out->inter_us;
}
