/*
 * Section headers. The reader opens sections itself rather than trusting
 * inih's section argument: inih cuts names at 49 characters and says nothing
 * of a section without keys, yet "[server x]" alone must still be reported
 * for its missing address at its own line.
 *
 * After a header in error, the section's keys are skipped unchecked: they
 * would only repeat the one mistake as many errors.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

static const char expected_sections[] =
	"expected [global], [defaults], [server NAME], [listen NAME], [stats] or [vrrp NAME]";

static int refuse(struct conf_state *st)
{
	st->kind = CONF_SEC_SKIP;
	st->title[0] = '\0';
	return -1;
}

/* [global] and [defaults]: no name, at most one each. */
static int open_single(struct conf_state *st, enum conf_section_kind kind,
                       int *first_line, const char *type, const char *name)
{
	if (name[0]) {
		conf_error(st, st->line, st->title, NULL, "[%s] takes no name, got '%s'", type, name);
		return refuse(st);
	}
	if (*first_line) {
		conf_error(st, st->line, st->title, NULL,
		           "duplicate section: [%s] may appear once (first at line %d)",
		           type, *first_line);
		return refuse(st);
	}
	*first_line = st->line;
	snprintf(st->title, sizeof st->title, "[%s]", type);
	st->kind = kind;
	return 0;
}

static int find_server(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nservers; i++)
		if (strcmp(conf->servers[i].name, name) == 0)
			return i;
	return -1;
}

static int find_listener(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, name) == 0)
			return i;
	return -1;
}

/* Checks a [server NAME] or [listen NAME] header; -1 after an error. */
static int check_named(struct conf_state *st, bool server, const char *name)
{
	const char *type = server ? "server" : "listen";
	int count = server ? st->conf->nservers : st->conf->nlisteners;
	int max = server ? CONF_MAX_SERVERS : CONF_MAX_LISTENERS;
	int dup = server ? find_server(st->conf, name) : find_listener(st->conf, name);

	if (name[0] == '\0') {
		conf_error(st, st->line, st->title, NULL,
		           "a [%s] section needs a name, e.g. [%s %s]", type, type,
		           server ? "pg1" : "postgres_write");
		return -1;
	}
	if (!conf_valid_name(name)) {
		conf_error(st, st->line, st->title, NULL, "invalid name '%s': " CONF_NAME_RULE, name);
		return -1;
	}
	if (dup >= 0) {
		conf_error(st, st->line, st->title, NULL, "duplicate section (first at line %d)",
		           server ? st->conf->servers[dup].line : st->conf->listeners[dup].line);
		return -1;
	}
	if (count >= max) {
		conf_error(st, st->line, st->title, NULL, "too many [%s] sections (at most %d)",
		           type, max);
		return -1;
	}
	return 0;
}

static int open_server(struct conf_state *st, const char *name)
{
	struct conf_server *srv;
	struct conf_raw_server *raw;

	if (check_named(st, true, name) < 0)
		return refuse(st);
	st->index = st->conf->nservers++;
	srv = &st->conf->servers[st->index];
	raw = &st->servers[st->index];
	strcpy(srv->name, name);
	srv->line = st->line;
	snprintf(st->title, sizeof st->title, "[server %s]", name);
	strcpy(raw->title, st->title);
	raw->tun.title = raw->title;
	st->kind = CONF_SEC_SERVER;
	return 0;
}

static int open_listener(struct conf_state *st, const char *name)
{
	struct conf_listener *l;
	struct conf_raw_listener *raw;

	st->saw_listen = true;
	if (check_named(st, false, name) < 0)
		return refuse(st);
	st->index = st->conf->nlisteners++;
	l = &st->conf->listeners[st->index];
	raw = &st->listeners[st->index];
	strcpy(l->name, name);
	l->line = st->line;
	snprintf(st->title, sizeof st->title, "[listen %s]", name);
	strcpy(raw->title, st->title);
	raw->tun.title = raw->title;
	st->kind = CONF_SEC_LISTEN;
	return 0;
}

/* Copies the header's inside, trimmed, and checks what follows its ']'. */
static int header_inside(struct conf_state *st, const char *line, char *inside, size_t size)
{
	const char *close = strchr(line, ']');
	const char *after, *start = line + 1;
	size_t n;

	if (close == NULL) {
		conf_error(st, st->line, NULL, NULL, "section header without ']'");
		return -1;
	}
	snprintf(st->title, sizeof st->title, "%.*s", (int)(close - line + 1), line);
	after = close + 1 + strspn(close + 1, " \t");
	if (*after && *after != ';') {
		conf_error(st, st->line, st->title, NULL, "unexpected text after ']': '%s'", after);
		return -1;
	}
	while (start < close && isspace((unsigned char)*start))
		start++;
	n = (size_t)(close - start);
	while (n > 0 && isspace((unsigned char)start[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(inside, start, n);
	inside[n] = '\0';
	return 0;
}

int conf_section_open(struct conf_state *st, const char *line)
{
	/* The line limit keeps a header well under this. */
	char inside[256];
	char *name;

	if (header_inside(st, line, inside, sizeof inside) < 0)
		return refuse(st);
	name = inside + strcspn(inside, " \t");
	if (*name) {
		*name++ = '\0';
		name += strspn(name, " \t");
	}
	if (strcmp(inside, "global") == 0)
		return open_single(st, CONF_SEC_GLOBAL, &st->global_line, "global", name);
	if (strcmp(inside, "defaults") == 0)
		return open_single(st, CONF_SEC_DEFAULTS, &st->defaults_line, "defaults", name);
	if (strcmp(inside, "stats") == 0)
		return open_single(st, CONF_SEC_STATS, &st->stats.line, "stats", name);
	if (strcmp(inside, "server") == 0)
		return open_server(st, name);
	if (strcmp(inside, "listen") == 0)
		return open_listener(st, name);
	if (strcmp(inside, "vrrp") == 0)
		return conf_vrrp_open(st, name);
	conf_error(st, st->line, st->title, NULL, "unknown section type '%s': %s",
	           inside, expected_sections);
	return refuse(st);
}
