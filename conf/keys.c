/*
 * The ini_handler: one "key = value" at a time, in the section the reader
 * opened. Keys of [global] and [server] are here, those of [listen] in
 * listen_keys.c, the tunables in tunables.c. A key in the wrong section is
 * told where it belongs: that is the usual mistake when translating from
 * haproxy.cfg, where one "server" line mixes address and check settings.
 */
#include <string.h>

#include "conf/state.h"

static void set_maxconn(struct conf_state *st, const char *key, const char *value)
{
	long long n;

	if (!conf_key_once(st, &st->global_maxconn_line, key))
		return;
	if (conf_parse_int(value, 1, 1000000, &n) < 0)
		conf_bad_value(st, key, value, "expected an integer in 1..1000000");
	else
		st->conf->global.maxconn = (int)n;
}

_Static_assert(CONF_MAX_THREADS == 64, "the message below says 1..64");

static void set_threads(struct conf_state *st, const char *key, const char *value)
{
	long long n;

	if (!conf_key_once(st, &st->global_threads_line, key))
		return;
	if (conf_parse_int(value, 1, CONF_MAX_THREADS, &n) < 0)
		conf_bad_value(st, key, value, "expected an integer in 1..64");
	else
		st->conf->global.threads = (int)n;
}

static void set_log_level(struct conf_state *st, const char *key, const char *value)
{
	if (conf_key_once(st, &st->global_log_level_line, key) &&
	    conf_parse_log_level(value, &st->conf->global.log_level) < 0)
		conf_bad_value(st, key, value, "expected err, warning, notice, info or debug");
}

static void set_user(struct conf_state *st, const char *key, const char *value)
{
	if (!conf_key_once(st, &st->global_user_line, key))
		return;
	/* A leading '-' would read as an option to whoever handles it next. */
	if (!conf_valid_name(value) || value[0] == '-')
		conf_bad_value(st, key, value, "expected a user name: " CONF_NAME_RULE);
	else
		strcpy(st->conf->global.user, value);
}

static void set_hard_stop_after(struct conf_state *st, const char *key, const char *value)
{
	uint64_t us;
	const char *why;

	if (!conf_key_once(st, &st->global_hard_stop_after_line, key))
		return;
	if (conf_parse_duration(value, &us, &why) < 0)
		conf_bad_value(st, key, value, why);
	else if (us < CONF_DURATION_MIN_US || us > CONF_DURATION_MAX_US)
		conf_bad_value(st, key, value, "expected a duration from 1ms to 24d");
	else
		st->conf->global.hard_stop_after_us = us;
}

static void set_address(struct conf_state *st, const char *key, const char *value)
{
	struct conf_server *srv = &st->conf->servers[st->index];
	const char *why;

	if (conf_key_once(st, &st->servers[st->index].address_line, key) &&
	    conf_parse_addr(value, false, &srv->address, &why) < 0)
		conf_bad_value(st, key, value, why);
}

static void set_check_address(struct conf_state *st, const char *key, const char *value)
{
	struct conf_server *srv = &st->conf->servers[st->index];
	const char *why;

	if (conf_key_once(st, &st->servers[st->index].check_address_line, key) &&
	    conf_parse_host(value, srv->check_host, sizeof srv->check_host, &why) < 0)
		conf_bad_value(st, key, value, why);
}

/* Every key but the tunables, which tunables.c lists. */
static const struct key_def {
	const char *name;
	unsigned where;
	void (*set)(struct conf_state *st, const char *key, const char *value);
} key_defs[] = {
	{ "maxconn", CONF_IN_GLOBAL, set_maxconn },
	{ "threads", CONF_IN_GLOBAL, set_threads },
	{ "log_level", CONF_IN_GLOBAL, set_log_level },
	{ "user", CONF_IN_GLOBAL, set_user },
	{ "hard_stop_after", CONF_IN_GLOBAL, set_hard_stop_after },
	{ "tcp_keepalive", CONF_IN_GLOBAL | CONF_IN_LISTEN, conf_keepalive_key },
	{ "tcp_keepidle", CONF_IN_GLOBAL | CONF_IN_LISTEN, conf_keepalive_key },
	{ "tcp_keepintvl", CONF_IN_GLOBAL | CONF_IN_LISTEN, conf_keepalive_key },
	{ "tcp_keepcnt", CONF_IN_GLOBAL | CONF_IN_LISTEN, conf_keepalive_key },
	{ "address", CONF_IN_SERVER, set_address },
	{ "check_address", CONF_IN_SERVER, set_check_address },
	{ "bind", CONF_IN_LISTEN, conf_listen_key },
	{ "servers", CONF_IN_LISTEN, conf_listen_key },
	{ "backup", CONF_IN_LISTEN, conf_listen_key },
	{ "balance", CONF_IN_LISTEN | CONF_IN_DEFAULTS, conf_listen_key },
	{ "check", CONF_IN_LISTEN | CONF_IN_DEFAULTS, conf_listen_key },
	{ "expect_status", CONF_IN_LISTEN | CONF_IN_DEFAULTS, conf_listen_key },
	{ "check_body", CONF_IN_LISTEN | CONF_IN_DEFAULTS, conf_listen_key },
	{ "hunt_interval", CONF_IN_LISTEN | CONF_IN_DEFAULTS, conf_listen_key },
	{ "bind", CONF_IN_STATS, conf_stats_key },
	{ "uri", CONF_IN_STATS, conf_stats_key },
	{ "refresh", CONF_IN_STATS, conf_stats_key },
	{ "auth", CONF_IN_STATS, conf_stats_key },
	{ "admin", CONF_IN_STATS, conf_stats_key },
	{ "tls_cert_file", CONF_IN_STATS, conf_stats_key },
	{ "tls_key_file", CONF_IN_STATS, conf_stats_key },
};

static struct conf_tun_set *current_tunables(struct conf_state *st)
{
	switch (st->kind) {
	case CONF_SEC_DEFAULTS:
		return &st->defaults;
	case CONF_SEC_SERVER:
		return &st->servers[st->index].tun;
	case CONF_SEC_LISTEN:
		return &st->listeners[st->index].tun;
	default:
		return NULL;
	}
}

static const char *where_text(unsigned where)
{
	if (where == CONF_IN_GLOBAL)
		return "[global]";
	if (where == CONF_IN_SERVER)
		return "a [server] section";
	if (where == CONF_IN_LISTEN)
		return "a [listen] section";
	if (where == CONF_IN_STATS)
		return "[stats]";
	if (where == (CONF_IN_GLOBAL | CONF_IN_LISTEN))
		return "[global] or a [listen] section";
	return "a [listen] or [defaults] section";
}

static void misplaced(struct conf_state *st, const char *name)
{
	int k;

	for (size_t i = 0; i < sizeof key_defs / sizeof key_defs[0]; i++) {
		if (strcmp(key_defs[i].name, name) == 0) {
			conf_error(st, st->line, st->title, name, "'%s' belongs in %s", name,
			           where_text(key_defs[i].where));
			return;
		}
	}
	k = conf_tun_find(name);
	if (k >= 0 && (conf_tun_where((enum conf_tun)k) & CONF_IN_SERVER)) {
		conf_error(st, st->line, st->title, name,
		           "'%s' belongs in [defaults], a [listen] or a [server] section", name);
		return;
	}
	if (k >= 0) {
		conf_error(st, st->line, st->title, name,
		           "'%s' belongs in a [listen] or [defaults] section: it acts per listener",
		           name);
		return;
	}
	if (conf_vrrp_key_known(name)) {
		conf_error(st, st->line, st->title, name, "'%s' belongs in a [vrrp] section", name);
		return;
	}
	conf_error(st, st->line, st->title, name, "unknown key");
}

static const struct key_def *find_key(const char *name, unsigned here)
{
	for (size_t i = 0; i < sizeof key_defs / sizeof key_defs[0]; i++)
		if ((key_defs[i].where & here) && strcmp(key_defs[i].name, name) == 0)
			return &key_defs[i];
	return NULL;
}

int conf_handle_key(void *user, const char *section, const char *name,
                    const char *value)
{
	struct conf_state *st = user;
	unsigned here = 1u << st->kind;
	const struct key_def *def;
	int k;

	(void)section; /* cut at 49 characters by inih: the reader's is used */
	if (st->kind == CONF_SEC_SKIP)
		return 1;
	if (st->kind == CONF_SEC_NONE) {
		conf_error(st, st->line, NULL, name, "key outside any section: %s",
		           "put it under [global], [defaults], [server NAME], [listen NAME], "
		           "[stats] or [vrrp NAME]");
		return 1;
	}
	if (st->kind == CONF_SEC_VRRP && conf_vrrp_key(st, name, value))
		return 1;
	def = find_key(name, here);
	k = conf_tun_find(name);
	if (def)
		def->set(st, name, value);
	else if (k >= 0 && (here & conf_tun_where((enum conf_tun)k)))
		conf_tun_set_key(st, current_tunables(st), (enum conf_tun)k, value);
	else
		misplaced(st, name);
	return 1; /* errors are recorded; returning 0 would only make inih count them */
}
