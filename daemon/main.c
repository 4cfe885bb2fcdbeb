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
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/ctl.h"
#include "daemon/fdlimit.h"
#include "daemon/import_cmd.h"
#include "daemon/sdnotify.h"
#include "common/events.h"
#include "common/log.h"
#include "daemon/version.h"
#include "health/health.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "vrrp/vrrp.h"

#define DEFAULT_CONFIG "/etc/pgfront/pgfront.ini"

#define SOFT_STOP_POLL 0.2   /* seconds between looks at the sessions left */

struct daemon {
	struct ev_loop *loop;
	const char *path;
	struct conf *conf;       /* heap: a reload swaps it for a new one */
	struct proxy *proxy;
	struct stats_sources stats_src;
	struct stats_server *stats;
	struct hc_engine *health;
	struct vrrp *vrrp;
	ev_signal sigterm, sigint, sighup, sigusr1;
	ev_timer soft_stop;      /* polls until the last session ends */
	double soft_stop_deadline;
	bool reloading;          /* the new health engine may speak before it is ours */
	ev_timer vip_lost;       /* closes the sessions of lost VIPs, from the loop */
	bool vip_lost_pending[CONF_MAX_VRRP];
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pgfront [-f FILE]      run in the foreground (default %s)\n"
	        "       pgfront -c [-f FILE]   check the configuration and exit\n"
	        "       pgfront -V             print the version\n"
	        "       pgfront ctl ACTION LISTENER/SERVER   ready, drain, maint, kill (see ctl -h)\n"
	        "       pgfront import HAPROXY_CFG [KEEPALIVED_CONF]   print the pgfront.ini they translate to\n",
	        DEFAULT_CONFIG);
}

/*
 * Loads the file into a new struct conf; reports every error (to stderr
 * before the loop runs, to the log on a reload). Returns NULL if invalid.
 */
static struct conf *load(const char *path, bool to_log)
{
	static struct conf_errors errors;
	struct conf *conf = malloc(sizeof *conf);

	if (!conf) {
		fprintf(stderr, "pgfront: out of memory\n");
		return NULL;
	}
	if (conf_load(path, conf, &errors) == 0)
		return conf;
	for (int i = 0; i < errors.count && i < CONF_MAX_ERRORS; i++) {
		if (to_log)
			log_err("%s", errors.lines[i]);
		else
			fprintf(stderr, "%s\n", errors.lines[i]);
	}
	if (errors.count > CONF_MAX_ERRORS)
		fprintf(stderr, "%s: %d more errors not shown\n", path,
		        errors.count - CONF_MAX_ERRORS);
	free(conf);
	return NULL;
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
	/* Started as that user already (systemd's User=): initgroups() would
	 * need a privilege the process does not have, and there is nothing to do. */
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid && getgid() == pw->pw_gid)
		return 0;
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_err("cannot become user %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * For vrrp's track_listener: has the listener a server left to route to?
 * A server in MAINT has a frozen status and does not count (the health
 * engine leaves it out); a DRAINed one does: it is still checked, and it
 * still serves its sessions, which moving the VIP away would cut.
 */
static void track_listener(struct daemon *d, int listener)
{
	vrrp_listener_health(d->vrrp, listener,
	                     d->health && hc_listener_has_up(d->health, listener),
	                     (double)d->conf->listeners[listener].t.hold_when_down_us / 1e6);
}

/* Every health change goes through here, to each module that cares. */
static void health_changed(void *arg, int listener, int member, const struct hc_change *change)
{
	struct daemon *d = arg;

	/* During a reload the new engine's indexes are not yet d->conf's: the
	 * reload feeds vrrp every listener once it is applied. */
	if (d->reloading)
		return;
	/* MAINT's staleness is the proxy's own doing: nothing new for it. */
	if (!change->stale_changed)
		proxy_health_changed(d->proxy, listener, member, change);
	track_listener(d, listener);
}

/*
 * Sessions that came through a VIP this balancer no longer holds go at once:
 * their clients now reach the peer, and they would only hold PostgreSQL
 * backends until timeout_client. vrrp tells a transition from inside its
 * own calls (a health change, a reload, an admin action...), so the
 * closing runs from a timer of its own, never inside the caller's stack.
 */
static void vip_lost_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	for (int i = 0; d->vrrp && i < vrrp_count(d->vrrp); i++) {
		const struct vrrp_view *view = vrrp_view(d->vrrp, i);
		int closed = 0;

		if (!d->vip_lost_pending[i])
			continue;
		d->vip_lost_pending[i] = false;
		if (view->state == VRRP_STATE_MASTER)
			continue;   /* back already: its sessions may go on */
		for (int k = 0; k < view->nvips; k++) {
			struct sockaddr_in vip = { .sin_family = AF_INET, .sin_addr = view->vips[k].addr };

			closed += proxy_close_sessions_on_addr(d->proxy, (struct sockaddr *)&vip);
		}
		if (closed)
			event_log(LOG_LEVEL_NOTICE, EVENT_VRRP, "vrrp %s: closed %d session(s) that "
			          "came through its VIPs: no longer MASTER", view->name, closed);
	}
}

static void vrrp_changed(void *arg, const struct vrrp_change *change)
{
	struct daemon *d = arg;

	if (change->from != VRRP_STATE_MASTER || change->to == VRRP_STATE_MASTER ||
	    change->instance < 0 || change->instance >= CONF_MAX_VRRP)
		return;
	d->vip_lost_pending[change->instance] = true;
	if (!ev_is_active(&d->vip_lost)) {
		ev_timer_set(&d->vip_lost, 0., 0.);
		ev_timer_start(d->loop, &d->vip_lost);
	}
}

/*
 * A signal whose watcher has stopped gets back its default action (libev
 * restores it), and for SIGTERM, SIGINT, SIGHUP and SIGUSR1 that is to die.
 * Once a stop is under way, one more must change nothing: Ctrl-C reaches
 * pgfront and whatever started it, which may pass it on as SIGTERM, and
 * pgfront would be killed halfway, with exit status 143 rather than 0.
 */
static void stop_watching_signal(struct ev_loop *loop, ev_signal *w)
{
	ev_signal_stop(loop, w);
	signal(w->signum, SIG_IGN);
}

static void stop_now(struct daemon *d)
{
	sdnotify_stopping("closing listeners and sessions");
	sdnotify_watchdog_stop(d->loop);
	stats_stop(d->stats);
	d->stats = NULL;
	stop_watching_signal(d->loop, &d->sigterm);
	stop_watching_signal(d->loop, &d->sigint);
	stop_watching_signal(d->loop, &d->sighup);
	stop_watching_signal(d->loop, &d->sigusr1);
	ev_timer_stop(d->loop, &d->soft_stop);
	/* Priority 0 first: the other balancer takes the VIP after Skew_Time,
	 * counted from now rather than from after hundreds of sessions closed. */
	vrrp_stop(d->vrrp);
	d->vrrp = NULL;
	ev_timer_stop(d->loop, &d->vip_lost);   /* every session closes now */
	proxy_shutdown(d->proxy);
	hc_engine_stop(d->health);
	d->health = NULL;
	ev_break(d->loop, EVBREAK_ALL);
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	log_notice("signal %d: closing listeners and sessions", w->signum);
	stop_now(w->data);
}

static void soft_stop_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	int left = proxy_current_connections(d->proxy) + proxy_pending_clients(d->proxy);

	(void)revents;
	if (left == 0) {
		log_notice("soft stop: every session has ended");
		stop_now(d);
	} else if (d->soft_stop_deadline && ev_now(loop) >= d->soft_stop_deadline) {
		log_notice("soft stop: hard_stop_after reached, closing %d session(s)", left);
		stop_now(d);
	}
}

/* SIGUSR1: take no new clients, let the current ones finish, then exit. */
static void soft_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	uint64_t limit = d->conf->global.hard_stop_after_us;
	int left;

	(void)revents;
	stop_watching_signal(loop, &d->sigusr1);
	stop_watching_signal(loop, &d->sighup);
	left = proxy_stop_accepting(d->proxy);
	if (limit)
		d->soft_stop_deadline = ev_now(loop) + (double)limit / 1e6;
	log_notice("soft stop: listeners closed, waiting for %d session(s)%s", left,
	           limit ? " (at most hard_stop_after)" : "");
	/* Not STOPPING=1 yet: systemd would then SIGKILL pgfront after
	 * TimeoutStopSec, before the VIP is handed over, however long
	 * hard_stop_after allows. It comes from stop_now(). */
	sdnotify_status("soft stop: listeners closed, waiting for %d session(s)", left);
	ev_timer_init(&d->soft_stop, soft_stop_poll_cb, 0., SOFT_STOP_POLL);
	d->soft_stop.data = d;
	ev_timer_again(loop, &d->soft_stop);
	soft_stop_poll_cb(loop, &d->soft_stop, 0);
}

/*
 * SIGHUP: a new file replaces the old one only if it is valid and its new
 * addresses can be bound; otherwise pgfront runs on as it was. Returns 0 if
 * the new file was applied.
 */
static int reload(struct daemon *d)
{
	struct conf *conf;
	struct hc_engine *health;
	char err[256];

	conf = load(d->path, true);
	if (!conf) {
		event_log(LOG_LEVEL_ERR, EVENT_RELOAD, "reload: %s is invalid; running on with the previous configuration", d->path);
		return -1;
	}
	d->reloading = true;
	health = hc_engine_start_from(d->health, conf, err, sizeof err);
	if (!health || proxy_reload(d->proxy, conf, health, err, sizeof err) < 0) {
		d->reloading = false;
		event_log(LOG_LEVEL_ERR, EVENT_RELOAD, "reload: %s; running on with the previous configuration", err);
		hc_engine_stop(health);
		free(conf);
		return -1;
	}
	d->reloading = false;
	if (conf->global.threads != d->conf->global.threads)
		log_notice("reload: [global] threads changed: it takes effect at the next start; "
		           "relaying on %d thread(s) meanwhile", proxy_thread_count(d->proxy));
	hc_engine_stop(d->health);
	d->health = health;
	free(d->conf);
	d->conf = conf;
	d->stats_src.conf = conf;
	d->stats_src.health = health;
	if (stats_reload(d->stats, err, sizeof err) < 0)
		log_err("reload: stats page: %s", err);
	vrrp_reload(d->vrrp, conf);
	/* Listeners may have moved, come or come back: vrrp hears them all. */
	for (int i = 0; i < conf->nlisteners; i++)
		track_listener(d, i);
	log_set_level(conf->global.log_level);
	proxy_set_session_limit(d->proxy, fdlimit_apply(conf));
	event_log(LOG_LEVEL_NOTICE, EVENT_RELOAD, "reload: %s applied: %d listener(s), %d server(s)", d->path,
	           conf->nlisteners, conf->nservers);
	return 0;
}

static void reload_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	log_notice("SIGHUP: reloading %s", d->path);
	sdnotify_reloading();
	/* READY=1 either way: systemd's reload job ends with it. */
	if (reload(d) == 0)
		sdnotify_ready("%d listener(s), %d server(s)", d->conf->nlisteners,
		               d->conf->nservers);
	else
		sdnotify_ready("reload of %s failed (see the log); running on with the previous "
		               "configuration", d->path);
}

static void watch_signals(struct daemon *d)
{
	ev_signal_init(&d->sigterm, stop_cb, SIGTERM);
	ev_signal_init(&d->sigint, stop_cb, SIGINT);
	ev_signal_init(&d->sighup, reload_cb, SIGHUP);
	ev_signal_init(&d->sigusr1, soft_stop_cb, SIGUSR1);
	d->sigterm.data = d->sigint.data = d->sighup.data = d->sigusr1.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sighup);
	ev_signal_start(d->loop, &d->sigusr1);
}

static int run(struct daemon *d)
{
	char err[256];

	int sessions;

	log_set_level(d->conf->global.log_level);
	sessions = fdlimit_apply(d->conf);
	d->loop = ev_default_loop(EVFLAG_AUTO);
	/* From here a SIGTERM waits for the loop instead of killing pgfront
	 * half-started: its listeners answer before the health checks run. */
	watch_signals(d);
	log_attach_loop(d->loop);   /* from here on, a slow stderr costs lines, not waits */
	sdnotify_watchdog_start(d->loop);
	d->proxy = proxy_create(d->loop, d->conf, err, sizeof err);
	if (!d->proxy) {
		log_err("%s", err);
		return 1;
	}
	proxy_set_session_limit(d->proxy, sessions);
	d->stats_src = (struct stats_sources){ d->conf, d->proxy, NULL, NULL, ev_now(d->loop) };
	d->stats = stats_start(d->loop, &d->stats_src, err, sizeof err);
	if (!d->stats) {
		log_err("%s", err);
		return 1;
	}
	/* Raw sockets and VIPs need privileges: before they are dropped. */
	d->vrrp = vrrp_start(d->loop, d->conf, err, sizeof err);
	if (!d->vrrp) {
		log_err("%s", err);
		return 1;
	}
	ev_init(&d->vip_lost, vip_lost_cb);
	d->vip_lost.data = d;
	vrrp_set_change_cb(d->vrrp, vrrp_changed, d);
	vrrp_before_setuid(d->vrrp);
	if (drop_privileges(d->conf->global.user) < 0) {
		vrrp_stop(d->vrrp);
		return 1;
	}
	if (vrrp_after_setuid(d->vrrp, err, sizeof err) < 0) {
		log_err("%s", err);
		vrrp_stop(d->vrrp);
		return 1;
	}
	d->health = hc_engine_start(d->loop, d->conf, health_changed, d, err, sizeof err);
	if (!d->health) {
		log_err("health checks: %s", err);
		vrrp_stop(d->vrrp);
		return 1;
	}
	d->stats_src.health = d->health;
	d->stats_src.vrrp = d->vrrp;
	proxy_start(d->proxy, d->health);
	log_notice("pgfront %s started with %s: %d listener(s), %d server(s)",
	           PGFRONT_VERSION, d->conf->path, d->conf->nlisteners, d->conf->nservers);
	sdnotify_ready("%d listener(s), %d server(s)", d->conf->nlisteners, d->conf->nservers);
	ev_run(d->loop, 0);
	proxy_destroy(d->proxy);
	log_flush_and_detach();
	ev_loop_destroy(d->loop);
	log_notice("pgfront stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	const char *path = DEFAULT_CONFIG;
	bool check_only = false;
	int opt, rc;

	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
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
	d.path = path;
	d.conf = load(path, false);
	if (!d.conf)
		return 1;
	if (check_only) {
		printf("configuration is valid\n");
		free(d.conf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "pgfront: libcurl failed to initialise\n");
		return 1;
	}
	rc = run(&d);
	log_flush_and_detach();     /* the lines of a failed start */
	curl_global_cleanup();
	free(d.conf);
	return rc;
}
