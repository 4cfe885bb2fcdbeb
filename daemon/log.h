/*
 * log — one line per event on stderr, with a timestamp and a level, so that
 * systemd's journal (or a terminal) shows what pgfront did and when.
 */
#ifndef PGFRONT_LOG_H
#define PGFRONT_LOG_H

#include "conf/conf.h"

void log_set_level(enum conf_log_level level);
bool log_enabled(enum conf_log_level level);

void log_msg(enum conf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(CONF_LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(CONF_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(CONF_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(CONF_LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(CONF_LOG_DEBUG, __VA_ARGS__)

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

void log_limited(struct log_ratelimit *rl, enum conf_log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
