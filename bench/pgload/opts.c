#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *pgl_mode_name(enum pgl_mode mode)
{
	return mode == PGL_MODE_TPCB ? "tpcb" : "insert";
}

void pgl_opts_usage(FILE *f)
{
	fputs(
"usage: pgload [OPTIONS]\n"
"       pgload --verify-only ACKED_FILE [--verify CONNINFO] [--json FILE]\n"
"\n"
"Writers and readers on PostgreSQL that reconnect after every error, for\n"
"measuring outages during failover. See bench/README.md.\n"
"\n"
"  -W, --writers N           writer clients (default 1)\n"
"  -R, --readers N           reader clients (default 0)\n"
"  -w, --write CONNINFO      where writers connect (default: libpq's PG* variables)\n"
"  -r, --read CONNINFO       where readers connect (default: --write)\n"
"      --verify CONNINFO     where acknowledged writes are checked at the end\n"
"                            (the final primary; default: --write)\n"
"      --no-verify           do not check acknowledged writes\n"
"      --setup CONNINFO      where tables are created (default: --write)\n"
"      --no-setup            do not create the tables\n"
"  -d, --duration SEC        length of the run (default 10)\n"
"  -m, --mode insert|tpcb    writer transaction (default insert)\n"
"      --rows N              rows of pgload_accounts (default 10000)\n"
"      --backoff MS          wait after an error before reconnecting (default 100)\n"
"      --connect-timeout MS  give up a connection attempt (default 2000)\n"
"      --query-timeout MS    give up a transaction and its connection (default 5000)\n"
"      --think MS            pause between a client's transactions (default 0)\n"
"      --reconnect           a new connection for every transaction (churn)\n"
"      --outage-min MS       list every outage at least this long (default 500)\n"
"      --run-id N            id of this run's rows (default: random)\n"
"      --label TEXT          copied into the JSON report\n"
"  -j, --json FILE           write the report as JSON\n"
"      --acked FILE          write the acknowledged ids, for --verify-only\n"
"      --verify-only FILE    check a previous run's acknowledged ids, no load\n"
"  -q, --quiet               no per-second lines on stderr\n"
"  -V, --version             print the version\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 run done and no acknowledged write lost; 1 writes lost or\n"
"not verifiable; 2 bad usage or setup failed.\n", f);
}

/* What an option handler returns. */
#define HANDLED 0
#define NOT_MINE 1
#define FAILED (-1)

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return FAILED;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A non-negative number (decimals allowed) of UNIT seconds, within MAX. */
static int parse_time(const char *s, double unit, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -1;
	v *= unit;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void defaults(struct pgl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->writers = 1;
	o->write_conninfo = "";
	o->verify = o->setup = true;
	o->duration = 10;
	o->backoff = 0.1;
	o->connect_timeout = 2;
	o->query_timeout = 5;
	o->outage_min = 0.5;
	o->rows = 10000;
}

enum {
	OPT_VERIFY = 256, OPT_NO_VERIFY, OPT_SETUP, OPT_NO_SETUP, OPT_ROWS, OPT_BACKOFF,
	OPT_CONNECT_TIMEOUT, OPT_QUERY_TIMEOUT, OPT_THINK, OPT_OUTAGE_MIN, OPT_RUN_ID,
	OPT_ACKED, OPT_VERIFY_ONLY, OPT_LABEL, OPT_RECONNECT,
};

static const struct option longopts[] = {
	{ "writers", required_argument, NULL, 'W' },
	{ "readers", required_argument, NULL, 'R' },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "setup", required_argument, NULL, OPT_SETUP },
	{ "no-setup", no_argument, NULL, OPT_NO_SETUP },
	{ "duration", required_argument, NULL, 'd' },
	{ "mode", required_argument, NULL, 'm' },
	{ "rows", required_argument, NULL, OPT_ROWS },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "query-timeout", required_argument, NULL, OPT_QUERY_TIMEOUT },
	{ "think", required_argument, NULL, OPT_THINK },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "outage-min", required_argument, NULL, OPT_OUTAGE_MIN },
	{ "run-id", required_argument, NULL, OPT_RUN_ID },
	{ "json", required_argument, NULL, 'j' },
	{ "acked", required_argument, NULL, OPT_ACKED },
	{ "verify-only", required_argument, NULL, OPT_VERIFY_ONLY },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Counts, conninfos, duration, mode. */
static int one(struct pgl_opts *o, int c, const char *arg,
                                char *err, size_t errlen)
{
	long n;

	switch (c) {
	case 'W':
	case 'R':
		if (parse_int(arg, 0, PGL_CLIENTS_MAX, &n) < 0)
			return fail(err, errlen, "--%s: '%s' is not a number of clients (0..%d)",
			            c == 'W' ? "writers" : "readers", arg, PGL_CLIENTS_MAX);
		*(c == 'W' ? &o->writers : &o->readers) = (int)n;
		break;
	case 'w': o->write_conninfo = arg; break;
	case 'r': o->read_conninfo = arg; break;
	case OPT_VERIFY: o->verify_conninfo = arg; o->verify = true; break;
	case OPT_NO_VERIFY: o->verify = false; break;
	case OPT_SETUP: o->setup_conninfo = arg; o->setup = true; break;
	case OPT_NO_SETUP: o->setup = false; break;
	case 'd':
		if (parse_time(arg, 1, 0.001, 86400, &o->duration) < 0)
			return fail(err, errlen, "--duration: '%s' is not seconds (0.001..86400)", arg);
		break;
	case 'm':
		if (strcmp(arg, "insert") == 0)
			o->mode = PGL_MODE_INSERT;
		else if (strcmp(arg, "tpcb") == 0)
			o->mode = PGL_MODE_TPCB;
		else
			return fail(err, errlen, "--mode: '%s': expected insert or tpcb", arg);
		break;
	case OPT_ROWS:
		if (parse_int(arg, 1, 100000000, &n) < 0)
			return fail(err, errlen, "--rows: '%s' is not 1..100000000", arg);
		o->rows = (int)n;
		break;
	default:
		return NOT_MINE;
	}
	return HANDLED;
}

/* The options that take milliseconds, and the others. */
static int times(struct pgl_opts *o, int c, const char *arg,
                                  char *err, size_t errlen)
{
	static const struct { int c; const char *name; double min, max; size_t off; } t[] = {
		{ OPT_BACKOFF, "backoff", 0, 60, offsetof(struct pgl_opts, backoff) },
		{ OPT_CONNECT_TIMEOUT, "connect-timeout", 0.001, 3600,
		  offsetof(struct pgl_opts, connect_timeout) },
		{ OPT_QUERY_TIMEOUT, "query-timeout", 0.001, 3600,
		  offsetof(struct pgl_opts, query_timeout) },
		{ OPT_THINK, "think", 0, 3600, offsetof(struct pgl_opts, think) },
		{ OPT_OUTAGE_MIN, "outage-min", 0.001, 3600, offsetof(struct pgl_opts, outage_min) },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].c != c)
			continue;
		if (parse_time(arg, 0.001, t[i].min, t[i].max,
		               (double *)((char *)o + t[i].off)) < 0)
			return fail(err, errlen, "--%s: '%s' is not milliseconds (%g..%g)",
			            t[i].name, arg, t[i].min * 1000, t[i].max * 1000);
		return HANDLED;
	}
	return NOT_MINE;
}

static int rest(struct pgl_opts *o, int c, const char *arg, char *err, size_t errlen)
{
	char *end;

	switch (c) {
	case OPT_RUN_ID:
		errno = 0;
		o->run_id = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || o->run_id < 0)
			return fail(err, errlen, "--run-id: '%s' is not a non-negative integer", arg);
		o->run_id_set = true;
		return HANDLED;
	case 'j': o->json_path = arg; return HANDLED;
	case OPT_ACKED: o->acked_path = arg; return HANDLED;
	case OPT_VERIFY_ONLY: o->verify_only_path = arg; return HANDLED;
	case OPT_LABEL: o->label = arg; return HANDLED;
	case 'q': o->quiet = true; return HANDLED;
	case OPT_RECONNECT: o->reconnect = true; return HANDLED;
	}
	return fail(err, errlen, "unknown option (see pgload --help)");
}

static int check(struct pgl_opts *o, char *err, size_t errlen)
{
	if (o->verify_only_path) {
		if (!o->verify)
			return fail(err, errlen, "--verify-only and --no-verify contradict each other");
		return HANDLED;
	}
	if (o->writers + o->readers == 0)
		return fail(err, errlen, "no clients: give --writers or --readers");
	if (o->writers + o->readers > PGL_CLIENTS_MAX)
		return fail(err, errlen, "--writers + --readers: at most %d clients", PGL_CLIENTS_MAX);
	return HANDLED;
}

enum pgl_opts_result pgl_opts_parse(struct pgl_opts *o, int argc, char **argv,
                                    char *err, size_t errlen)
{
	int c;

	defaults(o);
	err[0] = '\0';
	optind = 0;          /* 0: glibc re-initializes, so a test may parse twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":W:R:w:r:d:m:j:qVh", longopts, NULL)) != -1) {
		int r;

		if (c == 'h')
			return PGL_OPTS_HELP;
		if (c == 'V')
			return PGL_OPTS_VERSION;
		if (c == '?') {
			fail(err, errlen, "unknown option '%s' (see pgload --help)", argv[optind - 1]);
			return PGL_OPTS_ERROR;
		}
		if (c == ':') {
			fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return PGL_OPTS_ERROR;
		}
		if ((r = one(o, c, optarg, err, errlen)) == NOT_MINE &&
		    (r = times(o, c, optarg, err, errlen)) == NOT_MINE)
			r = rest(o, c, optarg, err, errlen);
		if (r != HANDLED)
			return PGL_OPTS_ERROR;
	}
	if (optind < argc) {
		fail(err, errlen, "unexpected argument '%s'", argv[optind]);
		return PGL_OPTS_ERROR;
	}
	return check(o, err, errlen) == HANDLED ? PGL_OPTS_RUN : PGL_OPTS_ERROR;
}

const char *pgl_opts_read_conninfo(const struct pgl_opts *o)
{
	return o->read_conninfo ? o->read_conninfo : o->write_conninfo;
}

const char *pgl_opts_verify_conninfo(const struct pgl_opts *o)
{
	return o->verify_conninfo ? o->verify_conninfo : o->write_conninfo;
}

const char *pgl_opts_setup_conninfo(const struct pgl_opts *o)
{
	return o->setup_conninfo ? o->setup_conninfo : o->write_conninfo;
}

/* The end of a keyword=value value starting at P: quoted ('...' with \\
 * escapes) or up to the next blank. */
static const char *value_end(const char *p)
{
	if (*p != '\'') {
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		return p;
	}
	for (p++; *p && *p != '\''; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

static bool is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* Copies S to OUT replacing, for each [from, to) in CUTS, the text by "***". */
static void splice_out(const char *s, const char *cuts[][2], int n, char *out, size_t cap)
{
	size_t len = 0;

	for (const char *p = s; *p && len + 1 < cap;) {
		int i;

		for (i = 0; i < n && p != cuts[i][0]; i++)
			;
		if (i < n) {
			for (const char *r = "***"; *r && len + 1 < cap; r++)
				out[len++] = *r;
			p = cuts[i][1];
			continue;
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
}

void pgl_conninfo_redact(const char *conninfo, char *out, size_t cap)
{
	const char *cuts[8][2];
	int n = 0;
	const char *p;

	if (cap == 0)
		return;
	if (is_uri(conninfo)) {
		const char *auth = strstr(conninfo, "://") + 3;
		const char *at = strchr(auth, '@'), *slash = strpbrk(auth, "/?");
		const char *colon = strchr(auth, ':');

		if (at && (!slash || at < slash) && colon && colon < at)
			cuts[n][0] = colon + 1, cuts[n++][1] = at;
	}
	for (p = conninfo; n < 8 && (p = strstr(p, "password")) != NULL; p += 8) {
		const char *v = p + 8;

		if (p > conninfo && !strchr(" \t?&", p[-1]))
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		cuts[n][0] = v;
		cuts[n][1] = is_uri(conninfo) ? v + strcspn(v, "&") : value_end(v);
		if (cuts[n][1] > v)
			n++;
	}
	splice_out(conninfo, cuts, n, out, cap);
}
