/*
 * The keywords of haproxy.cfg's global section and of its defaults and proxy
 * sections, each kept for translation (with its line) or reported. Lines and
 * sections are read in conf/import_haproxy.c; servers and binds in
 * conf/import_hap_server.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_hap.h"

#define MS 1000LL

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

void conf_hp_routing(struct hp_state *st, const char *why)
{
	conf_imp_left_out(st->im, st->ln.no, true, st->ln.text, "%s", why);
	if (st->proxy)
		st->proxy->routing_rules = true;
}

void conf_hp_note(struct hp_state *st, const char *why)
{
	conf_imp_left_out(st->im, st->ln.no, false, st->ln.text, "%s", why);
}

/* --- values ------------------------------------------------------------ */

static bool set_time(struct hp_state *st, struct hp_num *n, const char *text, long long unit)
{
	long long us;

	if (!text || conf_imp_parse_time(text, unit, &us) < 0) {
		conf_hp_routing(st, "not a time HAProxy would accept");
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

	if (!text || conf_imp_parse_int(text, min, max, &v) < 0) {
		conf_hp_routing(st, "not a number in the range pgfront accepts");
		return false;
	}
	n->v = v;
	n->line = st->ln.no;
	return true;
}

static void set_str(struct hp_state *st, struct hp_str *s, const char *text)
{
	conf_imp_copy(s->s, sizeof s->s, text);
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

void conf_hp_global_line(struct hp_state *st)
{
	const char *k = st->ln.w[0];
	struct imp_section *g = &st->model->global;

	if (is(k, "maxconn")) {
		struct hp_num n = { 0 };
		if (set_int(st, &n, st->ln.w[1], 1, 1000000))
			conf_imp_kv_add(g, "maxconn", n.line, "%lld", n.v);
	} else if (is(k, "hard-stop-after")) {
		struct hp_num n = { 0 };
		char d[32];
		if (set_time(st, &n, st->ln.w[1], MS)) {
			conf_imp_format_duration(n.v, d, sizeof d);
			conf_imp_kv_add(g, "hard_stop_after", n.line, "%s", d);
		}
	} else if (is(k, "log")) {
		conf_hp_note(st, "pgfront logs to stderr (the journal under systemd); "
		             "[global] log_level sets the level");
	} else if (is(k, "user") || is(k, "uid")) {
		conf_hp_note(st, "pgfront runs as the user that starts it; [global] user = NAME "
		             "switches to another once the ports are bound");
	} else if (is(k, "stats")) {
		conf_hp_note(st, "no runtime socket: the stats page and `pgfront ctl` do its job");
	} else if (is(k, "daemon") || is(k, "master-worker") || is(k, "pidfile")) {
		conf_hp_note(st, "pgfront stays in the foreground, as systemd runs it");
	} else if (in_list(global_harmless, k) || strncmp(k, "tune.", 5) == 0) {
		conf_hp_note(st, "no equivalent in pgfront, and no effect on routing");
	} else {
		conf_hp_note(st, "not understood in global; global settings do not route");
	}
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
	conf_hp_note(st, "a timeout of HTTP or of half-closed sessions: pgfront has none");
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
		conf_imp_copy(s->method, sizeof s->method, method);
	if (uri && !conf_imp_copy(s->uri, sizeof s->uri, uri))
		conf_hp_routing(st, "the check's path is longer than pgfront takes");
	if (version && (strchr(version, '\r') || strchr(version, '\n')))
		conf_imp_notice(st->im, st->ln.no, "the headers added after the HTTP version are not "
		           "sent: Patroni's answer does not depend on them");
}

static void httpchk_option(struct hp_state *st)
{
	int n = st->ln.nw - 2;          /* words after "option httpchk" */
	char **w = st->ln.w + 2;

	if (st->cur->send_line.line) {
		/* HAProxy sends what http-check send says, whatever the order */
		st->cur->check.v = HP_CHECK_HTTP;
		st->cur->check.line = st->ln.no;
		return;
	}
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
	conf_imp_copy(st->cur->check_what, sizeof st->cur->check_what, what);
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
		conf_hp_note(st, "pgfront has no such option to turn off");
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
		conf_hp_note(st, "pgfront's retries go to the same server; a single listener has one");
	} else if (is(o, "allbackups")) {
		conf_hp_note(st, "pgfront spreads sessions over every UP backup server (as allbackups)");
	} else if (is(o, "transparent")) {
		conf_hp_routing(st, "pgfront connects to the servers' addresses only");
	} else if (o && in_list(option_notes, o)) {
		conf_hp_note(st, "logging or HTTP behaviour that pgfront's TCP proxy does not have");
	} else {
		conf_hp_routing(st, "an option pgfront import does not know");
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
		s->send_line.line = st->ln.no;
		if (strstr(st->ln.text, " hdr ") || strstr(st->ln.text, " body"))
			conf_imp_notice(st->im, st->ln.no, "headers and body of the check are not sent: "
			           "Patroni's answer does not depend on them");
	} else if (is(a, "expect")) {
		int i = 2;
		bool neg = is(st->ln.w[i], "!");
		if (neg)
			i++;
		long long code;
		if (!neg && is(st->ln.w[i], "status") && i + 1 < st->ln.nw &&
		    conf_imp_parse_int(st->ln.w[i + 1], 100, 599, &code) == 0) {
			s->expect.v = code;
			s->expect.line = st->ln.no;
		} else if (!neg && is(st->ln.w[i], "status") && i + 1 < st->ln.nw &&
		           strncmp(st->ln.w[i + 1], "200", 3) == 0 &&
		           (st->ln.w[i + 1][3] == '-' || st->ln.w[i + 1][3] == ',')) {
			s->expect.v = 200;
			s->expect.line = st->ln.no;
			conf_imp_notice(st->im, st->ln.no, "only 200 passes: Patroni answers its checks "
			           "with 200 or 503, never another code of '%s'", st->ln.w[i + 1]);
		} else {
			set_str(st, &s->expect_other, st->ln.text);
		}
	} else if (is(a, "connect")) {
		for (int i = 2; i + 1 < st->ln.nw; i++)
			if (is(st->ln.w[i], "port"))
				set_int(st, &s->check_port, st->ln.w[++i], 1, 65535);
		if (strstr(st->ln.text, " ssl"))
			conf_imp_notice(st->im, st->ln.no, "check over TLS: set check_tls = yes "
			           "(not translated from http-check connect)");
	} else if (is(a, "disable-on-404")) {
		conf_hp_note(st, "Patroni never answers 404 to a health check");
	} else if (is(a, "comment") || is(a, "set-var") || is(a, "unset-var")) {
		conf_hp_note(st, "no effect on the check's verdict");
	} else {
		conf_hp_routing(st, "an http-check rule pgfront cannot follow");
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
			conf_hp_note(st, "pgfront's [stats] has one user: the first stats auth is kept");
		else
			set_str(st, &s->stats_auth, st->ln.w[2]);
		s->stats.on = true;
	} else if (is(a, "admin")) {
		s->stats_admin.on = true;
		s->stats_admin.line = st->ln.no;
		if (!(st->ln.nw == 4 && is(st->ln.w[2], "if") && is(st->ln.w[3], "TRUE")))
			conf_imp_notice(st->im, st->ln.no, "admin = yes for every user of the page: "
			           "pgfront has no condition on it");
	} else {
		conf_hp_note(st, "a stats page setting pgfront's [stats] does not have");
	}
}

static void balance_line(struct hp_state *st)
{
	if (st->ln.nw < 2) {
		conf_hp_routing(st, "balance without an algorithm");
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
		conf_hp_routing(st, "pgfront routes by port and health only, not by ACL: "
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
		conf_hp_note(st, "pgfront never answers HTTP on its listeners: a refused client "
		             "hears why in PostgreSQL's protocol (SQLSTATE 57P03)");
	else if (is(k, "log") || strncmp(k, "log-", 4) == 0 || is(k, "capture") ||
	         strncmp(k, "unique-id", 9) == 0 || is(k, "error-log-format"))
		conf_hp_note(st, "pgfront logs to stderr, one line per session at log_level = info");
	else if (is(k, "acl"))
		conf_hp_note(st, "ACLs: pgfront routes by port and health only (rules that use "
		             "them are reported on their own lines)");
	else if (strncmp(k, "http-", 5) == 0 || is(k, "redirect") || is(k, "compression") ||
	         strncmp(k, "monitor", 7) == 0)
		conf_hp_note(st, "HTTP processing: pgfront is a TCP proxy");
	else if (is(k, "rate-limit"))
		conf_hp_note(st, "pgfront has no rate limit on new sessions");
	else
		conf_hp_note(st, "no equivalent in pgfront, and no effect on which server is used");
}

void conf_hp_proxy_line(struct hp_state *st)
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
		conf_hp_srvopts_parse(st, &s->defsrv, 1);
	else if (is(k, "stats") && st->ln.nw >= 2 && !is(st->ln.w[1], "socket"))
		stats_line(st);
	else if (in_proxy && is(k, "server"))
		conf_hp_server_line(st);
	else if (in_proxy && is(k, "bind"))
		conf_hp_bind_line(st);
	else if (in_proxy && is(k, "disabled"))
		st->proxy->disabled = (struct hp_flag){ true, st->ln.no };
	else if (is(k, "default_backend") || is(k, "use_backend"))
		backend_rule(st);
	else if (is(k, "tcp-request") || is(k, "tcp-response") || is(k, "use-server") ||
	         strncmp(k, "stick", 5) == 0 || is(k, "dispatch") || is(k, "source") ||
	         is(k, "server-template") || is(k, "usesrc"))
		conf_hp_routing(st, "pgfront has no equivalent: it picks servers by health and "
		            "balance alone, and connects from the host's own address");
	else if (in_list(proxy_notes, k))
		proxy_note(st, k);
	else
		conf_hp_routing(st, "a keyword pgfront import does not know");
}
