/*
 * pgstub: the least of a PostgreSQL server that libpq accepts, for the soak's
 * sessions and churn (bench/soak/). PostgreSQL forks a backend per session:
 * on this 2-core machine it logs in a few hundred clients a second and cannot
 * hold 10,000 sessions, which is what the soak puts through pgfront. pgstub
 * holds them all in one libev loop, a few hundred bytes each.
 *
 *   pgstub [-v] ADDR:PORT...
 *
 * It answers SSLRequest and GSSENCRequest with 'N', a StartupMessage with
 * AuthenticationOk, a few ParameterStatus, BackendKeyData and ReadyForQuery,
 * and every simple Query with one result: a row "1" to a SELECT, otherwise
 * the command tag (INSERT 0 1 to an INSERT). Terminate, EOF or a malformed
 * message ends the session. No authentication, no data: it proves nothing
 * about PostgreSQL, only carries sessions. With -v it prints the sessions
 * open and the total every 10 s on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP 8192           /* a longer message ends the session */
#define OUT_CAP 1024          /* the longest answer is ~250 bytes */

#define CODE_PROTO3 196608
#define CODE_SSL 80877103
#define CODE_GSSENC 80877104
#define CODE_CANCEL 80877102

struct conn {
	ev_io io;
	int fd;
	int started;              /* the StartupMessage was answered */
	size_t in_len, out_len, out_off;
	char in[IN_CAP];
	char out[OUT_CAP];
};

static long open_sessions, total_sessions;

static void conn_free(struct ev_loop *loop, struct conn *c)
{
	ev_io_stop(loop, &c->io);
	close(c->fd);
	free(c);
	open_sessions--;
}

static void put(struct conn *c, char type, const void *body, uint32_t len)
{
	uint32_t n = htonl(len + 4);

	if (c->out_len + 5 + len > OUT_CAP)
		return;                   /* cannot happen with the answers below */
	if (type)
		c->out[c->out_len++] = type;
	memcpy(c->out + c->out_len, &n, 4);
	memcpy(c->out + c->out_len + 4, body, len);
	c->out_len += 4 + len;
}

static void put_param(struct conn *c, const char *name, const char *value)
{
	char b[128];
	size_t a = strlen(name) + 1, v = strlen(value) + 1;

	memcpy(b, name, a);
	memcpy(b + a, value, v);
	put(c, 'S', b, (uint32_t)(a + v));
}

static void answer_startup(struct conn *c)
{
	uint32_t zero = 0, key[2] = { htonl((uint32_t)getpid()), htonl((uint32_t)c->fd) };

	put(c, 'R', &zero, 4);
	put_param(c, "server_version", "15.0 (pgstub)");
	put_param(c, "server_encoding", "UTF8");
	put_param(c, "client_encoding", "UTF8");
	put_param(c, "DateStyle", "ISO, MDY");
	put_param(c, "integer_datetimes", "on");
	put_param(c, "standard_conforming_strings", "on");
	put(c, 'K', key, 8);
	put(c, 'Z', "I", 1);
	c->started = 1;
}

static void answer_query(struct conn *c, const char *sql, size_t len)
{
	char tag[64];
	size_t i = 0, t = 0;

	while (i < len && (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t'))
		i++;
	if (len - i >= 6 && strncasecmp(sql + i, "select", 6) == 0) {
		/* One int4 column "?column?", one row "1". */
		static const char rd[] = {
			0, 1,                          /* one field */
			'?', 'c', 'o', 'l', 'u', 'm', 'n', '?', 0,
			0, 0, 0, 0, 0, 0,              /* no table, no column */
			0, 0, 0, 23, 0, 4,             /* int4, 4 bytes */
			-1, -1, -1, -1, 0, 0,          /* no typmod, text format */
		};
		static const char dr[] = "\0\1\0\0\0\1" "1";

		put(c, 'T', rd, sizeof rd);
		put(c, 'D', dr, sizeof dr - 1);
		put(c, 'C', "SELECT 1", 9);
	} else if (len - i >= 6 && strncasecmp(sql + i, "insert", 6) == 0) {
		put(c, 'C', "INSERT 0 1", 11);
	} else {
		while (i < len && t < sizeof tag - 1 && sql[i] > ' ' && sql[i] != ';')
			tag[t++] = (char)(sql[i++] & ~0x20);
		tag[t++] = '\0';
		put(c, 'C', t > 1 ? tag : "EMPTY", t > 1 ? (uint32_t)t : 6);
	}
	put(c, 'Z', "I", 1);
}

/* Answers every complete message in; -1: end the session. */
static int consume(struct conn *c)
{
	size_t off = 0;

	for (;;) {
		size_t hdr = c->started ? 5 : 4, avail = c->in_len - off;
		uint32_t len;

		if (avail < hdr)
			break;
		memcpy(&len, c->in + off + hdr - 4, 4);
		len = ntohl(len);
		if (len < 4 || len + hdr - 4 > IN_CAP)
			return -1;
		if (avail < len + hdr - 4)
			break;
		if (!c->started) {
			uint32_t code;

			if (len < 8)
				return -1;
			memcpy(&code, c->in + off + 4, 4);
			code = ntohl(code);
			if (code == CODE_SSL || code == CODE_GSSENC)
				c->out[c->out_len++] = 'N';
			else if (code == CODE_PROTO3)
				answer_startup(c);
			else
				return -1;        /* a cancel request, or garbage */
		} else {
			char type = c->in[off];

			if (type == 'X')
				return -1;
			if (type == 'Q')
				answer_query(c, c->in + off + 5, len - 4);
			else
				return -1;        /* the extended protocol is not spoken here */
		}
		off += len + hdr - 4;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return 0;
}

static int flush_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	int pending;

	if (revents & EV_READ) {
		ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(loop, c);
			return;
		}
		if (n > 0) {
			c->in_len += (size_t)n;
			if (consume(c) < 0) {
				flush_out(c);
				conn_free(loop, c);
				return;
			}
		}
	}
	pending = flush_out(c);
	if (pending < 0) {
		conn_free(loop, c);
		return;
	}
	/* Backpressure: read no more while an answer waits to be written. */
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, pending ? EV_WRITE : EV_READ);
	ev_io_start(loop, &c->io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	for (int i = 0; i < 64; i++) {
		int one = 1, fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				fprintf(stderr, "pgstub: accept: %s\n", strerror(errno));
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c = malloc(sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->started = 0;
		c->in_len = c->out_len = c->out_off = 0;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_io_start(loop, &c->io);
		open_sessions++;
		total_sessions++;
	}
}

static int listen_on(const char *spec)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd;

	if (!colon || (size_t)(colon - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || !sa.sin_port)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void report_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	fprintf(stderr, "pgstub: %ld sessions open, %ld in total\n", open_sessions, total_sessions);
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct rlimit rl;
	ev_signal sigterm, sigint;
	ev_timer report;
	int verbose = 0, n = 0;

	signal(SIGPIPE, SIG_IGN);
	/* Sessions are descriptors: as many as the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 1; i < argc; i++) {
		ev_io *w;
		int fd;

		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		if ((fd = listen_on(argv[i])) < 0) {
			fprintf(stderr, "pgstub: cannot listen on '%s': %s\n", argv[i],
			        errno ? strerror(errno) : "expected IPv4:PORT");
			return 2;
		}
		w = malloc(sizeof *w);
		if (!w)
			return 1;
		ev_io_init(w, accept_cb, fd, EV_READ);
		ev_io_start(loop, w);
		n++;
	}
	if (!n) {
		fprintf(stderr, "usage: pgstub [-v] ADDR:PORT...\n");
		return 2;
	}
	ev_signal_init(&sigterm, stop_cb, SIGTERM);
	ev_signal_init(&sigint, stop_cb, SIGINT);
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	if (verbose) {
		ev_timer_init(&report, report_cb, 10., 10.);
		ev_timer_start(loop, &report);
	}
	ev_run(loop, 0);
	return 0;
}
