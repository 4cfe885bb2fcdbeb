#include "common/log.h"

#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * 256 KiB holds about 2,000 session lines: several seconds of a busy
 * balancer's info level while the reader catches up, and small next to the
 * 16-64 KiB per busy session direction the proxy may hold.
 */
#define LOG_BUF_SIZE (256 * 1024)
#define LOG_MSG_MAX 1024          /* the message, as formatted by the caller */
#define LOG_LINE_MAX (LOG_MSG_MAX + 128)
/* At exit, and for each line written at once: a reader that has not taken
 * the bytes by then will not, and pgfront must still exit. */
#define LOG_WAIT_MAX 2.0          /* seconds */

static enum log_level current_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/*
 * How the buffered lines reach stderr without ever waiting.
 *
 * O_NONBLOCK belongs to the open file description, which pgfront may share:
 * a terminal with the shell that started it, a pipe with its siblings. So
 * the flag is never set on fd 2 itself:
 * - a socket (systemd's journal stream): send() with MSG_DONTWAIT, per call;
 * - a pipe or a terminal: /proc/self/fd/2 opened again, which makes a
 *   description of pgfront's own on the same pipe or terminal, and that one
 *   is non-blocking. Without /proc, lines are written as before the loop;
 * - a regular file or anything else: write(), which does not wait for a
 *   reader (O_NONBLOCK means nothing to files).
 *
 * Nothing is flushed before a vrrp notify script is spawned, since that
 * would be a wait on the loop, and nothing needs to be: the buffer is not
 * stdio's (posix_spawn copies none of it into the child), our own
 * description is close-on-exec, and our writes of whole lines of at most
 * PIPE_BUF bytes never interleave with the lines the script writes.
 */
enum log_out {
	LOG_OUT_WRITE,
	LOG_OUT_SEND,
};

static struct {
	bool probed;              /* journal and output decided */
	bool journal;             /* stderr is the journal: "<N>" prefix, no timestamp */
	struct ev_loop *loop;     /* NULL: lines are written at once */
	ev_io io;                 /* on fd, while bytes wait */
	int fd;
	bool own_fd;              /* fd is our /proc reopening, ours to close */
	enum log_out out;
	size_t head, len;         /* the bytes not yet written are buf[head..len) */
	unsigned long dropped;    /* lines that found the buffer full, not yet reported */
	char buf[LOG_BUF_SIZE];
} lg = { .fd = 2 };

/* JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd gave as stdout/stderr. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void probe(void)
{
	lg.journal = stderr_is_journal();
	lg.probed = true;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

static size_t format_line(char *line, enum log_level level, const char *suffix,
                          const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	int n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (lg.journal) {
		n = snprintf(line, LOG_LINE_MAX, "<%d>%s: %s%s\n", (int)level, level_names[level],
		             msg, suffix);
	} else {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		n = snprintf(line, LOG_LINE_MAX, "%s.%03ld pgfront[%s]: %s%s\n", stamp,
		             (long)(tv.tv_usec / 1000), level_names[level], msg, suffix);
	}
	if (n >= LOG_LINE_MAX) {          /* cut, but still one line */
		n = LOG_LINE_MAX - 1;
		line[n - 1] = '\n';
	}
	return n < 0 ? 0 : (size_t)n;
}

static size_t format(char *line, enum log_level level, const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t format(char *line, enum log_level level, const char *suffix, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_line(line, level, suffix, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * One attempt: >= 0 bytes taken, -1 would wait, -2 stderr is unusable.
 *
 * At most PIPE_BUF bytes of whole lines per call: a pipe takes such a write
 * whole or not at all, so a line is never cut by a short write, and the
 * lines of a process sharing the pipe (a vrrp notify script) never land in
 * the middle of one of ours.
 */
static ssize_t out_try(const char *p, size_t len)
{
	ssize_t n;

	if (len > PIPE_BUF) {
		const char *nl = memrchr(p, '\n', PIPE_BUF);
		len = nl ? (size_t)(nl - p) + 1 : PIPE_BUF;
	}

	do {
		n = lg.out == LOG_OUT_SEND ? send(lg.fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL)
		                           : write(lg.fd, p, len);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes all of p, waiting for the reader until DEADLINE; 0, or -1 if it gave up. */
static int out_all(const char *p, size_t len, double deadline)
{
	while (len > 0) {
		ssize_t n = out_try(p, len);
		double left;

		if (n == -2)
			return -1;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		left = deadline - monotonic_seconds();
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = lg.fd, .events = POLLOUT };
		(void)poll(&pfd, 1, (int)(left * 1000) + 1);
	}
	return 0;
}

/* ---- the buffer, once the loop runs ---- */

static bool buf_put(const char *line, size_t n)
{
	if (LOG_BUF_SIZE - lg.len < n) {
		if (LOG_BUF_SIZE - (lg.len - lg.head) < n)
			return false;
		memmove(lg.buf, lg.buf + lg.head, lg.len - lg.head);
		lg.len -= lg.head;
		lg.head = 0;
	}
	memcpy(lg.buf + lg.len, line, n);
	lg.len += n;
	return true;
}

/*
 * After an overflow the count of lines lost goes in first, once half the
 * buffer is free again; false until then. Waiting for half rather than for
 * room for one line keeps a reader that crawls from getting a count line
 * between every two lines.
 */
static bool put_drop_notice(void)
{
	char line[LOG_LINE_MAX];
	size_t n;

	if (!lg.dropped)
		return true;
	if (lg.len - lg.head > LOG_BUF_SIZE / 2)
		return false;
	n = format(line, LOG_LEVEL_WARNING, "", "%lu log lines dropped", lg.dropped);
	if (!buf_put(line, n))
		return false;
	lg.dropped = 0;
	return true;
}

/* Writes what stderr takes now; watches it for the rest. */
static void buf_flush(void)
{
	while (lg.head < lg.len) {
		ssize_t n = out_try(lg.buf + lg.head, lg.len - lg.head);

		if (n == -1) {
			if (!ev_is_active(&lg.io))
				ev_io_start(lg.loop, &lg.io);
			return;
		}
		if (n == -2) {
			/* stderr is closed or broken: nobody will read these, and
			 * nobody can be told. */
			lg.head = lg.len;
			break;
		}
		lg.head += (size_t)n;
		if (lg.head == lg.len)
			put_drop_notice();
	}
	lg.head = lg.len = 0;
	if (ev_is_active(&lg.io))
		ev_io_stop(lg.loop, &lg.io);
}

static void writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	put_drop_notice();   /* if the room freed so far is enough */
	buf_flush();
}

static void emit(const char *line, size_t n)
{
	if (!lg.loop) {
		(void)out_all(line, n, monotonic_seconds() + LOG_WAIT_MAX);
		return;
	}
	/* Whole lines or nothing: a line never goes in cut, nor ahead of the
	 * count of those lost before it. */
	if (!put_drop_notice() || !buf_put(line, n)) {
		lg.dropped++;
		return;
	}
	if (!ev_is_active(&lg.io))   /* else the reader is behind: wait for it */
		buf_flush();
}

/*
 * A way to write stderr that never waits: see enum log_out. False for a pipe
 * or terminal that cannot be opened again (no /proc): its lines are then
 * written at once, as before the loop.
 */
static bool open_output(void)
{
	struct stat st;
	int fd;

	lg.fd = 2;
	lg.own_fd = false;
	lg.out = LOG_OUT_WRITE;
	if (fstat(2, &st) < 0)
		return true;   /* no stderr: every write fails, nothing waits */
	if (S_ISSOCK(st.st_mode)) {
		lg.out = LOG_OUT_SEND;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return false;
		lg.fd = fd;
		lg.own_fd = true;
	}
	return true;
}

void log_attach_loop(struct ev_loop *loop)
{
	log_flush_and_detach();
	probe();
	if (!open_output())
		return;
	lg.loop = loop;
	lg.head = lg.len = 0;
	ev_io_init(&lg.io, writable_cb, lg.fd, EV_WRITE);
}

void log_flush_and_detach(void)
{
	char line[LOG_LINE_MAX];
	double deadline = monotonic_seconds() + LOG_WAIT_MAX;

	if (!lg.loop)
		return;
	ev_io_stop(lg.loop, &lg.io);
	if (out_all(lg.buf + lg.head, lg.len - lg.head, deadline) == 0 && lg.dropped)
		(void)out_all(line, format(line, LOG_LEVEL_WARNING, "", "%lu log lines dropped",
		                           lg.dropped), deadline);
	lg.head = lg.len = 0;
	lg.dropped = 0;
	lg.loop = NULL;
	if (lg.own_fd)
		close(lg.fd);
	lg.fd = 2;
	lg.own_fd = false;
	lg.out = LOG_OUT_WRITE;
}

static __thread bool forbidden;

void log_forbid_this_thread(void)
{
	forbidden = true;
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;   /* callers log strerror(errno), then look at errno */

	assert(!forbidden);
	if (!lg.probed)
		probe();
	emit(line, format_line(line, level, suffix, fmt, ap));
	errno = saved_errno;
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

void log_limited(struct log_ratelimit *rl, enum log_level level,
                 const char *fmt, ...)
{
	char suffix[64] = "";
	double now = monotonic_seconds();
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
