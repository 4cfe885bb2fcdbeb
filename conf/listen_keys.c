/*
 * Keys of a [listen]: bind, servers and backup, and balance, check,
 * expect_status, check_body and hunt_interval, which [defaults] may give too. Server names are only
 * checked for form here; whether they exist is known after the whole file.
 */
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

/* A bind already given anywhere in the file that this one would collide with. */
static void check_bind_clash(struct conf_state *st, const struct conf_addr *a)
{
	char text[CONF_HOST_MAX + 16], other[CONF_HOST_MAX + 16];

	for (int i = 0; i < st->conf->nlisteners; i++) {
		const struct conf_listener *l = &st->conf->listeners[i];
		for (int j = 0; j < l->nbinds; j++) {
			int overlap = conf_addr_overlap(a, &l->binds[j]);
			int line = st->listeners[i].bind_line[j];
			if (overlap == 0)
				continue;
			conf_addr_format(a, text, sizeof text);
			conf_addr_format(&l->binds[j], other, sizeof other);
			if (overlap == 1)
				conf_error(st, st->line, st->title, "bind",
				           "'%s' is already bound at line %d", text, line);
			else
				conf_error(st, st->line, st->title, "bind",
				           "'%s' overlaps '%s' bound at line %d", text, other, line);
			return;
		}
	}
}

static void set_bind(struct conf_state *st, const char *value)
{
	struct conf_listener *l = &st->conf->listeners[st->index];
	struct conf_raw_listener *raw = &st->listeners[st->index];
	struct conf_addr a;
	const char *why;

	raw->bind_given++;
	if (conf_parse_addr(value, true, &a, &why) < 0) {
		conf_bad_value(st, "bind", value, why);
		return;
	}
	if (l->nbinds >= CONF_MAX_BINDS) {
		conf_error(st, st->line, st->title, "bind", "too many binds (at most %d)",
		           CONF_MAX_BINDS);
		return;
	}
	check_bind_clash(st, &a);
	raw->bind_line[l->nbinds] = st->line;
	l->binds[l->nbinds++] = a;
}

/* Reads "a, b, c" into list; the first problem found is reported. */
/* Checks one name of a list; false after reporting it. */
static bool add_name(struct conf_state *st, struct conf_name_list *list, const char *key,
                     const char *value, const char *start, size_t len)
{
	char name[CONF_NAME_MAX];

	if (len == 0) {
		conf_bad_value(st, key, value, "expected server names separated by commas");
		return false;
	}
	if (len >= CONF_NAME_MAX) {
		conf_error(st, st->line, st->title, key, "invalid server name '%.*s': "
		           CONF_NAME_RULE, (int)len, start);
		return false;
	}
	memcpy(name, start, len);
	name[len] = '\0';
	if (!conf_valid_name(name)) {
		conf_error(st, st->line, st->title, key, "invalid server name '%s': "
		           CONF_NAME_RULE, name);
		return false;
	}
	for (int i = 0; i < list->n; i++) {
		if (strcmp(list->names[i], name) == 0) {
			conf_error(st, st->line, st->title, key, "'%s' is listed twice", name);
			return false;
		}
	}
	if (list->n >= CONF_MAX_SERVERS) {
		conf_error(st, st->line, st->title, key, "more than %d names", CONF_MAX_SERVERS);
		return false;
	}
	strcpy(list->names[list->n++], name);
	return true;
}

/* Reads "a, b, c" into list; the first problem found is reported. */
static void set_names(struct conf_state *st, struct conf_name_list *list,
                      const char *key, const char *value)
{
	const char *p = value;

	if (!conf_key_once(st, &list->line, key))
		return;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *start = p + strspn(p, " \t");
		size_t len = (size_t)(p + n - start);

		while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (!add_name(st, list, key, value, start, len)) {
			list->bad = true;
			return;
		}
		if (p[n] == '\0')
			return;
		p += n + 1;
	}
}

static void set_hunt_interval(struct conf_state *st, struct conf_listen_keys *k,
                              const char *name, const char *value)
{
	const char *why;
	uint64_t us;

	if (!conf_key_once(st, &k->hunt_interval_line, name))
		return;
	if (conf_parse_duration(value, &us, &why) < 0)
		conf_bad_value(st, name, value, why);
	else if (us < CONF_HUNT_INTERVAL_MIN_US || us > CONF_HUNT_INTERVAL_MAX_US)
		conf_bad_value(st, name, value, "expected a duration in 10ms..10s");
	else
		k->hunt_interval_us = us;
}

static void set_common(struct conf_state *st, struct conf_listen_keys *k,
                       const char *name, const char *value)
{
	long long n;

	if (strcmp(name, "hunt_interval") == 0) {
		set_hunt_interval(st, k, name, value);
	} else if (strcmp(name, "check_body") == 0) {
		if (conf_key_once(st, &k->check_body_line, name) &&
		    conf_parse_check_body(value, &k->check_body) < 0)
			conf_bad_value(st, name, value, "expected patroni or none");
	} else if (strcmp(name, "balance") == 0) {
		if (conf_key_once(st, &k->balance_line, name) &&
		    conf_parse_balance(value, &k->balance) < 0)
			conf_bad_value(st, name, value, "expected single, roundrobin, leastconn or first");
	} else if (strcmp(name, "check") == 0) {
		if (conf_key_once(st, &k->check_line, name) &&
		    conf_parse_check(value, k->check_method, sizeof k->check_method,
		                     k->check_path, sizeof k->check_path) < 0)
			conf_bad_value(st, name, value, "expected METHOD /PATH with METHOD HEAD, GET or "
			    "OPTIONS and a PATH of printable characters, e.g. 'HEAD /primary'");
	} else if (conf_key_once(st, &k->expect_status_line, name)) {
		if (conf_parse_int(value, 100, 599, &n) < 0)
			conf_bad_value(st, name, value, "expected an HTTP status in 100..599");
		else
			k->expect_status = (int)n;
	}
}

void conf_listen_key(struct conf_state *st, const char *name, const char *value)
{
	struct conf_raw_listener *raw;

	if (st->kind == CONF_SEC_DEFAULTS) {
		set_common(st, &st->defaults_keys, name, value);
		return;
	}
	raw = &st->listeners[st->index];
	if (strcmp(name, "bind") == 0)
		set_bind(st, value);
	else if (strcmp(name, "servers") == 0)
		set_names(st, &raw->servers, name, value);
	else if (strcmp(name, "backup") == 0)
		set_names(st, &raw->backup, name, value);
	else
		set_common(st, &raw->keys, name, value);
}
