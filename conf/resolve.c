/*
 * What can be checked only once the whole file is read: required keys, the
 * server names a [listen] gives, and the tunables each (listener, server)
 * pair ends up with. Sections come in any order, so nothing here could have
 * been done while reading.
 */
#include <string.h>

#include "conf/state.h"

static void resolve_servers(struct conf_state *st)
{
	for (int i = 0; i < st->conf->nservers; i++) {
		struct conf_server *srv = &st->conf->servers[i];
		const struct conf_raw_server *raw = &st->servers[i];

		if (raw->address_line == 0)
			conf_error(st, srv->line, raw->title, NULL, "address is required");
		else if (raw->check_address_line == 0)
			strcpy(srv->check_host, srv->address.host);
	}
}

/* balance, check and expect_status: [listen] > [defaults] > built-in. */
static void resolve_listen_keys(struct conf_state *st, int li)
{
	struct conf_listener *l = &st->conf->listeners[li];
	const struct conf_raw_listener *raw = &st->listeners[li];
	const struct conf_listen_keys *own = &raw->keys, *dflt = &st->defaults_keys;
	const struct conf_listen_keys *check;

	l->balance = own->balance_line ? own->balance
	           : dflt->balance_line ? dflt->balance : CONF_BALANCE_ROUNDROBIN;
	l->expect_status = own->expect_status_line ? own->expect_status
	                 : dflt->expect_status_line ? dflt->expect_status : 200;
	l->check_body = own->check_body_line ? own->check_body
	              : dflt->check_body_line ? dflt->check_body
	              : l->balance == CONF_BALANCE_SINGLE ? CONF_CHECK_BODY_PATRONI
	              : CONF_CHECK_BODY_NONE;
	l->hunt_interval_us = own->hunt_interval_line ? own->hunt_interval_us
	                    : dflt->hunt_interval_line ? dflt->hunt_interval_us
	                    : CONF_HUNT_INTERVAL_DEFAULT_US;
	if (l->check_body == CONF_CHECK_BODY_PATRONI && l->balance != CONF_BALANCE_SINGLE)
		conf_error(st, own->check_body_line ? own->check_body_line : dflt->check_body_line,
		           raw->title, "check_body", "patroni proves a writable primary: it needs "
		           "balance = single");
	check = own->check_line ? own : dflt->check_line ? dflt : NULL;
	if (check) {
		strcpy(l->check_method, check->check_method);
		strcpy(l->check_path, check->check_path);
	} else {
		conf_error(st, l->line, raw->title, NULL,
		           "check is required, e.g. 'check = HEAD /primary'");
	}
	if (raw->bind_given == 0)
		conf_error(st, l->line, raw->title, NULL, "bind is required, e.g. 'bind = *:5432'");
}

static int find_server(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nservers; i++)
		if (strcmp(conf->servers[i].name, name) == 0)
			return i;
	return -1;
}

static struct conf_member *find_member(struct conf_listener *l, int server)
{
	for (int i = 0; i < l->nmembers; i++)
		if (l->members[i].server == server)
			return &l->members[i];
	return NULL;
}

/* The servers list in its order, or else every [server] in file order. */
static void resolve_members(struct conf_state *st, int li)
{
	struct conf_listener *l = &st->conf->listeners[li];
	const struct conf_raw_listener *raw = &st->listeners[li];

	if (raw->servers.bad)
		return;
	if (raw->servers.line == 0) {
		for (int i = 0; i < st->conf->nservers; i++)
			l->members[l->nmembers++].server = i;
		if (l->nmembers == 0)
			conf_error(st, l->line, raw->title, NULL,
			           "no servers to send clients to: add [server NAME] sections");
		return;
	}
	for (int i = 0; i < raw->servers.n; i++) {
		int s = find_server(st->conf, raw->servers.names[i]);
		if (s < 0)
			conf_error(st, raw->servers.line, raw->title, "servers",
			           "unknown server '%s'", raw->servers.names[i]);
		else
			l->members[l->nmembers++].server = s;
	}
}

static void resolve_backups(struct conf_state *st, int li)
{
	struct conf_listener *l = &st->conf->listeners[li];
	const struct conf_raw_listener *raw = &st->listeners[li];

	/* Against a servers list in error, every name would seem a stranger. */
	if (raw->backup.bad || raw->servers.bad)
		return;
	for (int i = 0; i < raw->backup.n; i++) {
		const char *name = raw->backup.names[i];
		int s = find_server(st->conf, name);
		struct conf_member *m = s < 0 ? NULL : find_member(l, s);

		if (s < 0)
			conf_error(st, raw->backup.line, raw->title, "backup",
			           "unknown server '%s'", name);
		else if (m == NULL)
			conf_error(st, raw->backup.line, raw->title, "backup",
			           "'%s' is not in this listener's servers", name);
		else
			m->backup = true;
	}
}

/*
 * A client certificate needs its key, wherever each was inherited from.
 * Reported once, at the line that gave the lone one.
 */
static void check_tls_pair(struct conf_state *st, const struct conf_tunables *t,
                           struct conf_tun_set *const *from)
{
	bool cert = t->check_cert_file[0] != '\0';
	bool key = t->check_key_file[0] != '\0';
	enum conf_tun given = cert ? CONF_TUN_CHECK_CERT_FILE : CONF_TUN_CHECK_KEY_FILE;
	enum conf_tun missing = cert ? CONF_TUN_CHECK_KEY_FILE : CONF_TUN_CHECK_CERT_FILE;
	struct conf_tun_set *src = from[given];

	if (cert == key || src == NULL || src->pair_reported)
		return;
	src->pair_reported = true;
	conf_error(st, src->line[given], src->title, conf_tun_name(given),
	           "given without %s", conf_tun_name(missing));
}

/*
 * The write port holds new clients through a switchover unless told not to:
 * without a primary for a second or two, a refusal would be the only thing
 * most clients see of a planned switchover.
 */
static void default_hold(const struct conf_listener *l, struct conf_tunables *t,
                         struct conf_tun_set *const *from)
{
	if (l->balance == CONF_BALANCE_SINGLE && from[CONF_TUN_HOLD_WHEN_DOWN] == NULL)
		t->hold_when_down_us = CONF_SINGLE_HOLD_DEFAULT_US;
}

static void resolve_tunables(struct conf_state *st, int li)
{
	struct conf_listener *l = &st->conf->listeners[li];
	struct conf_tun_set *own = &st->listeners[li].tun;
	struct conf_tun_set *listen_layers[] = { own, &st->defaults };
	struct conf_tun_set *from[CONF_TUN_COUNT];

	conf_tun_resolve(listen_layers, 2, &l->t, from);
	default_hold(l, &l->t, from);
	for (int i = 0; i < l->nmembers; i++) {
		struct conf_member *m = &l->members[i];
		struct conf_tun_set *layers[] = { &st->servers[m->server].tun, own, &st->defaults };

		conf_tun_resolve(layers, 3, &m->t, from);
		default_hold(l, &m->t, from);
		check_tls_pair(st, &m->t, from);
	}
}

void conf_resolve(struct conf_state *st)
{
	resolve_servers(st);
	for (int i = 0; i < st->conf->nlisteners; i++) {
		resolve_listen_keys(st, i);
		resolve_members(st, i);
		resolve_backups(st, i);
		resolve_tunables(st, i);
	}
	conf_keepalive_resolve(st);
	conf_stats_resolve(st);
	conf_vrrp_resolve(st);
	conf_check_user_access(st);
	if (!st->saw_listen)
		conf_error(st, 0, NULL, NULL, "no [listen] section: nothing to serve");
}
