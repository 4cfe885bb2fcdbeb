/*
 * haproxy.cfg, read as HAProxy 2.x reads it: lines split into words (quotes,
 * backslash escapes, '#' comments), sections, and each keyword of `global`,
 * `defaults` and the proxies either kept for translation or reported.
 * Servers and binds are in conf/import_hap_server.c, the translation of the
 * proxies into listeners in conf/import_hap_build.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/import_hap.h"

#define MS 1000LL

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

static void out_routing(struct hp_state *st, const char *why)
{
	imp_left_out(st->im, st->ln.no, true, st->ln.text, "%s", why);
	if (st->proxy)
		st->proxy->routing_rules = true;
}

static void out_note(struct hp_state *st, const char *why)
{
	imp_left_out(st->im, st->ln.no, false, st->ln.text, "%s", why);
}

/* --- values ------------------------------------------------------------ */

static bool set_time(struct hp_state *st, struct hp_num *n, const char *text, long long unit)
{
	long long us;

	if (!text || imp_parse_time(text, unit, &us) < 0) {
		out_routing(st, "not a time HAProxy would accept");
		return false;
	}
	n->v = us;
	n->line = st->ln.no;
	return true;
}

static bool set_int(struct hp_state *st, struct hp_num *n, const char *text,
                    long long min, long long max)
{
	long long v;

	if (!text || imp_parse_int(text, min, max, &v) < 0) {
		out_routing(st, "not a number in the range pgfront accepts");
		return false;
	}
	n->v = v;
	n->line = st->ln.no;
	return true;
}

static void set_str(struct hp_state *st, struct hp_str *s, const char *text)
{
	imp_copy(s->s, sizeof s->s, text);
	s->line = st->ln.no;
}

/* --- global -------------------------------------------------------------- */

static const char *const global_harmless[] = {
	"log", "log-tag", "log-send-hostname", "chroot", "pidfile", "daemon",
	"master-worker", "user", "group", "uid", "gid", "stats", "ca-base",
	"crt-base", "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites",
	"ssl-default-bind-options", "ssl-default-server-ciphers",
	"ssl-default-server-ciphersuites", "ssl-default-server-options",
	"ssl-dh-param-file", "tune.ssl.default-dh-param", "nbthread", "nbproc",
	"cpu-map", "ulimit-n", "node", "description", "setenv", "presetenv",
	"unsetenv", "resetenv", "spread-checks", "max-spread-checks", "quiet",
	"zero-warning", "insecure-fork-wanted", "insecure-setuid-wanted",
	"localpeer", "maxsslconn", "maxconnrate", "maxsessrate", "server-state-file",
	"server-state-base", "lua-load", "lua-prepend-path", "expose-experimental-directives",
	"set-dumpable", "strict-limits", "busy-polling", "hard-stop-after", NULL,
};

static bool in_list(const char *const *list, const char *w)
{
	for (; *list; list++)
		if (strcmp(*list, w) == 0)
			return true;
	return false;
}

static void global_line(struct hp_state *st)
{
	const char *k = st->ln.w[0];
	struct imp_section *g = &st->model->global;

	if (is(k, "maxconn")) {
		struct hp_num n = { 0 };
		if (set_int(st, &n, st->ln.w[1], 1, 1000000))
			imp_kv_add(g, "maxconn", n.line, "%lld", n.v);
	} else if (is(k, "hard-stop-after")) {
		struct hp_num n = { 0 };
		char d[32];
		if (set_time(st, &n, st->ln.w[1], MS)) {
			imp_format_duration(n.v, d, sizeof d);
			imp_kv_add(g, "hard_stop_after", n.line, "%s", d);
		}
	} else if (is(k, "log")) {
		out_note(st, "pgfront logs to stderr (the journal under systemd); "
		             "[global] log_level sets the level");
	} else if (is(k, "user") || is(k, "uid")) {
		out_note(st, "pgfront runs as the user that starts it; [global] user = NAME "
		             "switches to another once the ports are bound");
	} else if (is(k, "stats")) {
		out_note(st, "no runtime socket: the stats page and `pgfront ctl` do its job");
	} else if (is(k, "daemon") || is(k, "master-worker") || is(k, "pidfile")) {
		out_note(st, "pgfront stays in the foreground, as systemd runs it");
	} else if (in_list(global_harmless, k) || strncmp(k, "tune.", 5) == 0) {
		out_note(st, "no equivalent in pgfront, and no effect on routing");
	} else {
		out_note(st, "not understood in global; global settings do not route");
	}
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
		imp_left_out(st->im, d->line, false, "defaults",
		             "no proxy uses this section: the defaults section at line %d "
		             "replaces it first", next_line);
	else
		imp_left_out(st->im, d->line, false, "defaults",
		             "no proxy follows this section");
	if (s->mode.line && s->mode.v != HP_MODE_TCP) {
		char what[64];
		snprintf(what, sizeof what, "mode %s", s->mode.v == HP_MODE_HTTP ? "http" : "other");
		if (next_line)
			imp_left_out(st->im, s->mode.line, false, what,
			             "no proxy uses this defaults section: the one at line %d "
			             "replaces it before any proxy", next_line);
		else
			imp_left_out(st->im, s->mode.line, false, what,
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
		out_routing(st, "too many defaults sections for pgfront import");
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
				out_routing(st, "no defaults section of that name before it");
			i++;
		} else if (!d->name[0]) {
			imp_copy(d->name, sizeof d->name, st->ln.w[i]);
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
		out_routing(st, "a proxy needs a name");
		st->sec = HP_SEC_OTHER;
		return;
	}
	if (st->nproxies == HP_MAX_PROXIES) {
		out_routing(st, "too many proxies for pgfront import");
		st->sec = HP_SEC_OTHER;
		return;
	}
	p = &st->proxies[st->nproxies++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	imp_copy(p->name, sizeof p->name, st->ln.w[1]);
	p->line = st->ln.no;
	if (st->ln.nw >= 4 && is(st->ln.w[2], "from")) {
		from = find_defaults(st, st->ln.w[3]);
		if (from < 0)
			out_routing(st, "no defaults section of that name before it");
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
				out_note(st, "a section pgfront has no use for: its lines are skipped");
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

/* --- proxy keywords ------------------------------------------------------ */

static void mode_line(struct hp_state *st)
{
	const char *m = st->ln.w[1];

	st->cur->mode.line = st->ln.no;
	st->cur->mode.v = is(m, "tcp") ? HP_MODE_TCP : is(m, "http") ? HP_MODE_HTTP : HP_MODE_OTHER;
	/* a proxy in http mode is reported as a whole (import_hap_build.c) */
}

static void timeout_line(struct hp_state *st)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
		{ "connect", offsetof(struct hp_settings, t_connect) },
		{ "client", offsetof(struct hp_settings, t_client) },
		{ "server", offsetof(struct hp_settings, t_server) },
		{ "check", offsetof(struct hp_settings, t_check) },
		{ "queue", offsetof(struct hp_settings, t_queue) },
		{ "tunnel", offsetof(struct hp_settings, t_tunnel) },
		{ "contimeout", offsetof(struct hp_settings, t_connect) },
		{ "clitimeout", offsetof(struct hp_settings, t_client) },
		{ "srvtimeout", offsetof(struct hp_settings, t_server) },
	};
	const char *which = st->ln.w[0][0] == 't' ? st->ln.w[1] : st->ln.w[0];
	const char *value = st->ln.w[0][0] == 't' ? st->ln.w[2] : st->ln.w[1];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (is(which, t[i].name)) {
			set_time(st, (struct hp_num *)((char *)st->cur + t[i].off), value, MS);
			return;
		}
	}
	out_note(st, "a timeout of HTTP or of half-closed sessions: pgfront has none");
}

/* The method and path of "option httpchk" or "http-check send". */
static void set_check(struct hp_state *st, const char *method, const char *uri,
                      const char *version)
{
	struct hp_settings *s = st->cur;

	s->check.v = HP_CHECK_HTTP;
	s->check.line = st->ln.no;
	s->uri_line.line = st->ln.no;
	if (method)
		imp_copy(s->method, sizeof s->method, method);
	if (uri && !imp_copy(s->uri, sizeof s->uri, uri))
		out_routing(st, "the check's path is longer than pgfront takes");
	if (version && (strchr(version, '\r') || strchr(version, '\n')))
		imp_notice(st->im, st->ln.no, "the headers added after the HTTP version are not "
		           "sent: Patroni's answer does not depend on them");
}

static void httpchk_option(struct hp_state *st)
{
	int n = st->ln.nw - 2;          /* words after "option httpchk" */
	char **w = st->ln.w + 2;

	strcpy(st->cur->method, "OPTIONS");
	strcpy(st->cur->uri, "/");
	if (n == 0)
		set_check(st, NULL, NULL, NULL);
	else if (n == 1)
		set_check(st, NULL, w[0], NULL);
	else
		set_check(st, w[0], w[1], n >= 3 ? w[2] : NULL);
}

static void other_check(struct hp_state *st, const char *what)
{
	st->cur->check.v = HP_CHECK_OTHER;
	st->cur->check.line = st->ln.no;
	imp_copy(st->cur->check_what, sizeof st->cur->check_what, what);
	/* reported where a listener uses it (import_hap_build.c) */
}

static const char *const option_notes[] = {
	"tcplog", "httplog", "dontlognull", "log-health-checks", "logasap",
	"log-separate-errors", "dontlog-normal", "tcpka", "clitcpka", "srvtcpka",
	"splice-auto", "splice-request", "splice-response", "nolinger",
	"abortonclose", "redispatch", "socket-stats", "independent-streams",
	"prefer-last-server", "forwardfor", "http-server-close", "httpclose",
	"http-keep-alive", "http-buffer-request", "http-ignore-probes",
	"http-use-proxy-header", "http-pretend-keepalive", "http-no-delay",
	"httplog", "http-restrict-req-hdr-names", "checkcache", "contstats",
	"accept-invalid-http-request", "accept-invalid-http-response",
	"disable-h2-upgrade", "h1-case-adjust-bogus-client", "h1-case-adjust-bogus-server",
	"idle-close-on-response", "originalto", "persist", "allbackups", NULL,
};

static void option_line(struct hp_state *st)
{
	const char *o = st->ln.w[1];

	if (is(o, "no") || is(o, "default")) {
		out_note(st, "pgfront has no such option to turn off");
		return;
	}
	if (is(o, "httpchk")) {
		httpchk_option(st);
	} else if (is(o, "tcp-check") || is(o, "pgsql-check") || is(o, "mysql-check") ||
	           is(o, "ssl-hello-chk") || is(o, "redis-check") || is(o, "ldap-check") ||
	           is(o, "smtpchk") || is(o, "external-check") || is(o, "spop-check")) {
		char what[64];
		snprintf(what, sizeof what, "option %s", o);
		other_check(st, what);
	} else if (is(o, "redispatch")) {
		out_note(st, "pgfront's retries go to the same server; a single listener has one");
	} else if (is(o, "allbackups")) {
		out_note(st, "pgfront spreads sessions over every UP backup server (as allbackups)");
	} else if (is(o, "transparent")) {
		out_routing(st, "pgfront connects to the servers' addresses only");
	} else if (o && in_list(option_notes, o)) {
		out_note(st, "logging or HTTP behaviour that pgfront's TCP proxy does not have");
	} else {
		out_routing(st, "an option pgfront import does not know");
	}
}

static void http_check_line(struct hp_state *st)
{
	const char *a = st->ln.w[1];
	struct hp_settings *s = st->cur;

	if (is(a, "send")) {
		const char *meth = NULL, *uri = NULL, *ver = NULL;
		for (int i = 2; i + 1 < st->ln.nw; i++) {
			if (is(st->ln.w[i], "meth"))
				meth = st->ln.w[++i];
			else if (is(st->ln.w[i], "uri"))
				uri = st->ln.w[++i];
			else if (is(st->ln.w[i], "ver"))
				ver = st->ln.w[++i];
			else if (is(st->ln.w[i], "hdr") && i + 2 < st->ln.nw)
				i += 2;
		}
		if (s->check.v != HP_CHECK_HTTP) {
			strcpy(s->method, "GET");
			strcpy(s->uri, "/");
		}
		set_check(st, meth, uri, ver);
		if (strstr(st->ln.text, " hdr ") || strstr(st->ln.text, " body"))
			imp_notice(st->im, st->ln.no, "headers and body of the check are not sent: "
			           "Patroni's answer does not depend on them");
	} else if (is(a, "expect")) {
		int i = 2;
		bool neg = is(st->ln.w[i], "!");
		if (neg)
			i++;
		long long code;
		if (!neg && is(st->ln.w[i], "status") && i + 1 < st->ln.nw &&
		    imp_parse_int(st->ln.w[i + 1], 100, 599, &code) == 0) {
			s->expect.v = code;
			s->expect.line = st->ln.no;
		} else if (!neg && is(st->ln.w[i], "status") && i + 1 < st->ln.nw &&
		           strncmp(st->ln.w[i + 1], "200", 3) == 0 &&
		           (st->ln.w[i + 1][3] == '-' || st->ln.w[i + 1][3] == ',')) {
			s->expect.v = 200;
			s->expect.line = st->ln.no;
			imp_notice(st->im, st->ln.no, "only 200 passes: Patroni answers its checks "
			           "with 200 or 503, never another code of '%s'", st->ln.w[i + 1]);
		} else {
			set_str(st, &s->expect_other, st->ln.text);
		}
	} else if (is(a, "connect")) {
		for (int i = 2; i + 1 < st->ln.nw; i++)
			if (is(st->ln.w[i], "port"))
				set_int(st, &s->check_port, st->ln.w[++i], 1, 65535);
		if (strstr(st->ln.text, " ssl"))
			imp_notice(st->im, st->ln.no, "check over TLS: set check_tls = yes "
			           "(not translated from http-check connect)");
	} else if (is(a, "disable-on-404")) {
		out_note(st, "Patroni never answers 404 to a health check");
	} else if (is(a, "comment") || is(a, "set-var") || is(a, "unset-var")) {
		out_note(st, "no effect on the check's verdict");
	} else {
		out_routing(st, "an http-check rule pgfront cannot follow");
	}
}

static void stats_line(struct hp_state *st)
{
	struct hp_settings *s = st->cur;
	const char *a = st->ln.w[1];

	if (is(a, "enable")) {
		s->stats.on = true;
		s->stats.line = st->ln.no;
	} else if (is(a, "uri") && st->ln.nw > 2) {
		set_str(st, &s->stats_uri, st->ln.w[2]);
		s->stats.on = true;
		if (!s->stats.line)
			s->stats.line = st->ln.no;
	} else if (is(a, "refresh") && st->ln.nw > 2) {
		set_time(st, &s->stats_refresh, st->ln.w[2], 1000000);
	} else if (is(a, "auth") && st->ln.nw > 2) {
		if (s->stats_auth.line)
			out_note(st, "pgfront's [stats] has one user: the first stats auth is kept");
		else
			set_str(st, &s->stats_auth, st->ln.w[2]);
		s->stats.on = true;
	} else if (is(a, "admin")) {
		s->stats_admin.on = true;
		s->stats_admin.line = st->ln.no;
		if (!(st->ln.nw == 4 && is(st->ln.w[2], "if") && is(st->ln.w[3], "TRUE")))
			imp_notice(st->im, st->ln.no, "admin = yes for every user of the page: "
			           "pgfront has no condition on it");
	} else {
		out_note(st, "a stats page setting pgfront's [stats] does not have");
	}
}

static void balance_line(struct hp_state *st)
{
	if (st->ln.nw < 2) {
		out_routing(st, "balance without an algorithm");
		return;
	}
	set_str(st, &st->cur->balance, st->ln.w[1]);
}

static void backend_rule(struct hp_state *st)
{
	const char *k = st->ln.w[0];

	if (is(k, "default_backend") && st->ln.nw >= 2) {
		set_str(st, &st->cur->default_backend, st->ln.w[1]);
	} else if (is(k, "use_backend") && st->ln.nw == 2 && st->proxy) {
		if (!st->proxy->use_backend.line)
			set_str(st, &st->proxy->use_backend, st->ln.w[1]);
	} else {
		out_routing(st, "pgfront routes by port and health only, not by ACL: "
		            "such clients go to the default backend");
	}
}

static const char *const proxy_notes[] = {
	"log", "description", "id", "errorfile", "errorfiles", "errorloc",
	"errorloc302", "errorloc303", "capture", "unique-id-format",
	"unique-id-header", "log-format", "log-format-sd", "error-log-format",
	"log-tag", "email-alert", "compression", "http-reuse", "acl", "declare",
	"stick-table", "fullconn", "hash-type", "hash-balance-factor", "grace",
	"bind-process", "cookie", "persist", "retry-on", "max-keep-alive-queue",
	"filter", "force-persist", "ignore-persist", "monitor-uri", "monitor",
	"monitor-net", "http-request", "http-response", "http-after-response",
	"http-error", "redirect", "rate-limit", "log-steps", "enabled", NULL,
};

static void proxy_note(struct hp_state *st, const char *k)
{
	if (is(k, "errorfile") || is(k, "errorfiles") || strncmp(k, "errorloc", 8) == 0 ||
	    is(k, "http-error"))
		out_note(st, "pgfront never answers HTTP on its listeners: a refused client "
		             "hears why in PostgreSQL's protocol (SQLSTATE 57P03)");
	else if (is(k, "log") || strncmp(k, "log-", 4) == 0 || is(k, "capture") ||
	         strncmp(k, "unique-id", 9) == 0 || is(k, "error-log-format"))
		out_note(st, "pgfront logs to stderr, one line per session at log_level = info");
	else if (is(k, "acl"))
		out_note(st, "ACLs: pgfront routes by port and health only (rules that use "
		             "them are reported on their own lines)");
	else if (strncmp(k, "http-", 5) == 0 || is(k, "redirect") || is(k, "compression") ||
	         strncmp(k, "monitor", 7) == 0)
		out_note(st, "HTTP processing: pgfront is a TCP proxy");
	else if (is(k, "rate-limit"))
		out_note(st, "pgfront has no rate limit on new sessions");
	else
		out_note(st, "no equivalent in pgfront, and no effect on which server is used");
}

static void proxy_line(struct hp_state *st)
{
	const char *k = st->ln.w[0];
	struct hp_settings *s = st->cur;
	bool in_proxy = st->sec == HP_SEC_PROXY;

	if (is(k, "mode") && st->ln.nw >= 2)
		mode_line(st);
	else if (is(k, "timeout") || is(k, "contimeout") || is(k, "clitimeout") ||
	         is(k, "srvtimeout"))
		timeout_line(st);
	else if (is(k, "retries"))
		set_int(st, &s->retries, st->ln.w[1], 0, 100);
	else if (is(k, "maxconn"))
		set_int(st, &s->maxconn, st->ln.w[1], 0, 1000000);
	else if (is(k, "balance"))
		balance_line(st);
	else if (is(k, "option") && st->ln.nw >= 2)
		option_line(st);
	else if (is(k, "http-check") && st->ln.nw >= 2)
		http_check_line(st);
	else if (is(k, "tcp-check") || is(k, "external-check"))
		other_check(st, k);
	else if (is(k, "default-server"))
		hp_srvopts_parse(st, &s->defsrv, 1);
	else if (is(k, "stats") && st->ln.nw >= 2 && !is(st->ln.w[1], "socket"))
		stats_line(st);
	else if (in_proxy && is(k, "server"))
		hp_server_line(st);
	else if (in_proxy && is(k, "bind"))
		hp_bind_line(st);
	else if (in_proxy && is(k, "disabled"))
		st->proxy->disabled = (struct hp_flag){ true, st->ln.no };
	else if (is(k, "default_backend") || is(k, "use_backend"))
		backend_rule(st);
	else if (is(k, "tcp-request") || is(k, "tcp-response") || is(k, "use-server") ||
	         strncmp(k, "stick", 5) == 0 || is(k, "dispatch") || is(k, "source") ||
	         is(k, "server-template") || is(k, "usesrc"))
		out_routing(st, "pgfront has no equivalent: it picks servers by health and "
		            "balance alone, and connects from the host's own address");
	else if (in_list(proxy_notes, k))
		proxy_note(st, k);
	else
		out_routing(st, "a keyword pgfront import does not know");
}

static void read_line(struct hp_state *st, const char *line)
{
	struct hp_line *ln = &st->ln;

	squeeze(ln->text, sizeof ln->text, line);
	if (!split_words(ln, line))
		imp_notice(st->im, ln->no, "an environment variable is read as written: "
		           "pgfront import does not expand it");
	if (ln->nw == 0)
		return;
	if (section_line(st))
		return;
	switch (st->sec) {
	case HP_SEC_NONE:
		out_routing(st, "a line before any section");
		break;
	case HP_SEC_GLOBAL:
		global_line(st);
		break;
	case HP_SEC_DEFAULTS:
	case HP_SEC_PROXY:
		proxy_line(st);
		break;
	case HP_SEC_OTHER:
		break;
	}
}

void imp_haproxy(struct imp *im, const char *text, struct imp_model *model)
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
	imp_copy(model->global.title, sizeof model->global.title, "global");
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		st->ln.no++;
		if (n > HP_LINE_MAX) {
			imp_left_out(im, st->ln.no, true, "(a long line)",
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
	hp_build(st);
	if (model->nls == 0)
		imp_left_out(im, 0, true, "(the whole file)", "no proxy pgfront can translate, "
		             "and pgfront needs a [listen] to serve");
	free(line);
	free(st);
}
