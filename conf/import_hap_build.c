/*
 * HAProxy's proxies into pgfront's listeners: a `listen`, or a `frontend`
 * with the `backend` it sends everything to, in TCP mode, becomes one
 * [listen]; a proxy with `stats` becomes [stats]; every other proxy is
 * reported. Each (listener, server) pair gets the value HAProxy would use for
 * every tunable, with the line it came from or the default it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_hap.h"

#define SEC 1000000LL
#define LONGEST (24LL * 86400 * SEC)    /* pgfront's longest duration */

static const char HAP_DEFAULT[] = "HAProxy's default";

/* pgfront's names: 1 to 63 of A-Z a-z 0-9 _ . - */
static void sanitize(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < size && n < CONF_NAME_MAX - 1; src++) {
		char c = *src;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		dst[n++] = ok ? c : '_';
	}
	if (n == 0)
		dst[n++] = '_';
	dst[n] = '\0';
}

static struct hp_proxy *find_backend(struct hp_state *st, const char *name)
{
	for (int i = 0; i < st->nproxies; i++) {
		struct hp_proxy *p = &st->proxies[i];
		if ((p->kind == HP_BACKEND || p->kind == HP_LISTEN) && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static void val_num(struct imp_val *v, const struct hp_num *n, long long dflt, const char *why)
{
	v->set = true;
	if (n->line) {
		v->num = n->v;
		v->line = n->line;
	} else {
		v->num = dflt;
		v->why = why;
	}
}

/* A HAProxy timeout into pgfront's range (0 and unset: none, the longest). */
static void val_timeout(struct imp *im, struct imp_val *v, const struct hp_num *n,
                        const char *what)
{
	v->set = true;
	if (!n->line || n->v == 0) {
		v->num = LONGEST;
		v->line = n->line;
		v->why = "no timeout in haproxy.cfg: pgfront's longest";
		return;
	}
	v->line = n->line;
	v->num = n->v;
	if (n->v < 1000) {
		v->num = 1000;
		conf_imp_notice(im, n->line, "%s below 1ms: pgfront's shortest, 1ms", what);
	} else if (n->v > LONGEST) {
		v->num = LONGEST;
		conf_imp_notice(im, n->line, "%s above 24d: pgfront's longest, 24d", what);
	}
}

static void pair_values(struct hp_state *st, const struct hp_settings *fe,
                        const struct hp_settings *be, const struct hp_server *s,
                        long long port, struct imp_server *out)
{
	const struct hp_srvopts *o = &s->o;
	struct imp_val *v = out->v;

	val_num(&v[IMP_RETRIES], &be->retries, 3, HAP_DEFAULT);
	val_timeout(st->im, &v[IMP_TIMEOUT_CONNECT], &be->t_connect, "timeout connect");
	val_timeout(st->im, &v[IMP_TIMEOUT_CLIENT], be->t_tunnel.line ? &be->t_tunnel : &fe->t_client,
	            "timeout client");
	val_timeout(st->im, &v[IMP_TIMEOUT_SERVER], be->t_tunnel.line ? &be->t_tunnel : &be->t_server,
	            "timeout server");
	val_num(&v[IMP_INTER], &o->inter, 2 * SEC, HAP_DEFAULT);
	if (o->fastinter.line)
		val_num(&v[IMP_FASTINTER], &o->fastinter, 0, NULL);
	if (o->downinter.line)
		val_num(&v[IMP_DOWNINTER], &o->downinter, 0, NULL);
	if (be->t_check.line) {
		val_timeout(st->im, &v[IMP_TIMEOUT_CHECK], &be->t_check, "timeout check");
	} else {
		v[IMP_TIMEOUT_CHECK] = v[IMP_INTER];
		v[IMP_TIMEOUT_CHECK].why = "HAProxy waits inter when there is no timeout check";
	}
	if (be->t_queue.line) {
		val_timeout(st->im, &v[IMP_TIMEOUT_QUEUE], &be->t_queue, "timeout queue");
	} else {
		v[IMP_TIMEOUT_QUEUE] = v[IMP_TIMEOUT_CONNECT];
		v[IMP_TIMEOUT_QUEUE].why = "HAProxy uses timeout connect when there is no timeout queue";
	}
	val_num(&v[IMP_FALL], &o->fall, 3, HAP_DEFAULT);
	val_num(&v[IMP_RISE], &o->rise, 2, HAP_DEFAULT);
	v[IMP_ON_MARKED_DOWN].set = true;
	v[IMP_ON_MARKED_DOWN].line = o->shutdown_sessions.line;
	strcpy(v[IMP_ON_MARKED_DOWN].str, o->shutdown_sessions.on ? "shutdown-sessions" : "none");
	if (!o->shutdown_sessions.line)
		v[IMP_ON_MARKED_DOWN].why = "HAProxy's default: sessions stay on a DOWN server";
	if (be->check_port.line)
		val_num(&v[IMP_CHECK_PORT], &be->check_port, 0, NULL);
	else
		val_num(&v[IMP_CHECK_PORT], &o->port, port,
		        "no port option: HAProxy checks the server's own port");
	val_num(&v[IMP_MAXCONN], &o->maxconn, 0, HAP_DEFAULT);
	if (o->check_ssl.on) {
		val_num(&v[IMP_CHECK_TLS], &(struct hp_num){ 1, o->check_ssl.line }, 1, NULL);
		if (o->ca_file.line) {
			v[IMP_CHECK_CA_FILE] = (struct imp_val){ .set = true, .line = o->ca_file.line };
			conf_imp_copy(v[IMP_CHECK_CA_FILE].str, IMP_VALUE_MAX, o->ca_file.s);
		}
		if (o->crt.line) {
			/* HAProxy's crt is one PEM file with the certificate and its key */
			v[IMP_CHECK_CERT_FILE] = (struct imp_val){ .set = true, .line = o->crt.line };
			conf_imp_copy(v[IMP_CHECK_CERT_FILE].str, IMP_VALUE_MAX, o->crt.s);
			v[IMP_CHECK_KEY_FILE] = v[IMP_CHECK_CERT_FILE];
			v[IMP_CHECK_KEY_FILE].why = "HAProxy's crt holds the key too";
		}
	}
}

/* The server's address; false (reported) when it cannot be used. */
static bool server_address(struct hp_state *st, const struct hp_server *s,
                           const struct imp_listener *l, long long *port,
                           struct imp_server *out)
{
	char host[CONF_HOST_MAX];
	const char *why;
	bool has_port, v6 = false;

	if (conf_hp_split_address(s->addr, host, sizeof host, port, &has_port, &why) < 0 ||
	    strcmp(host, "*") == 0) {
		conf_imp_left_out(st->im, s->line, true, s->addr, "%s",
		             strcmp(host, "*") == 0 ? "not a server's address" : why);
		return false;
	}
	if (!has_port) {
		bool one_port = l->nbinds > 0;
		const char *first = l->nbinds ? strrchr(l->binds[0], ':') : NULL;
		for (int i = 1; i < l->nbinds; i++)
			if (strcmp(strrchr(l->binds[i], ':'), first) != 0)
				one_port = false;
		if (!one_port || !first) {
			conf_imp_left_out(st->im, s->line, true, s->addr, "no port, and the clients "
			             "come in on several: pgfront needs the server's port");
			return false;
		}
		*port = atoll(first + 1);
		conf_imp_notice(st->im, s->line, "'%s' has no port: HAProxy uses the one the client "
		           "came in on, %lld", s->addr, *port);
	}
	conf_imp_numeric_host(host, &v6);
	snprintf(out->address, sizeof out->address, v6 ? "[%s]:%lld" : "%s:%lld", host, *port);
	if (s->o.addr.line) {
		if (!conf_imp_numeric_host(s->o.addr.s, NULL))
			conf_imp_left_out(st->im, s->o.addr.line, true, s->o.addr.s, "a host name: the "
			             "check goes to the server's address instead");
		else
			conf_imp_copy(out->check_host, sizeof out->check_host, s->o.addr.s);
		out->check_host_line = s->o.addr.line;
	}
	return true;
}

static void add_servers(struct hp_state *st, const struct hp_proxy *fe,
                        const struct hp_proxy *be, struct imp_listener *l)
{
	long long weight = -1;
	bool checked = false;

	for (int i = 0; i < be->nsrv; i++) {
		const struct hp_server *s = &be->srv[i];
		struct imp_server *out = &l->srv[l->nsrv];
		long long port;

		if (s->o.disabled.on) {
			conf_imp_left_out(st->im, s->o.disabled.line, false, s->name, "disabled (in "
			             "maintenance) from the start in HAProxy: not among the "
			             "listener's servers; add it to `servers` to use it");
			continue;
		}
		memset(out, 0, sizeof *out);
		if (!server_address(st, s, l, &port, out))
			continue;
		sanitize(out->name, sizeof out->name, s->name);
		if (strcmp(out->name, s->name) != 0)
			conf_imp_notice(st->im, s->line, "server '%s' is named '%s'", s->name, out->name);
		out->line = s->line;
		out->backup = s->o.backup.on;
		out->backup_line = s->o.backup.line;
		pair_values(st, &fe->s, &be->s, s, port, out);
		if (s->o.weight.line && weight >= 0 && s->o.weight.v != weight)
			conf_imp_left_out(st->im, s->o.weight.line, true, "weight", "pgfront gives every "
			             "server the same share");
		if (s->o.weight.line)
			weight = s->o.weight.v;
		checked |= s->o.check.on;
		l->nsrv++;
	}
	for (int i = 0; i < be->nsrv && checked; i++)
		if (!be->srv[i].o.check.on && !be->srv[i].o.disabled.on)
			conf_imp_left_out(st->im, be->srv[i].line, true, be->srv[i].name, "no 'check': "
			             "HAProxy never checks it and sends it sessions whatever its state; "
			             "pgfront checks it like the others");
	if (l->nsrv && !checked)
		conf_imp_left_out(st->im, be->line, true, "servers without 'check'", "HAProxy never "
		             "checks them and sends sessions to them all; pgfront checks every "
		             "server and routes only to those that pass");
}

/* "/", "/primary", "/master", "/read-write": Patroni's writable primary. */
static int path_kind(const char *path)
{
	if (strcmp(path, "/") == 0 || strncmp(path, "/?", 2) == 0)
		return 1;
	if (strstr(path, "standby_leader") || strstr(path, "standby-leader") || strstr(path, "leader"))
		return 2;
	if (strstr(path, "master") || strstr(path, "primary") || strstr(path, "read-write"))
		return 1;
	return 0;
}

static void set_balance(struct hp_state *st, const struct hp_settings *be, struct imp_listener *l)
{
	const char *b = be->balance.line ? be->balance.s : "";
	int kind = path_kind(l->path);

	l->balance_line = be->balance.line;
	if (kind == 1 && strcmp(l->method, "OPTIONS") == 0) {
		/* Patroni answers OPTIONS with the status of GET, but no body, and the
		 * write port reads Patroni's body (check_body = patroni) */
		strcpy(l->method, "GET");
		snprintf(l->check_note, sizeof l->check_note, "OPTIONS in haproxy.cfg: GET has "
		         "the same status, and the body the write port reads");
	}
	if (kind) {
		l->balance = CONF_BALANCE_SINGLE;
		l->body_none = kind == 2;
		snprintf(l->balance_note, sizeof l->balance_note, "%s: one server at a time%s",
		         kind == 1 ? "a primary check" : "a leader check",
		         kind == 1 ? " (over several clusters, as Citus workers: roundrobin)" : "");
		if (b[0])
			snprintf(l->balance_note, sizeof l->balance_note,
			         "haproxy.cfg: balance %.30s; %s checks pass one server at a time", b,
			         kind == 1 ? "primary" : "leader");
		return;
	}
	if (!b[0] || strcmp(b, "roundrobin") == 0) {
		l->balance = CONF_BALANCE_ROUNDROBIN;
		if (!b[0])
			strcpy(l->balance_note, HAP_DEFAULT);
	} else if (strcmp(b, "static-rr") == 0 || strcmp(b, "random") == 0) {
		l->balance = CONF_BALANCE_ROUNDROBIN;
		conf_imp_notice(st->im, be->balance.line, "balance %s: pgfront's roundrobin spreads "
		           "the sessions alike", b);
	} else if (strcmp(b, "leastconn") == 0) {
		l->balance = CONF_BALANCE_LEASTCONN;
	} else if (strcmp(b, "first") == 0) {
		l->balance = CONF_BALANCE_FIRST;
	} else {
		l->balance = CONF_BALANCE_ROUNDROBIN;
		conf_imp_left_out(st->im, be->balance.line, true, b, "pgfront cannot pin a client "
		             "to a server: roundrobin instead");
	}
}

static void set_check(struct hp_state *st, const struct hp_proxy *be, struct imp_listener *l)
{
	const struct hp_settings *s = &be->s;

	l->expect = 200;
	l->expect_line = s->expect.line;
	if (s->expect.line)
		l->expect = (int)s->expect.v;
	else
		strcpy(l->expect_note, "HAProxy: any 2xx or 3xx; Patroni answers 200 or 503");
	if (s->expect_other.line)
		conf_imp_left_out(st->im, s->expect_other.line, true, s->expect_other.s,
		             "pgfront checks the status alone: expect_status = %d", l->expect);
	if (s->check.v == HP_CHECK_HTTP && s->check.line) {
		conf_imp_copy(l->method, sizeof l->method, s->method);
		conf_imp_copy(l->path, sizeof l->path, s->uri);
		l->check_line = s->uri_line.line;
		if (strcmp(l->method, "HEAD") && strcmp(l->method, "GET") && strcmp(l->method, "OPTIONS")) {
			conf_imp_notice(st->im, l->check_line, "method %s: pgfront sends GET", l->method);
			strcpy(l->method, "GET");
		}
		return;
	}
	/* A TCP connect, or a check of PostgreSQL itself: Patroni's /health is
	 * the nearest (200 while PostgreSQL runs). */
	strcpy(l->method, "GET");
	strcpy(l->path, "/health");
	l->check_line = s->check.line;
	strcpy(l->check_note, "not from haproxy.cfg: Patroni's 200 while PostgreSQL runs");
	conf_imp_left_out(st->im, s->check.line ? s->check.line : be->line, true,
	             s->check.v == HP_CHECK_OTHER ? s->check_what : "a TCP connect check",
	             "pgfront checks Patroni's REST API: GET /health instead");
}

/* bind words into l->binds; ports may be ranges ("5432-5433"). */
static void add_binds(struct hp_state *st, const struct hp_proxy *p, struct imp_listener *l)
{
	for (int i = 0; i < p->nbinds; i++) {
		const struct hp_bind *b = &p->binds[i];
		char text[IMP_VALUE_MAX], host[CONF_HOST_MAX];
		const char *why;
		long long lo, hi = 0;
		bool has_port, v6 = false;
		char *dash;

		if (b->ssl || b->accept_proxy) {
			conf_imp_left_out(st->im, b->line, true, b->text, b->ssl ?
			             "TLS on a listener: PostgreSQL clients negotiate TLS with the server, "
			             "through pgfront" : "pgfront does not read a PROXY protocol header");
			continue;
		}
		conf_imp_copy(text, sizeof text, b->text);
		dash = strrchr(text, '-');
		if (dash && strrchr(text, ':') && dash > strrchr(text, ':')) {
			*dash = '\0';
			if (conf_imp_parse_int(dash + 1, 1, 65535, &hi) < 0)
				hi = -1;
		}
		if (conf_hp_split_address(text, host, sizeof host, &lo, &has_port, &why) < 0 ||
		    !has_port || hi < 0 || (hi && (hi < lo || hi - lo > 7))) {
			conf_imp_left_out(st->im, b->line, true, b->text, "%s",
			             conf_hp_split_address(text, host, sizeof host, &lo, &has_port, &why) < 0 ?
			             why : "pgfront needs a port, or a short range of them");
			continue;
		}
		for (long long port = lo; port <= (hi ? hi : lo); port++) {
			bool any6 = strcmp(host, "::") == 0;
			for (int twice = 0; twice < (any6 && b->dual_stack ? 2 : 1); twice++) {
				if (l->nbinds == CONF_MAX_BINDS) {
					conf_imp_left_out(st->im, b->line, true, b->text, "more than %d addresses "
					             "on one listener", CONF_MAX_BINDS);
					return;
				}
				char one[sizeof l->binds[0]];
				bool dup = false;
				conf_imp_numeric_host(host, &v6);
				if (twice)
					snprintf(one, sizeof one, "*:%lld", port);
				else if (v6)
					snprintf(one, sizeof one, "[%s]:%lld", host, port);
				else
					snprintf(one, sizeof one, "%s:%lld", host, port);
				for (int x = 0; x < l->nbinds; x++)
					dup |= strcmp(l->binds[x], one) == 0;
				if (dup)
					continue;   /* ":::P" and "*:P" both given: one *:P */
				memcpy(l->binds[l->nbinds], one, sizeof one);
				l->bind_line[l->nbinds++] = b->line;
			}
		}
	}
}

static void unique_name(struct imp_model *m, struct imp_listener *l, const char *want)
{
	char base[CONF_NAME_MAX];

	sanitize(base, sizeof base, want);
	conf_imp_copy(l->name, sizeof l->name, base);
	for (int n = 2;; n++) {
		bool clash = false;
		for (int i = 0; i < m->nls; i++)
			if (&m->ls[i] != l && strcmp(m->ls[i].name, l->name) == 0)
				clash = true;
		if (!clash)
			return;
		snprintf(l->name, sizeof l->name, "%.50s-%d", base, n % 1000);
	}
}

static void translate_listener(struct hp_state *st, struct hp_proxy *fe, struct hp_proxy *be)
{
	struct imp_model *m = st->model;
	struct imp_listener *l;

	if (m->nls == CONF_MAX_LISTENERS) {
		conf_imp_left_out(st->im, fe->line, true, fe->name, "more than %d listeners",
		             CONF_MAX_LISTENERS);
		return;
	}
	l = &m->ls[m->nls++];
	memset(l, 0, sizeof *l);
	unique_name(m, l, fe->name);
	l->line = fe->line;
	if (fe == be)
		snprintf(l->origin, sizeof l->origin, "listen %.60s", fe->name);
	else
		snprintf(l->origin, sizeof l->origin, "frontend %.60s + backend %.60s (line %d)",
		         fe->name, be->name, be->line);
	add_binds(st, fe, l);
	if (fe->s.maxconn.line)
		conf_imp_left_out(st->im, fe->s.maxconn.line, false, "maxconn", "a limit on %s's "
		             "clients: pgfront has [global] maxconn, and maxconn per server",
		             fe->name);
	set_check(st, be, l);
	set_balance(st, &be->s, l);
	if (l->nbinds)
		add_servers(st, fe, be, l);
	if (!l->nbinds || !l->nsrv) {
		conf_imp_left_out(st->im, fe->line, true, fe->name, "%s",
		             l->nbinds ? "no server pgfront can use" : "no address pgfront can bind");
		m->nls--;
	}
}

static void translate_stats(struct hp_state *st, struct hp_proxy *p);

static void translate_proxy(struct hp_state *st, struct hp_proxy *p)
{
	struct hp_proxy *be = p;
	const char *bname;
	int bline;

	if (p->disabled.on) {
		conf_imp_left_out(st->im, p->line, false, p->name, "disabled in haproxy.cfg");
		return;
	}
	/* HAProxy serves stats in http mode only: "stats enable" in a defaults
	 * section does nothing to the TCP proxies that inherit it */
	if (p->s.stats.on && p->s.mode.v == HP_MODE_HTTP) {
		translate_stats(st, p);
		return;
	}
	if (p->kind == HP_LISTEN && (p->use_backend.line || p->s.default_backend.line))
		conf_imp_left_out(st->im, p->use_backend.line ? p->use_backend.line :
		             p->s.default_backend.line, true, p->use_backend.line ?
		             p->use_backend.s : p->s.default_backend.s, "a listen that hands its "
		             "clients to another backend: pgfront translates the listen's own servers");
	if (p->kind == HP_FRONTEND) {
		bname = p->use_backend.line ? p->use_backend.s : p->s.default_backend.s;
		bline = p->use_backend.line ? p->use_backend.line : p->s.default_backend.line;
		be = bline ? find_backend(st, bname) : NULL;
		if (!be) {
			conf_imp_left_out(st->im, bline ? bline : p->line, true, p->name, bline ?
			             "its backend is not in the file" : "a frontend without a default_backend");
			return;
		}
	}
	if (p->s.mode.v != HP_MODE_TCP || be->s.mode.v != HP_MODE_TCP) {
		const struct hp_settings *s = p->s.mode.v != HP_MODE_TCP ? &p->s : &be->s;
		char what[160];
		snprintf(what, sizeof what, "%s %.100s", p->kind == HP_LISTEN ? "listen" : "frontend",
		         p->name);
		conf_imp_left_out(st->im, p->line, true, what, "mode %s (line %d): pgfront is a TCP "
		             "(L4) proxy for PostgreSQL", s->mode.v == HP_MODE_HTTP ? "http" : "other",
		             s->mode.line);
		return;
	}
	translate_listener(st, p, be);
}

static void stats_uri(struct hp_state *st, const struct hp_proxy *p, struct imp_section *s)
{
	const char *uri = p->s.stats_uri.line ? p->s.stats_uri.s : "/haproxy?stats";
	bool ok = uri[0] == '/' && strcmp(uri, "/metrics") != 0 && strlen(uri) < CONF_PATH_MAX;

	for (const char *c = uri; *c && ok; c++)
		if (*c <= ' ' || *c > '~' || strchr(";?#%\"<>\\", *c))
			ok = false;
	if (ok) {
		struct imp_kv *kv = conf_imp_kv_add(s, "uri", p->s.stats_uri.line, "%s", uri);
		if (kv && !p->s.stats_uri.line)
			strcpy(kv->note, HAP_DEFAULT);
		return;
	}
	conf_imp_kv_add(s, "uri", p->s.stats_uri.line, "/");
	conf_imp_notice(st->im, p->s.stats_uri.line ? p->s.stats_uri.line : p->line,
	           "the stats page is at / : pgfront's uri cannot be '%s'", uri);
}

/* HTTPS for the page: HAProxy's crt is one PEM file with the certificate
 * chain and the key, which pgfront can be given as both of its files. */
static void tls_files(struct hp_state *st, const struct hp_bind *b, struct imp_section *s)
{
	struct imp_kv *kv;

	if (b->crt[0] != '/') {
		conf_imp_left_out(st->im, b->line, false, b->crt[0] ? b->crt : "ssl", "pgfront needs "
		             "the certificate's absolute path: set tls_cert_file and tls_key_file "
		             "(the page is served over plain HTTP meanwhile)");
		return;
	}
	conf_imp_kv_add(s, "tls_cert_file", b->line, "%s", b->crt);
	kv = conf_imp_kv_add(s, "tls_key_file", b->line, "%s", b->crt);
	if (kv)
		strcpy(kv->note, "HAProxy's crt file holds the key too");
}

static void translate_stats(struct hp_state *st, struct hp_proxy *p)
{
	struct imp_section *s = &st->model->stats;
	struct imp_listener tmp;

	if (s->line) {
		conf_imp_left_out(st->im, p->line, false, p->name, "a second stats page: pgfront "
		             "has one, the [stats] of line %d", s->line);
		return;
	}
	const struct hp_bind *tls = NULL;

	memset(&tmp, 0, sizeof tmp);
	for (int i = 0; i < p->nbinds; i++) {
		struct hp_proxy one = { 0 };
		one.binds[0] = p->binds[i];
		one.binds[0].ssl = false;
		one.nbinds = 1;
		add_binds(st, &one, &tmp);
		if (p->binds[i].ssl && tmp.nbinds == 1)
			tls = &p->binds[i];
	}
	if (!tmp.nbinds) {
		conf_imp_left_out(st->im, p->line, false, p->name, "a stats page with no address "
		             "pgfront can bind");
		return;
	}
	conf_imp_copy(s->title, sizeof s->title, "stats");
	s->line = p->line;
	snprintf(s->comment, sizeof s->comment, "listen %.60s (line %d): the stats page", p->name,
	         p->line);
	conf_imp_kv_add(s, "bind", tmp.bind_line[0], "%s", tmp.binds[0]);
	for (int i = 1; i < tmp.nbinds; i++)
		conf_imp_left_out(st->im, tmp.bind_line[i], false, tmp.binds[i], "pgfront's stats "
		             "page has one address");
	stats_uri(st, p, s);
	if (p->s.stats_refresh.line) {
		long long sec = (p->s.stats_refresh.v + SEC / 2) / SEC;
		conf_imp_kv_add(s, "refresh", p->s.stats_refresh.line, "%llds",
		           sec < 1 ? 1 : sec > 86400 ? 86400 : sec);
	}
	if (p->s.stats_auth.line)
		conf_imp_kv_add(s, "auth", p->s.stats_auth.line, "%s", p->s.stats_auth.s);
	if (p->s.stats_admin.on && p->s.stats_auth.line)
		conf_imp_kv_add(s, "admin", p->s.stats_admin.line, "yes");
	else if (p->s.stats_admin.on)
		conf_imp_left_out(st->im, p->s.stats_admin.line, false, "stats admin",
		             "pgfront's admin actions need auth, and there is no stats auth");
	if (tls)
		tls_files(st, tls, s);
	if (p->nsrv || p->s.default_backend.line)
		conf_imp_left_out(st->im, p->line, true, p->name, "a stats proxy that also routes "
		             "to servers: only its stats page is translated");
}

void conf_hp_build(struct hp_state *st)
{
	for (int i = 0; i < st->nproxies; i++)
		if (st->proxies[i].kind != HP_BACKEND)
			translate_proxy(st, &st->proxies[i]);
	/* A backend no frontend sends anything to routes nothing in HAProxy either. */
	for (int i = 0; i < st->nproxies; i++) {
		struct hp_proxy *b = &st->proxies[i];
		bool used = false;
		if (b->kind != HP_BACKEND)
			continue;
		for (int j = 0; j < st->nproxies; j++) {
			struct hp_proxy *f = &st->proxies[j];
			if (f->kind == HP_FRONTEND &&
			    ((f->use_backend.line && strcmp(f->use_backend.s, b->name) == 0) ||
			     (!f->use_backend.line && f->s.default_backend.line &&
			      strcmp(f->s.default_backend.s, b->name) == 0)))
				used = true;
		}
		if (!used)
			conf_imp_left_out(st->im, b->line, false, b->name, "no frontend sends anything "
			             "to this backend (ACL rules are not translated)");
	}
}
