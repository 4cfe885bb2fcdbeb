#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static enum log_level current_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

static void log_vmsg(enum log_level level, const char *suffix,
                     const char *fmt, va_list ap)
{
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	char line[1024];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	vsnprintf(line, sizeof line, fmt, ap);
	/* One fprintf per line, so lines from a crash-restart loop never interleave. */
	fprintf(stderr, "%s.%03ld pgfront[%s]: %s%s\n", stamp, (long)(tv.tv_usec / 1000),
	        level_names[level], line, suffix);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, "", fmt, ap);
	va_end(ap);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void log_limited(struct log_ratelimit *rl, enum log_level level,
                 const char *fmt, ...)
{
	char suffix[64] = "";
	double now = now_seconds();
	va_list ap;

	if (!log_enabled(level))
		return;
	if (now - rl->window_start >= rl->period) {
		rl->window_start = now;
		rl->used = 0;
	}
	if (rl->used >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->used++;
	if (rl->suppressed) {
		snprintf(suffix, sizeof suffix, " (%lu similar lines suppressed)",
		         rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	log_vmsg(level, suffix, fmt, ap);
	va_end(ap);
}
