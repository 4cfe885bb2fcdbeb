/*
 * haproxy.cfg's `server`, `default-server` and `bind` lines: the options
 * pgfront can follow are kept with their line, every other one is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_hap.h"

#define MS 1000LL
#define LONGEST (24LL * 86400 * 1000000)   /* pgfront's longest duration */

enum srvo {
	SRVO_INTER, SRVO_FASTINTER, SRVO_DOWNINTER, SRVO_FALL, SRVO_RISE, SRVO_PORT, SRVO_MAXCONN,
	SRVO_WEIGHT, SRVO_ADDR, SRVO_ON_DOWN, SRVO_CHECK, SRVO_NO_CHECK, SRVO_BACKUP, SRVO_NO_BACKUP,
	SRVO_DISABLED, SRVO_ENABLED, SRVO_CHECK_SSL, SRVO_NO_CHECK_SSL, SRVO_SSL, SRVO_CA_FILE,
	SRVO_CRT, SRVO_VERIFY,
	SRVO_NOTE,        /* no equivalent, no effect on routing */
	SRVO_ROUTING,     /* no equivalent, and it changes where sessions go */
};

static const struct {
	const char *name;
	int nargs;
	enum srvo what;
} options[] = {
	{ "inter", 1, SRVO_INTER }, { "fastinter", 1, SRVO_FASTINTER },
	{ "downinter", 1, SRVO_DOWNINTER }, { "fall", 1, SRVO_FALL }, { "rise", 1, SRVO_RISE },
	{ "port", 1, SRVO_PORT }, { "maxconn", 1, SRVO_MAXCONN }, { "weight", 1, SRVO_WEIGHT },
	{ "addr", 1, SRVO_ADDR }, { "on-marked-down", 1, SRVO_ON_DOWN },
	{ "check", 0, SRVO_CHECK }, { "no-check", 0, SRVO_NO_CHECK },
	{ "backup", 0, SRVO_BACKUP }, { "no-backup", 0, SRVO_NO_BACKUP },
	{ "disabled", 0, SRVO_DISABLED }, { "enabled", 0, SRVO_ENABLED },
	{ "check-ssl", 0, SRVO_CHECK_SSL }, { "no-check-ssl", 0, SRVO_NO_CHECK_SSL },
	{ "ssl", 0, SRVO_SSL }, { "ca-file", 1, SRVO_CA_FILE }, { "crt", 1, SRVO_CRT },
	{ "verify", 1, SRVO_VERIFY },
	{ "id", 1, SRVO_NOTE }, { "cookie", 1, SRVO_NOTE }, { "slowstart", 1, SRVO_NOTE },
	{ "observe", 1, SRVO_NOTE }, { "error-limit", 1, SRVO_NOTE }, { "on-error", 1, SRVO_NOTE },
	{ "on-marked-up", 1, SRVO_NOTE }, { "minconn", 1, SRVO_NOTE }, { "maxqueue", 1, SRVO_NOTE },
	{ "init-addr", 1, SRVO_NOTE }, { "resolvers", 1, SRVO_NOTE },
	{ "resolve-prefer", 1, SRVO_NOTE }, { "resolve-net", 1, SRVO_NOTE },
	{ "resolve-opts", 1, SRVO_NOTE }, { "agent-check", 0, SRVO_NOTE },
	{ "no-agent-check", 0, SRVO_NOTE }, { "agent-port", 1, SRVO_NOTE },
	{ "agent-inter", 1, SRVO_NOTE }, { "agent-addr", 1, SRVO_NOTE },
	{ "agent-send", 1, SRVO_NOTE }, { "check-send-proxy", 0, SRVO_NOTE },
	{ "check-sni", 1, SRVO_NOTE }, { "check-alpn", 1, SRVO_NOTE }, { "check-proto", 1, SRVO_NOTE },
	{ "verifyhost", 1, SRVO_NOTE }, { "sni", 1, SRVO_NOTE }, { "alpn", 1, SRVO_NOTE },
	{ "npn", 1, SRVO_NOTE }, { "ciphers", 1, SRVO_NOTE }, { "ciphersuites", 1, SRVO_NOTE },
	{ "ssl-min-ver", 1, SRVO_NOTE }, { "ssl-max-ver", 1, SRVO_NOTE },
	{ "no-sslv3", 0, SRVO_NOTE }, { "no-tlsv10", 0, SRVO_NOTE }, { "no-tlsv11", 0, SRVO_NOTE },
	{ "no-tlsv12", 0, SRVO_NOTE }, { "no-tlsv13", 0, SRVO_NOTE }, { "no-tls-tickets", 0, SRVO_NOTE },
	{ "force-tlsv12", 0, SRVO_NOTE }, { "force-tlsv13", 0, SRVO_NOTE }, { "crl-file", 1, SRVO_NOTE },
	{ "pool-max-conn", 1, SRVO_NOTE }, { "pool-purge-delay", 1, SRVO_NOTE },
	{ "pool-low-conn", 1, SRVO_NOTE }, { "tcp-ut", 1, SRVO_NOTE }, { "tfo", 0, SRVO_NOTE },
	{ "namespace", 1, SRVO_NOTE }, { "proto", 1, SRVO_NOTE }, { "ws", 1, SRVO_NOTE },
	{ "log-proto", 1, SRVO_NOTE }, { "track", 1, SRVO_NOTE }, { "redir", 1, SRVO_NOTE },
	{ "non-stick", 0, SRVO_NOTE }, { "stick", 0, SRVO_NOTE }, { "shard", 1, SRVO_NOTE },
	{ "send-proxy", 0, SRVO_ROUTING }, { "send-proxy-v2", 0, SRVO_ROUTING },
	{ "send-proxy-v2-ssl", 0, SRVO_ROUTING }, { "send-proxy-v2-ssl-cn", 0, SRVO_ROUTING },
	{ "proxy-v2-options", 1, SRVO_ROUTING }, { "source", 1, SRVO_ROUTING },
	{ "usesrc", 1, SRVO_ROUTING }, { "socks4", 1, SRVO_ROUTING },
};

static int find_option(const char *w)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
		if (strcmp(options[i].name, w) == 0)
			return (int)i;
	return -1;
}

static void reported(struct hp_state *st, bool routing, const char *what, const char *why)
{
	conf_imp_left_out(st->im, st->ln.no, routing, what, "%s", why);
	if (routing && st->proxy)
		st->proxy->routing_rules = true;
}

static void set_num(struct hp_state *st, struct hp_num *n, const char *arg, bool time,
                    long long min, long long max, const char *what)
{
	long long v;
	int rc = time ? conf_imp_parse_time(arg, MS, &v) : conf_imp_parse_int(arg, min, max, &v);

	if (rc < 0 || (time && (v < min || v > max))) {
		reported(st, true, what, "a value pgfront cannot take");
		return;
	}
	n->v = v;
	n->line = st->ln.no;
}

static void set_flag(struct hp_state *st, struct hp_flag *f, bool on)
{
	f->on = on;
	f->line = st->ln.no;
}

static void set_text(struct hp_state *st, struct hp_str *s, const char *arg)
{
	conf_imp_copy(s->s, sizeof s->s, arg);
	s->line = st->ln.no;
}

/* One option with its argument (arg may be NULL when nargs == 0). */
static void apply(struct hp_state *st, struct hp_srvopts *o, enum srvo what,
                  const char *arg, const char *text)
{
	switch (what) {
	case SRVO_INTER: set_num(st, &o->inter, arg, true, 1000, LONGEST, text); break;
	case SRVO_FASTINTER: set_num(st, &o->fastinter, arg, true, 1000, LONGEST, text); break;
	case SRVO_DOWNINTER: set_num(st, &o->downinter, arg, true, 1000, LONGEST, text); break;
	case SRVO_FALL: set_num(st, &o->fall, arg, false, 1, 1000, text); break;
	case SRVO_RISE: set_num(st, &o->rise, arg, false, 1, 1000, text); break;
	case SRVO_PORT: set_num(st, &o->port, arg, false, 1, 65535, text); break;
	case SRVO_MAXCONN: set_num(st, &o->maxconn, arg, false, 0, 1000000, text); break;
	case SRVO_WEIGHT: set_num(st, &o->weight, arg, false, 0, 256, text); break;
	case SRVO_ADDR: set_text(st, &o->addr, arg); break;
	case SRVO_ON_DOWN:
		if (strcmp(arg, "shutdown-sessions") == 0)
			set_flag(st, &o->shutdown_sessions, true);
		else
			reported(st, false, text, "pgfront can only close a DOWN server's sessions");
		break;
	case SRVO_CHECK: set_flag(st, &o->check, true); break;
	case SRVO_NO_CHECK: set_flag(st, &o->check, false); break;
	case SRVO_BACKUP: set_flag(st, &o->backup, true); break;
	case SRVO_NO_BACKUP: set_flag(st, &o->backup, false); break;
	case SRVO_DISABLED: set_flag(st, &o->disabled, true); break;
	case SRVO_ENABLED: set_flag(st, &o->disabled, false); break;
	case SRVO_CHECK_SSL: set_flag(st, &o->check_ssl, true); break;
	case SRVO_NO_CHECK_SSL: set_flag(st, &o->check_ssl, false); break;
	case SRVO_SSL:
		reported(st, true, text, "pgfront does not wrap sessions to PostgreSQL in TLS "
		         "(PostgreSQL negotiates its own); checks use TLS (check_tls)");
		set_flag(st, &o->check_ssl, true);
		break;
	case SRVO_CA_FILE: set_text(st, &o->ca_file, arg); break;
	case SRVO_CRT: set_text(st, &o->crt, arg); break;
	case SRVO_VERIFY:
		if (strcmp(arg, "none") == 0)
			reported(st, false, text, "pgfront always verifies Patroni's certificate "
			         "(with check_ca_file, or the system's CAs)");
		break;
	case SRVO_NOTE:
		reported(st, false, text, "no equivalent in pgfront, and no effect on routing");
		break;
	case SRVO_ROUTING:
		reported(st, true, text, "pgfront connects to PostgreSQL from its own address, "
		         "with nothing added to the stream");
		break;
	}
}

void conf_hp_srvopts_parse(struct hp_state *st, struct hp_srvopts *o, int from)
{
	for (int i = from; i < st->ln.nw; i++) {
		const char *w = st->ln.w[i];
		int k = find_option(w);
		char text[160];

		if (k < 0) {
			reported(st, true, w, "a server option pgfront import does not know");
			continue;
		}
		if (i + options[k].nargs >= st->ln.nw) {
			reported(st, true, w, "the option lacks its value");
			return;
		}
		snprintf(text, sizeof text, "%s%s%.100s", w, options[k].nargs ? " " : "",
		         options[k].nargs ? st->ln.w[i + 1] : "");
		apply(st, o, options[k].what, options[k].nargs ? st->ln.w[i + 1] : NULL, text);
		i += options[k].nargs;
	}
}

/*
 * "HOST:PORT", "ipv4@HOST:PORT", "[V6]:PORT", "V6:PORT" (the last colon), ":PORT"
 * and "*:PORT" (host "*"). The host must be numeric; the port may be absent.
 */
int conf_hp_split_address(const char *text, char *host, size_t size, long long *port,
                     bool *has_port, const char **why)
{
	static const char *const prefixes[] = { "ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@" };
	char buf[IMP_VALUE_MAX];
	char *colon, *h;

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(text, prefixes[i], strlen(prefixes[i])) == 0)
			text += strlen(prefixes[i]);
	if (strchr(text, '@') || text[0] == '/') {
		*why = "a UNIX socket or special address: pgfront listens and connects on TCP only";
		return -1;
	}
	if (!conf_imp_copy(buf, sizeof buf, text)) {
		*why = "the address is too long";
		return -1;
	}
	h = buf;
	*has_port = false;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close) {
			*why = "an unclosed '['";
			return -1;
		}
		*close = '\0';
		h = buf + 1;
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(buf, ':');
		/* one colon: HOST:PORT; more: an IPv6 address, the last one before the port */
		if (colon)
			*colon = '\0';
	}
	if (colon) {
		const char *p = colon + 1;
		if (*p == '+' || *p == '-') {
			*why = "a port relative to the client's: pgfront needs a fixed port";
			return -1;
		}
		if (*p) {
			if (conf_imp_parse_int(p, 1, 65535, port) < 0) {
				*why = "not a port (1..65535)";
				return -1;
			}
			*has_port = true;
		}
	}
	if (!h[0] || strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0) {
		conf_imp_copy(host, size, "*");
		return 0;
	}
	if (!conf_imp_numeric_host(h, NULL)) {
		*why = "a host name: pgfront takes numeric addresses only (no DNS at load)";
		return -1;
	}
	conf_imp_copy(host, size, h);
	return 0;
}

void conf_hp_server_line(struct hp_state *st)
{
	struct hp_proxy *p = st->proxy;
	struct hp_server *s;

	if (st->ln.nw < 3) {
		reported(st, true, st->ln.text, "a server needs a name and an address");
		return;
	}
	if (p->nsrv == HP_MAX_SERVERS) {
		reported(st, true, st->ln.text, "more servers than pgfront takes (32)");
		return;
	}
	s = &p->srv[p->nsrv++];
	memset(s, 0, sizeof *s);
	conf_imp_copy(s->name, sizeof s->name, st->ln.w[1]);
	conf_imp_copy(s->addr, sizeof s->addr, st->ln.w[2]);
	s->line = st->ln.no;
	s->o = p->s.defsrv;
	conf_hp_srvopts_parse(st, &s->o, 3);
}

/* The options after the addresses: what matters is kept in *flags. */
static void bind_options(struct hp_state *st, struct hp_bind *flags)
{
	bool others = false;

	flags->dual_stack = true;
	for (int i = 2; i < st->ln.nw; i++) {
		const char *w = st->ln.w[i];
		if (strcmp(w, "ssl") == 0 || strcmp(w, "crt") == 0 || strcmp(w, "crt-list") == 0)
			flags->ssl = true;
		if (strcmp(w, "crt") == 0 && i + 1 < st->ln.nw)
			conf_imp_copy(flags->crt, sizeof flags->crt, st->ln.w[i + 1]);
		else if (strcmp(w, "accept-proxy") == 0)
			flags->accept_proxy = true;
		else if (strcmp(w, "v6only") == 0)
			flags->dual_stack = false;
		else if (strcmp(w, "v4v6") != 0)
			others = true;
	}
	if (others && !flags->ssl && !flags->accept_proxy)
		conf_imp_notice(st->im, st->ln.no, "the options after the address are left out: "
		           "pgfront binds the address alone");
}

void conf_hp_bind_line(struct hp_state *st)
{
	struct hp_proxy *p = st->proxy;
	struct hp_bind flags = { 0 };
	char list[IMP_VALUE_MAX];

	if (st->ln.nw < 2) {
		reported(st, true, st->ln.text, "a bind needs an address");
		return;
	}
	bind_options(st, &flags);
	conf_imp_copy(list, sizeof list, st->ln.w[1]);
	for (char *save = NULL, *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (p->nbinds == HP_MAX_BINDS) {
			reported(st, true, a, "more addresses than pgfront import takes");
			return;
		}
		struct hp_bind *b = &p->binds[p->nbinds++];
		*b = flags;
		conf_imp_copy(b->text, sizeof b->text, a);
		b->line = st->ln.no;
	}
}
