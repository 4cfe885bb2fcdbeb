/*
 * TCP keepalive keys: [global] sets them for every listener, a [listen]
 * overrides them for its own clients and their server connections.
 *
 * Without keepalive, a client whose host died (power, cable, a VM gone)
 * holds its session, its server backend and a maxconn slot until
 * timeout_client, 30 minutes by default; with it, the kernel finds out after
 * idle + intvl x cnt seconds (2 minutes by default) and the session ends.
 * PgBouncer turns keepalive on by default (tcp_keepalive = 1); HAProxy's
 * clitcpka/srvtcpka are off unless asked. The names are PgBouncer's.
 */
#include <string.h>

#include "conf/state.h"

#define SEC 1000000ULL
/* The kernel's limits: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT. */
#define KA_SECONDS_MAX 32767
#define KA_CNT_MAX 127

static const struct sockopt_keepalive builtin = {
	.on = true, .idle_s = 60, .intvl_s = 10, .cnt = 6,
};

static struct conf_ka_set *current_set(struct conf_state *st)
{
	if (st->kind == CONF_SEC_GLOBAL)
		return &st->global_ka;
	return &st->listeners[st->index].ka;
}

static void set_seconds(struct conf_state *st, const char *key, const char *value, int *out)
{
	const char *why;
	uint64_t us;

	if (conf_parse_duration(value, &us, &why) < 0)
		conf_bad_value(st, key, value, why);
	else if (us % SEC || us < SEC || us > KA_SECONDS_MAX * SEC)
		conf_bad_value(st, key, value, "expected whole seconds in 1s..32767s, "
		               "as the kernel takes them");
	else
		*out = (int)(us / SEC);
}

void conf_keepalive_key(struct conf_state *st, const char *name, const char *value)
{
	struct conf_ka_set *set = current_set(st);
	long long n;

	if (strcmp(name, "tcp_keepalive") == 0) {
		if (conf_key_once(st, &set->line[CONF_KA_ON], name) &&
		    conf_parse_bool(value, &set->v.on) < 0)
			conf_bad_value(st, name, value, "expected yes or no (or true, false, on, off, 1, 0)");
	} else if (strcmp(name, "tcp_keepidle") == 0) {
		if (conf_key_once(st, &set->line[CONF_KA_IDLE], name))
			set_seconds(st, name, value, &set->v.idle_s);
	} else if (strcmp(name, "tcp_keepintvl") == 0) {
		if (conf_key_once(st, &set->line[CONF_KA_INTVL], name))
			set_seconds(st, name, value, &set->v.intvl_s);
	} else if (conf_key_once(st, &set->line[CONF_KA_CNT], name)) {
		if (conf_parse_int(value, 1, KA_CNT_MAX, &n) < 0)
			conf_bad_value(st, name, value, "expected an integer in 1..127");
		else
			set->v.cnt = (int)n;
	}
}

/* Each key on its own: [listen] > [global] > built-in. */
static void resolve_one(const struct conf_ka_set *own, const struct conf_ka_set *global,
                        struct sockopt_keepalive *out)
{
	const struct conf_ka_set *from;

	*out = builtin;
	from = own->line[CONF_KA_ON] ? own : global->line[CONF_KA_ON] ? global : NULL;
	if (from)
		out->on = from->v.on;
	from = own->line[CONF_KA_IDLE] ? own : global->line[CONF_KA_IDLE] ? global : NULL;
	if (from)
		out->idle_s = from->v.idle_s;
	from = own->line[CONF_KA_INTVL] ? own : global->line[CONF_KA_INTVL] ? global : NULL;
	if (from)
		out->intvl_s = from->v.intvl_s;
	from = own->line[CONF_KA_CNT] ? own : global->line[CONF_KA_CNT] ? global : NULL;
	if (from)
		out->cnt = from->v.cnt;
}

void conf_keepalive_resolve(struct conf_state *st)
{
	static const struct conf_ka_set none;

	resolve_one(&st->global_ka, &none, &st->conf->global.keepalive);
	for (int i = 0; i < st->conf->nlisteners; i++)
		resolve_one(&st->listeners[i].ka, &st->global_ka, &st->conf->listeners[i].keepalive);
}
