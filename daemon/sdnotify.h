/*
 * sdnotify — what systemd's Type=notify wants to hear from the daemon:
 * READY=1 once the listeners are bound and the configuration applied,
 * RELOADING=1 / READY=1 around a SIGHUP, STOPPING=1 on the way out, and
 * WATCHDOG=1 from the event loop while WatchdogSec= is set. Every call is a
 * no-op when NOTIFY_SOCKET is unset (a terminal, a test, another init).
 */
#ifndef PGFRONT_SDNOTIFY_H
#define PGFRONT_SDNOTIFY_H

#include <ev.h>

/* READY=1 with a STATUS= line for `systemctl status` (printf format). */
void sdnotify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC (systemd 253+ pairs the two; older ones
 * ignore the timestamp). A READY=1 must follow, whatever the reload's fate. */
void sdnotify_reloading(void);
/* STATUS= alone: what `systemctl status` shows, no change of state. */
void sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sdnotify_stopping(const char *why);

/* WATCHDOG=1 every half WATCHDOG_USEC from LOOP's timer, so that a loop that
 * no longer turns misses its pings and systemd restarts pgfront. Nothing
 * when the watchdog is off. */
void sdnotify_watchdog_start(struct ev_loop *loop);
void sdnotify_watchdog_stop(struct ev_loop *loop);

#endif
