/*
 * log — one line per event on stderr, with a timestamp and a level, so that
 * systemd's journal (or a terminal) shows what pgfront did and when.
 *
 * Once the event loop runs (log_attach_loop), a line is never written with
 * a call that may wait: it goes to a bounded buffer, flushed as stderr
 * accepts it. A reader that stalls (a full pipe, a journald that is busy)
 * costs lines, never relaying or VRRP adverts: lines that find the buffer
 * full are dropped whole and counted, and "N log lines dropped" follows
 * once there is room. Before the loop and after log_flush_and_detach(),
 * each line is written at once (startup errors, `pgfront -c`).
 *
 * When stderr is systemd's journal stream (JOURNAL_STREAM names it), each
 * line starts with the syslog priority, "<4>", instead of a timestamp, so
 * that `journalctl -p warning` filters on it.
 */
#ifndef PGFRONT_LOG_H
#define PGFRONT_LOG_H

#include <stdbool.h>

/* Levels as syslog numbers them, so they map one to one. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

struct ev_loop;

void log_set_level(enum log_level level);

/* From now on lines are buffered and flushed from LOOP, never waited for. */
void log_attach_loop(struct ev_loop *loop);
/* Writes what is buffered, waiting at most a bounded time (at exit, before
 * the loop is destroyed), then writes lines at once again. */
void log_flush_and_detach(void);
bool log_enabled(enum log_level level);
/* The log is the main thread's: a relay thread calls this first, and any
 * line it tried to log after would be an assertion failure. */
void log_forbid_this_thread(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * A budget for lines that a peer can provoke (bad packets, garbage clients):
 * at most `burst` lines per `period` seconds; the rest are counted and the
 * count is reported with the next line let through.
 */
struct log_ratelimit {
	double period;
	int burst;
	double window_start;
	int used;
	unsigned long suppressed;
};

void log_limited(struct log_ratelimit *rl, enum log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
