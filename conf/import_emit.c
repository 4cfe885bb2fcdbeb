/*
 * The translated model written as a pgfront.ini: [global], [defaults], one
 * [server] per PostgreSQL node, one [listen] per translated proxy, [stats]
 * and [vrrp]. Every value carries, as a comment, the input line(s) it came
 * from or the default it stands for.
 *
 * HAProxy sets check timings per server line of each proxy; pgfront resolves
 * them [server] > [listen] > [defaults]. Each tunable is written at the
 * highest level that gives every (listener, server) pair its HAProxy value:
 * [defaults] when all pairs agree, a [listen] when its pairs agree, else the
 * [server]. A server whose pairs need different values at the [server] level
 * becomes one [server] per listener.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_int.h"

#define COMMENT_COL 32
#define LINE_MAX_OUT 198       /* pgfront's longest line */
#define MAX_PG (CONF_MAX_LISTENERS * CONF_MAX_SERVERS)

struct pgserver {
	char name[CONF_NAME_MAX];
	const struct imp_server *first;
	int members[CONF_MAX_LISTENERS];   /* per listener: index into srv, -1 */
};

struct emit {
	struct imp *im;
	const struct imp_model *m;
	struct imp_buf *out;
	const char *hap;                   /* file names for comments */
	const char *ka;
	struct pgserver pg[MAX_PG];
	int npg;
	bool uniform[CONF_MAX_LISTENERS][IMP_KEY_COUNT];
	int srv_section[CONF_MAX_LISTENERS][CONF_MAX_SERVERS];
};

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "";
}

/* "key = value", and the comment after it if the line stays short enough. */
static void put(struct emit *e, const char *key, const char *value, const char *comment,
                bool commented)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%s%s = %s", commented ? "; " : "", key, value);

	if (n < 0)
		return;
	if (comment && comment[0]) {
		int pad = n < COMMENT_COL ? COMMENT_COL - n : 1;
		if (n + pad + 2 + (int)strlen(comment) <= LINE_MAX_OUT)
			conf_imp_buf_add(e->out, "%s%*s; %s\n", line, pad, "", comment);
		else
			conf_imp_buf_add(e->out, "; %.190s\n%s\n", comment, line);
	} else {
		conf_imp_buf_add(e->out, "%s\n", line);
	}
}

/* "haproxy.cfg:12,30,40" from a set of lines. */
static void lines_comment(const char *file, const int *lines, int n,
                          const char *why, char *buf, size_t size)
{
	int len, shown = 0;

	if (n == 0) {
		snprintf(buf, size, "%s", why ? why : "");
		return;
	}
	len = snprintf(buf, size, "%s:", file);
	for (int i = 0; i < n && len > 0 && (size_t)len < size; i++) {
		if (shown == 8) {
			snprintf(buf + len, size - (size_t)len, ",...");
			return;
		}
		len += snprintf(buf + len, size - (size_t)len, "%s%d", shown ? "," : "", lines[i]);
		shown++;
	}
}

static void add_line(int *lines, int *n, int max, int line)
{
	if (line <= 0)
		return;
	for (int i = 0; i < *n; i++) {
		if (lines[i] == line)
			return;
		if (lines[i] > line) {
			if (*n == max)
				return;
			memmove(lines + i + 1, lines + i, (size_t)(*n - i) * sizeof *lines);
			lines[i] = line;
			(*n)++;
			return;
		}
	}
	if (*n < max)
		lines[(*n)++] = line;
}

/* --- levels ------------------------------------------------------------ */

static void find_uniform(struct emit *e)
{
	for (int l = 0; l < e->m->nls; l++) {
		const struct imp_listener *ls = &e->m->ls[l];
		for (int k = 0; k < IMP_KEY_COUNT; k++) {
			e->uniform[l][k] = true;
			for (int i = 1; i < ls->nsrv; i++)
				if (!conf_imp_val_equal(&ls->srv[i].v[k], &ls->srv[0].v[k]))
					e->uniform[l][k] = false;
		}
	}
}

static bool all_equal(const struct emit *e, int k)
{
	const struct imp_val *first = NULL;

	for (int l = 0; l < e->m->nls; l++)
		for (int i = 0; i < e->m->ls[l].nsrv; i++) {
			const struct imp_val *v = &e->m->ls[l].srv[i].v[k];
			if (!first)
				first = v;
			else if (!conf_imp_val_equal(first, v))
				return false;
		}
	return true;
}

/* Can pair (l, i) share a [server] with the pairs already in pg? */
static bool compatible(const struct emit *e, const struct pgserver *pg, int l, int i)
{
	const struct imp_server *s = &e->m->ls[l].srv[i];

	if (strcmp(pg->first->address, s->address) != 0 ||
	    strcmp(pg->first->check_host, s->check_host) != 0 || pg->members[l] >= 0)
		return false;
	for (int l2 = 0; l2 < e->m->nls; l2++) {
		if (pg->members[l2] < 0)
			continue;
		const struct imp_server *o = &e->m->ls[l2].srv[pg->members[l2]];
		for (int k = 0; k < IMP_KEY_COUNT; k++)
			if (!all_equal(e, k) && !conf_imp_val_equal(&s->v[k], &o->v[k]) &&
			    !(e->uniform[l][k] && e->uniform[l2][k]))
				return false;
	}
	return true;
}

static bool name_taken(const struct emit *e, const char *name)
{
	for (int i = 0; i < e->npg; i++)
		if (strcmp(e->pg[i].name, name) == 0)
			return true;
	return false;
}

static void group_servers(struct emit *e)
{
	for (int l = 0; l < e->m->nls; l++) {
		const struct imp_listener *ls = &e->m->ls[l];
		for (int i = 0; i < ls->nsrv; i++) {
			int found = -1;
			for (int p = 0; p < e->npg && found < 0; p++)
				if (strcmp(e->pg[p].first->name, ls->srv[i].name) == 0 &&
				    compatible(e, &e->pg[p], l, i))
					found = p;
			if (found < 0) {
				struct pgserver *pg = &e->pg[e->npg];
				memset(pg, 0, sizeof *pg);
				for (int x = 0; x < CONF_MAX_LISTENERS; x++)
					pg->members[x] = -1;
				pg->first = &ls->srv[i];
				/* the same name, another address or other settings: one per listener */
				conf_imp_copy(pg->name, sizeof pg->name, ls->srv[i].name);
				for (int n = 2; name_taken(e, pg->name) && n < 1000; n++)
					snprintf(pg->name, sizeof pg->name, "%.30s.%.25s%s%.0d",
					         ls->srv[i].name, ls->name, n > 2 ? "-" : "", n > 2 ? n : 0);
				found = e->npg++;
			}
			e->pg[found].members[l] = i;
			e->srv_section[l][i] = found;
		}
	}
}

static void write_value(struct emit *e, int k, const struct imp_val *v, const int *lines, int n,
                        const char *file)
{
	char value[IMP_VALUE_MAX + 8], comment[160];

	conf_imp_val_format((enum imp_key)k, v, value, sizeof value);
	lines_comment(file, lines, n, v->why, comment, sizeof comment);
	if (n && v->why && strlen(comment) + strlen(v->why) + 3 < sizeof comment) {
		strcat(comment, " (");
		strcat(comment, v->why);
		strcat(comment, ")");
	}
	put(e, conf_imp_key_name((enum imp_key)k), value, comment, false);
}

static void write_defaults(struct emit *e)
{
	bool header = false;

	for (int k = 0; k < IMP_KEY_COUNT; k++) {
		const struct imp_val *first = NULL;
		int lines[64], n = 0;

		if (!all_equal(e, k))
			continue;
		for (int l = 0; l < e->m->nls; l++)
			for (int i = 0; i < e->m->ls[l].nsrv; i++) {
				first = first ? first : &e->m->ls[l].srv[i].v[k];
				add_line(lines, &n, 64, e->m->ls[l].srv[i].v[k].line);
			}
		if (!first || !first->set)
			continue;
		if (!header) {
			conf_imp_buf_add(e->out, "\n; The same for every listener and server.\n[defaults]\n");
			header = true;
		}
		write_value(e, k, first, lines, n, e->hap);
	}
}

static void write_servers(struct emit *e)
{
	for (int p = 0; p < e->npg; p++) {
		const struct pgserver *pg = &e->pg[p];
		char comment[64];

		snprintf(comment, sizeof comment, "%s:%d", e->hap, pg->first->line);
		conf_imp_buf_add(e->out, "\n[server %s]\n", pg->name);
		put(e, "address", pg->first->address, comment, false);
		if (pg->first->check_host[0]) {
			snprintf(comment, sizeof comment, "%s:%d (addr)", e->hap, pg->first->check_host_line);
			put(e, "check_address", pg->first->check_host, comment, false);
		}
		for (int k = 0; k < IMP_KEY_COUNT; k++) {
			const struct imp_val *v = NULL;
			int lines[16], n = 0;
			bool needed = false;
			if (all_equal(e, k))
				continue;
			for (int l = 0; l < e->m->nls; l++) {
				if (pg->members[l] < 0)
					continue;
				v = &e->m->ls[l].srv[pg->members[l]].v[k];
				add_line(lines, &n, 16, v->line);
				needed |= !e->uniform[l][k];
			}
			if (needed && v && v->set)
				write_value(e, k, v, lines, n, e->hap);
		}
	}
}

static void write_listen_keys(struct emit *e, int l)
{
	const struct imp_listener *ls = &e->m->ls[l];
	char comment[200], value[CONF_PATH_MAX + 32];

	if (ls->balance_line)
		snprintf(comment, sizeof comment, "%s:%d%s%.120s", e->hap, ls->balance_line,
		         ls->balance_note[0] ? ": " : "", ls->balance_note);
	else
		snprintf(comment, sizeof comment, "%.150s", ls->balance_note);
	put(e, "balance", conf_balance_name(ls->balance), comment, false);
	snprintf(value, sizeof value, "%s %s", ls->method, ls->path);
	if (ls->check_line)
		snprintf(comment, sizeof comment, "%s:%d%s%.120s", e->hap, ls->check_line,
		         ls->check_note[0] ? ": " : "", ls->check_note);
	else
		snprintf(comment, sizeof comment, "%.150s", ls->check_note);
	put(e, "check", value, comment, false);
	snprintf(value, sizeof value, "%d", ls->expect);
	if (ls->expect_line)
		snprintf(comment, sizeof comment, "%s:%d", e->hap, ls->expect_line);
	else
		snprintf(comment, sizeof comment, "%.150s", ls->expect_note);
	put(e, "expect_status", value, comment, false);
	if (ls->body_none)
		put(e, "check_body", "none", "the status alone, as HAProxy: a standby leader "
		    "is not a running primary", false);
}

static void write_members(struct emit *e, int l)
{
	const struct imp_listener *ls = &e->m->ls[l];
	char list[1024] = "", backups[1024] = "";
	bool all = ls->nsrv == e->npg;
	int blines[CONF_MAX_SERVERS], nb = 0;

	for (int i = 0; i < ls->nsrv; i++) {
		const char *name = e->pg[e->srv_section[l][i]].name;
		if (e->srv_section[l][i] != i)
			all = false;
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", name);
		if (ls->srv[i].backup) {
			snprintf(backups + strlen(backups), sizeof backups - strlen(backups), "%s%s",
			         backups[0] ? ", " : "", name);
			add_line(blines, &nb, CONF_MAX_SERVERS, ls->srv[i].backup_line);
		}
	}
	if (!all)
		put(e, "servers", list, NULL, false);
	if (backups[0]) {
		char comment[160];
		lines_comment(e->hap, blines, nb, NULL, comment, sizeof comment);
		put(e, "backup", backups, comment, false);
	}
}

static void write_listeners(struct emit *e)
{
	for (int l = 0; l < e->m->nls; l++) {
		const struct imp_listener *ls = &e->m->ls[l];

		conf_imp_buf_add(e->out, "\n; %s:%d: %s\n[listen %s]\n", e->hap, ls->line, ls->origin,
		            ls->name);
		for (int b = 0; b < ls->nbinds; b++) {
			char comment[64];
			snprintf(comment, sizeof comment, "%s:%d", e->hap, ls->bind_line[b]);
			put(e, "bind", ls->binds[b], comment, false);
		}
		write_listen_keys(e, l);
		write_members(e, l);
		for (int k = 0; k < IMP_KEY_COUNT; k++) {
			int lines[CONF_MAX_SERVERS], n = 0;
			if (all_equal(e, k) || !e->uniform[l][k] || !ls->nsrv || !ls->srv[0].v[k].set)
				continue;
			for (int i = 0; i < ls->nsrv; i++)
				add_line(lines, &n, CONF_MAX_SERVERS, ls->srv[i].v[k].line);
			write_value(e, k, &ls->srv[0].v[k], lines, n, e->hap);
		}
	}
}

/* --- the simple sections ------------------------------------------------ */

static void write_section(struct emit *e, const struct imp_section *s, const char *file)
{
	if (!s->nkv)
		return;
	conf_imp_buf_add(e->out, "\n");
	if (s->comment[0])
		conf_imp_buf_add(e->out, "; %s: %s\n", file, s->comment);
	conf_imp_buf_add(e->out, "[%s]\n", s->title);
	for (int i = 0; i < s->nkv; i++) {
		const struct imp_kv *kv = &s->kv[i];
		char comment[IMP_NOTE_MAX + 64] = "";
		if (kv->line)
			snprintf(comment, sizeof comment, "%s:%d%s%s", file, kv->line,
			         kv->note[0] ? ": " : "", kv->note);
		else
			snprintf(comment, sizeof comment, "%s", kv->note);
		put(e, kv->key, kv->value, comment, kv->commented);
	}
}

/* The listener a VRRP instance tracks: the write port (balance single). */
static const char *tracked_listener(const struct imp_model *m)
{
	for (int l = 0; l < m->nls; l++)
		if (m->ls[l].balance == CONF_BALANCE_SINGLE)
			return m->ls[l].name;
	return m->nls ? m->ls[0].name : NULL;
}

static void write_vrrp(struct emit *e)
{
	const struct imp_model *m = e->m;

	for (int v = 0; v < m->nvrrp; v++) {
		struct imp_section s = m->vrrp[v];
		const char *l = tracked_listener(m);

		if (m->track_line[v] && l) {
			struct imp_kv *kv = conf_imp_kv_add(&s, "track_listener", m->track_line[v], "%s", l);
			if (kv)
				snprintf(kv->note, sizeof kv->note, "%s", "HAProxy's process check: "
				         "can this balancer route writes?");
			kv = conf_imp_kv_add(&s, "track_weight", m->track_line[v], "%d", m->track_weight[v]);
			if (kv)
				snprintf(kv->note, sizeof kv->note, "%.110s", m->track_note[v]);
		} else if (m->track_line[v]) {
			e->im->file = CONF_IMPORT_KEEPALIVED;
			conf_imp_left_out(e->im, m->track_line[v], true, "track_script",
			             "no listener was translated for it to track");
		}
		write_section(e, &s, e->ka);
	}
}

void conf_imp_emit(struct imp *im, const struct imp_model *m, struct imp_buf *out)
{
	struct emit *e = calloc(1, sizeof *e);

	if (!e) {
		im->oom = true;
		return;
	}
	e->im = im;
	e->m = m;
	e->out = out;
	e->hap = base_name(im->names[CONF_IMPORT_HAPROXY]);
	e->ka = base_name(im->names[CONF_IMPORT_KEEPALIVED]);
	conf_imp_buf_add(out, "; pgfront.ini written by `pgfront import` from %s%s%s.\n"
	            "; Each value names the line it translates (FILE:LINE), or the default\n"
	            "; it stands for. What could not be translated was reported on stderr.\n"
	            "; Check the file with: pgfront -c -f FILE\n",
	            e->hap, m->nvrrp ? " and " : "", m->nvrrp ? e->ka : "");
	write_section(e, &m->global, e->hap);
	find_uniform(e);
	group_servers(e);
	write_defaults(e);
	write_servers(e);
	write_listeners(e);
	write_section(e, &m->stats, e->hap);
	write_vrrp(e);
	free(e);
}
