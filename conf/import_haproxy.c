/*
 * haproxy.cfg, read as HAProxy 2.x reads it: lines split into words (quotes,
 * backslash escapes, '#' comments) and sections, each proxy starting from the
 * last defaults section before it. The keywords are in conf/import_hap_keys.c,
 * servers and binds in conf/import_hap_server.c, the translation of the
 * proxies into listeners in conf/import_hap_build.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_hap.h"

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape after a backslash at *p; returns the character, advances *p. */
static char unescape(const char **p)
{
	char c = **p;

	(*p)++;
	switch (c) {
	case 'r': return '\r';
	case 'n': return '\n';
	case 't': return '\t';
	case 'x':
		if (hexval((*p)[0]) >= 0 && hexval((*p)[1]) >= 0) {
			char v = (char)(hexval((*p)[0]) * 16 + hexval((*p)[1]));
			*p += 2;
			return v;
		}
		return 'x';
	case '\0':
		(*p)--;
		return '\\';
	default:
		return c;
	}
}

/* Splits `line` into st->ln; false when a word uses an environment variable. */
static bool split_words(struct hp_line *ln, const char *line)
{
	const char *p = line;
	char *out = ln->buf;
	bool env = false;

	ln->nw = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#' || ln->nw == HP_MAX_WORDS)
			break;
		ln->w[ln->nw++] = out;
		char quote = 0;
		while (*p && (quote || (*p != ' ' && *p != '\t' && *p != '#'))) {
			if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p++;
			} else if (*p == '\\' && quote != '\'') {
				p++;
				*out++ = unescape(&p);
			} else {
				if (*p == '$' && quote != '\'')
					env = true;
				*out++ = *p++;
			}
		}
		*out++ = '\0';
	}
	return !env;
}

static void squeeze(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	bool blank = false;

	while (*src == ' ' || *src == '\t')
		src++;
	for (; *src && n + 1 < size; src++) {
		if (*src == ' ' || *src == '\t' || *src == '\r') {
			blank = true;
			continue;
		}
		if (blank && n + 2 < size)
			dst[n++] = ' ';
		blank = false;
		dst[n++] = *src;
	}
	dst[n] = '\0';
}

/* --- sections ------------------------------------------------------------ */

static void settings_init(struct hp_settings *s)
{
	memset(s, 0, sizeof *s);
}

/* Reports a defaults section that no proxy took, once it is replaced. */
static void report_unused_defaults(struct hp_state *st, int index, int next_line)
{
	struct hp_defaults *d = &st->defaults[index];
	struct hp_settings *s = &d->s;

	if (d->users > 0)
		return;
	if (next_line)
		conf_imp_left_out(st->im, d->line, false, "defaults",
		             "no proxy uses this section: the defaults section at line %d "
		             "replaces it first", next_line);
	else
		conf_imp_left_out(st->im, d->line, false, "defaults",
		             "no proxy follows this section");
	if (s->mode.line && s->mode.v != HP_MODE_TCP) {
		char what[64];
		snprintf(what, sizeof what, "mode %s", s->mode.v == HP_MODE_HTTP ? "http" : "other");
		if (next_line)
			conf_imp_left_out(st->im, s->mode.line, false, what,
			             "no proxy uses this defaults section: the one at line %d "
			             "replaces it before any proxy", next_line);
		else
			conf_imp_left_out(st->im, s->mode.line, false, what,
			             "no proxy follows this defaults section");
	}
}

static int find_defaults(struct hp_state *st, const char *name)
{
	for (int i = st->ndefaults - 1; i >= 0; i--)
		if (st->defaults[i].name[0] && strcmp(st->defaults[i].name, name) == 0)
			return i;
	return -1;
}

static void open_defaults(struct hp_state *st)
{
	struct hp_defaults *d;
	int from = -1;

	if (st->ndefaults == HP_MAX_DEFAULTS) {
		conf_hp_routing(st, "too many defaults sections for pgfront import");
		st->sec = HP_SEC_OTHER;
		return;
	}
	d = &st->defaults[st->ndefaults];
	memset(d, 0, sizeof *d);
	d->line = st->ln.no;
	settings_init(&d->s);
	for (int i = 1; i < st->ln.nw; i++) {
		if (is(st->ln.w[i], "from") && i + 1 < st->ln.nw) {
			from = find_defaults(st, st->ln.w[i + 1]);
			if (from < 0)
				conf_hp_routing(st, "no defaults section of that name before it");
			i++;
		} else if (!d->name[0]) {
			conf_imp_copy(d->name, sizeof d->name, st->ln.w[i]);
		}
	}
	if (from >= 0)
		d->s = st->defaults[from].s;
	/* A named defaults section is only used by "from"; an anonymous one, or
	 * (since 2.5) a named one, is also what the next proxies take. */
	st->cur_defaults = st->ndefaults++;
	st->sec = HP_SEC_DEFAULTS;
	st->cur = &d->s;
	st->proxy = NULL;
}

static void open_proxy(struct hp_state *st, enum hp_kind kind)
{
	struct hp_proxy *p;
	int from = st->cur_defaults;

	if (st->ln.nw < 2) {
		conf_hp_routing(st, "a proxy needs a name");
		st->sec = HP_SEC_OTHER;
		return;
	}
	if (st->nproxies == HP_MAX_PROXIES) {
		conf_hp_routing(st, "too many proxies for pgfront import");
		st->sec = HP_SEC_OTHER;
		return;
	}
	p = &st->proxies[st->nproxies++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	conf_imp_copy(p->name, sizeof p->name, st->ln.w[1]);
	p->line = st->ln.no;
	if (st->ln.nw >= 4 && is(st->ln.w[2], "from")) {
		from = find_defaults(st, st->ln.w[3]);
		if (from < 0)
			conf_hp_routing(st, "no defaults section of that name before it");
	}
	p->defaults = from;
	if (from >= 0) {
		p->s = st->defaults[from].s;
		st->defaults[from].users++;
	} else {
		settings_init(&p->s);
	}
	st->sec = HP_SEC_PROXY;
	st->cur = &p->s;
	st->proxy = p;
}

static bool section_line(struct hp_state *st)
{
	static const char *const others[] = {
		"userlist", "peers", "resolvers", "mailers", "program", "http-errors",
		"ring", "cache", "log-forward", "fcgi-app", "crt-store", "traces",
		"namespace_list", "dynamic-update", NULL,
	};
	const char *k = st->ln.w[0];

	if (is(k, "global")) {
		st->sec = HP_SEC_GLOBAL;
		st->cur = NULL;
		st->proxy = NULL;
	} else if (is(k, "defaults")) {
		open_defaults(st);
	} else if (is(k, "listen")) {
		open_proxy(st, HP_LISTEN);
	} else if (is(k, "frontend")) {
		open_proxy(st, HP_FRONTEND);
	} else if (is(k, "backend")) {
		open_proxy(st, HP_BACKEND);
	} else {
		for (int i = 0; others[i]; i++) {
			if (is(k, others[i])) {
				conf_hp_note(st, "a section pgfront has no use for: its lines are skipped");
				st->sec = HP_SEC_OTHER;
				st->cur = NULL;
				st->proxy = NULL;
				return true;
			}
		}
		return false;
	}
	return true;
}

static void read_line(struct hp_state *st, const char *line)
{
	struct hp_line *ln = &st->ln;

	squeeze(ln->text, sizeof ln->text, line);
	if (!split_words(ln, line))
		conf_imp_notice(st->im, ln->no, "an environment variable is read as written: "
		           "pgfront import does not expand it");
	if (ln->nw == 0)
		return;
	if (section_line(st))
		return;
	switch (st->sec) {
	case HP_SEC_NONE:
		conf_hp_routing(st, "a line before any section");
		break;
	case HP_SEC_GLOBAL:
		conf_hp_global_line(st);
		break;
	case HP_SEC_DEFAULTS:
	case HP_SEC_PROXY:
		conf_hp_proxy_line(st);
		break;
	case HP_SEC_OTHER:
		break;
	}
}

void conf_imp_haproxy(struct imp *im, const char *text, struct imp_model *model)
{
	struct hp_state *st = calloc(1, sizeof *st);
	const char *p = text;
	char *line;

	if (!st || !(line = malloc(HP_LINE_MAX + 1))) {
		free(st);
		im->oom = true;
		return;
	}
	st->im = im;
	st->model = model;
	st->cur_defaults = -1;
	conf_imp_copy(model->global.title, sizeof model->global.title, "global");
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		st->ln.no++;
		if (n > HP_LINE_MAX) {
			conf_imp_left_out(im, st->ln.no, true, "(a long line)",
			             "longer than the %d characters pgfront import reads", HP_LINE_MAX);
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			read_line(st, line);
		}
		p += n + (end ? 1 : 0);
	}
	/* once the whole file is read: a named one may be taken by a later "from" */
	for (int i = 0; i < st->ndefaults; i++)
		report_unused_defaults(st, i, i + 1 < st->ndefaults ? st->defaults[i + 1].line : 0);
	conf_hp_build(st);
	if (model->nls == 0)
		conf_imp_left_out(im, 0, true, "(the whole file)", "no proxy pgfront can translate, "
		             "and pgfront needs a [listen] to serve");
	free(line);
	free(st);
}
