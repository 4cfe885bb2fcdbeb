/*
 * pgfront: the front door of a Patroni PostgreSQL cluster.
 * main wires the modules together: configuration, then the proxy (which binds
 * while we may still be root), then privileges, then the health checks.
 */
#include <curl/curl.h>
#include <errno.h>
#include <ev.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/log.h"
#include "daemon/version.h"
#include "health/health.h"
#include "proxy/proxy.h"

#define DEFAULT_CONFIG "/etc/pgfront/pgfront.ini"

struct daemon {
	struct ev_loop *loop;
	struct conf conf;
	struct proxy *proxy;
	struct hc_engine *health;
	ev_signal sigterm, sigint;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pgfront [-f FILE]      run in the foreground (default %s)\n"
	        "       pgfront -c [-f FILE]   check the configuration and exit\n"
	        "       pgfront -V             print the version\n", DEFAULT_CONFIG);
}

/* Loads the file; prints every error. Returns 0 if it is valid. */
static int load(const char *path, struct conf *conf)
{
	static struct conf_errors errors;

	if (conf_load(path, conf, &errors) == 0)
		return 0;
	for (int i = 0; i < errors.count && i < CONF_MAX_ERRORS; i++)
		fprintf(stderr, "%s\n", errors.lines[i]);
	if (errors.count > CONF_MAX_ERRORS)
		fprintf(stderr, "%s: %d more errors not shown\n", path,
		        errors.count - CONF_MAX_ERRORS);
	return -1;
}

static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (!user[0])
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		log_err("user %s: %s", user, errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_err("cannot become user %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	log_notice("signal %d: closing listeners and sessions", w->signum);
	ev_signal_stop(loop, &d->sigterm);
	ev_signal_stop(loop, &d->sigint);
	proxy_shutdown(d->proxy);
	hc_engine_stop(d->health);
	d->health = NULL;
	ev_break(loop, EVBREAK_ALL);
}

static int run(struct daemon *d)
{
	char err[256];

	log_set_level(d->conf.global.log_level);
	d->loop = ev_default_loop(EVFLAG_AUTO);
	d->proxy = proxy_create(d->loop, &d->conf, err, sizeof err);
	if (!d->proxy) {
		log_err("%s", err);
		return 1;
	}
	if (drop_privileges(d->conf.global.user) < 0)
		return 1;
	d->health = hc_engine_start(d->loop, &d->conf, proxy_health_changed, d->proxy,
	                            err, sizeof err);
	if (!d->health) {
		log_err("health checks: %s", err);
		return 1;
	}
	proxy_start(d->proxy, d->health);
	ev_signal_init(&d->sigterm, stop_cb, SIGTERM);
	ev_signal_init(&d->sigint, stop_cb, SIGINT);
	d->sigterm.data = d->sigint.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	log_notice("pgfront %s started with %s: %d listener(s), %d server(s)",
	           PGFRONT_VERSION, d->conf.path, d->conf.nlisteners, d->conf.nservers);
	ev_run(d->loop, 0);
	proxy_destroy(d->proxy);
	ev_loop_destroy(d->loop);
	log_notice("pgfront stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d; /* struct conf is large: keep it off the stack */
	const char *path = DEFAULT_CONFIG;
	bool check_only = false;
	int opt, rc;

	while ((opt = getopt(argc, argv, "cf:hV")) != -1) {
		switch (opt) {
		case 'c':
			check_only = true;
			break;
		case 'f':
			path = optarg;
			break;
		case 'V':
			printf("pgfront %s\n", PGFRONT_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load(path, &d.conf) < 0)
		return 1;
	if (check_only) {
		printf("configuration is valid\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "pgfront: libcurl failed to initialise\n");
		return 1;
	}
	rc = run(&d);
	curl_global_cleanup();
	return rc;
}
