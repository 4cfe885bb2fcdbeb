/*
 * systemd's notification protocol, through libsystemd's sd_notify(), which
 * already returns 0 and sends nothing when NOTIFY_SOCKET is unset. The
 * environment is left in place (unset_environment = 0): pgfront sends more
 * than one message, and with NotifyAccess=main systemd ignores any message
 * from a child (a [vrrp] notify script) that inherits it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/log.h"
#include "daemon/sdnotify.h"

static ev_timer watchdog;
static struct log_ratelimit watchdog_rl = { .period = 60., .burst = 1 };

static void notify(const char *state)
{
	int rc = sd_notify(0, state);

	/* Neither fatal nor worth retrying: systemd will time the state out and
	 * say so; the log says why. */
	if (rc < 0)
		log_warning("sd_notify %.*s: %s", (int)strcspn(state, "\n"), state, strerror(-rc));
}

static void notify_status(const char *head, const char *fmt, va_list ap)
{
	char status[256];
	char msg[300];

	vsnprintf(status, sizeof status, fmt, ap);
	snprintf(msg, sizeof msg, "%sSTATUS=%s", head, status);
	notify(msg);
}

void sdnotify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_status("READY=1\n", fmt, ap);
	va_end(ap);
}

void sdnotify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_status("", fmt, ap);
	va_end(ap);
}

void sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify(msg);
}

void sdnotify_stopping(const char *why)
{
	char msg[300];

	snprintf(msg, sizeof msg, "STOPPING=1\nSTATUS=%s", why);
	notify(msg);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	int rc = sd_notify(0, "WATCHDOG=1");

	(void)loop;
	(void)w;
	(void)revents;
	if (rc < 0)
		log_limited(&watchdog_rl, LOG_LEVEL_WARNING, "sd_notify WATCHDOG=1: %s",
		            strerror(-rc));
}

void sdnotify_watchdog_start(struct ev_loop *loop)
{
	uint64_t usec = 0;

	/* > 0 only if WATCHDOG_USEC is set and WATCHDOG_PID, if any, is ours. */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	ev_timer_init(&watchdog, watchdog_cb, 0., (double)usec / 2e6);
	ev_timer_start(loop, &watchdog);
	log_info("systemd watchdog: %.3fs, pinging every %.3fs", (double)usec / 1e6,
	         (double)usec / 2e6);
}

void sdnotify_watchdog_stop(struct ev_loop *loop)
{
	ev_timer_stop(loop, &watchdog);
}
