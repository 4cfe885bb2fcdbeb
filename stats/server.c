/*
 * The stats server's sockets on pgfront's libev loop. One request per
 * connection (Connection: close): a connection reads its request, gets its
 * whole answer rendered at once, writes it, then lingers briefly so that
 * unread request bytes do not turn the close into a reset that would destroy
 * the answer in flight.
 *
 * The port may face anyone, and its work runs on the loop that relays, so
 * what a client can make it cost before authenticating is bounded:
 * - STATS_CONN_MAX connections at once (the next get 503), and
 *   STATS_CONN_PER_SOURCE from one address, so that one client cannot hold
 *   every slot: a browser opens at most 6 to a host;
 * - STATS_ACCEPT_RATE new connections per second (a token bucket of
 *   STATS_ACCEPT_BURST): an HTTPS connection starts with a full handshake,
 *   about 1 ms of this loop's CPU with a P-256 certificate on a slow 2-core
 *   VM (several times that with RSA 2048). 40/s bounds it to a few percent
 *   of the loop, far above what Prometheus, a refreshing browser and
 *   `pgfront ctl` need. Past it, accepting pauses: the next connections wait
 *   in the kernel's backlog, costing nothing until their turn;
 * - STATS_TIMEOUT seconds for a whole exchange, a fixed input buffer (the
 *   parser's limits), and no blocking call;
 * - rendering covers at most CONF_MAX_LISTENERS x CONF_MAX_SERVERS rows in
 *   one pass over a snapshot: its time is bounded by the configuration, not
 *   by anything the client sends.
 */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/list.h"
#include "common/log.h"
#include "common/sockopt.h"
#include "stats/internal.h"

#define STATS_CONN_MAX 64
#define STATS_CONN_PER_SOURCE 8
#define STATS_ACCEPT_RATE 40.0    /* new connections per second, on average */
#define STATS_ACCEPT_BURST 20.0   /* at once, after a quiet while: a dashboard opening */
#define STATS_TIMEOUT 10.0        /* seconds for request and answer together */
#define LINGER_TIMEOUT 2.0
#define ACCEPT_BURST 16
#define ACCEPT_PAUSE 1.0          /* out of file descriptors: try again later */
#define IN_MAX (STATS_HEAD_MAX + STATS_BODY_MAX)

enum conn_state {
	CONN_HANDSHAKE,           /* TLS only */
	CONN_READING,
	CONN_WRITING,
	CONN_LINGERING,
};

struct conn {
	struct stats_server *server;
	int fd;
	struct ssl_st *ssl;       /* NULL: plain HTTP */
	ev_io io;
	ev_timer timer;
	enum conn_state state;
	char in[IN_MAX];
	size_t in_len, scanned;
	struct stats_buf out;
	size_t out_off;
	char peer[64];
	struct sockaddr_storage addr;  /* the client's, for STATS_CONN_PER_SOURCE */
	struct list_node node;    /* on server->conns */
};

struct stats_server {
	struct ev_loop *loop;
	const struct stats_sources *src;
	int fd;                   /* -1: no [stats] section */
	struct conf_addr bound;   /* what fd listens on */
	ev_io accept_io;
	ev_timer accept_pause;    /* out of descriptors, or of tokens */
	double tokens;            /* new connections allowed now, up to STATS_ACCEPT_BURST */
	double tokens_at;         /* ev_now() of the last refill */
	struct stats_page_counters counters;
	struct ssl_ctx_st *tls;
	struct list conns;        /* open connections, at most STATS_CONN_MAX */
	struct stats_snapshot *snap;
	struct log_ratelimit rl;
};

static void conn_close(struct conn *c)
{
	struct stats_server *s = c->server;

	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	if (c->ssl)
		stats_tls_free(c->ssl);
	close(c->fd);
	stats_buf_free(&c->out);
	list_remove(&s->conns, &c->node);
	free(c);
}

static void conn_wait(struct conn *c, int events)
{
	if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(c->server->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->server->loop, &c->io);
}

/* recv or SSL_read: >0 bytes, 0 EOF, -1 wait (events in *want), -2 error. */
static ssize_t conn_recv(struct conn *c, char *buf, size_t len, int *want)
{
	ssize_t n;
	size_t got;

	*want = EV_READ;
	if (c->ssl) {
		switch (stats_tls_read(c->ssl, buf, len, &got, want)) {
		case STATS_TLS_OK: return (ssize_t)got;
		case STATS_TLS_WANT: return -1;
		case STATS_TLS_EOF: return 0;
		default: return -2;
		}
	}
	n = recv(c->fd, buf, len, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
	return n;
}

static ssize_t conn_send(struct conn *c, const char *buf, size_t len, int *want)
{
	ssize_t n;
	size_t put;

	*want = EV_WRITE;
	if (c->ssl) {
		switch (stats_tls_write(c->ssl, buf, len, &put, want)) {
		case STATS_TLS_OK: return (ssize_t)put;
		case STATS_TLS_WANT: return -1;
		default: return -2;
		}
	}
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
	return n;
}

/* The answer is out: stop sending, drain what the client may still send. */
static void conn_linger(struct conn *c)
{
	if (c->ssl) {
		stats_tls_free(c->ssl);   /* close_notify, if it fits now */
		c->ssl = NULL;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGERING;
	ev_timer_stop(c->server->loop, &c->timer);
	ev_timer_set(&c->timer, LINGER_TIMEOUT, 0.);
	ev_timer_start(c->server->loop, &c->timer);
	conn_wait(c, EV_READ);
}

static void conn_write(struct conn *c)
{
	int want;

	while (c->out_off < c->out.len) {
		ssize_t n = conn_send(c, c->out.data + c->out_off, c->out.len - c->out_off, &want);
		if (n == -1) {
			conn_wait(c, want);
			return;
		}
		if (n < 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	conn_linger(c);
}

static void conn_answer(struct conn *c, enum stats_parse rc, const struct stats_request *req)
{
	struct stats_server *s = c->server;

	s->snap->page = s->counters;
	stats_route(s->src, s->snap, ev_now(s->loop), rc, req, c->peer, &c->out);
	if (c->out.failed) {
		conn_close(c);
		return;
	}
	c->state = CONN_WRITING;
	conn_write(c);
}

static void conn_read(struct conn *c)
{
	struct stats_request req;
	enum stats_parse rc;
	int want;

	for (;;) {
		ssize_t n = conn_recv(c, c->in + c->in_len, sizeof c->in - c->in_len, &want);
		if (n == -1) {
			conn_wait(c, want);
			return;
		}
		if (n <= 0) {             /* gone before asking anything whole */
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		rc = stats_http_parse(c->in, c->in_len, &c->scanned, &req);
		if (rc == STATS_PARSE_MORE && c->in_len == sizeof c->in) {
			/* The parser's limits make this unreachable; a full buffer must not hang. */
			rc = STATS_PARSE_ERROR;
			req.status = 431;
			req.error = "the request is too large";
		}
		if (rc != STATS_PARSE_MORE) {
			conn_answer(c, rc, &req);
			return;
		}
	}
}

static void conn_drain(struct conn *c)
{
	char sink[4096];

	for (;;) {
		ssize_t n = recv(c->fd, sink, sizeof sink, 0);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
}

static void conn_handshake(struct conn *c)
{
	int want;

	switch (stats_tls_handshake(c->ssl, &want)) {
	case STATS_TLS_OK:
		c->state = CONN_READING;
		conn_read(c);
		break;
	case STATS_TLS_WANT:
		conn_wait(c, want);
		break;
	default:
		c->server->counters.conns[STATS_CONN_TLS_FAILED]++;
		log_limited(&c->server->rl, LOG_LEVEL_INFO, "stats: TLS handshake with %s failed",
		            c->peer);
		conn_close(c);
	}
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	switch (c->state) {
	case CONN_HANDSHAKE: conn_handshake(c); break;
	case CONN_READING: conn_read(c); break;
	case CONN_WRITING: conn_write(c); break;
	case CONN_LINGERING: conn_drain(c); break;
	}
}

static void conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->state != CONN_LINGERING) {
		c->server->counters.conns[STATS_CONN_TIMED_OUT]++;
		log_limited(&c->server->rl, LOG_LEVEL_INFO, "stats: %s timed out after %.0f s",
		            c->peer, STATS_TIMEOUT);
	}
	conn_close(c);
}

static void format_peer(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		snprintf(buf, size, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		snprintf(buf, size, "%s:%u", host, ntohs(a->sin_port));
	}
}

static const char *const outcome_names[] = {
	[STATS_CONN_ACCEPTED] = "accepted",
	[STATS_CONN_REFUSED_BUSY] = "refused_busy",
	[STATS_CONN_REFUSED_SOURCE] = "refused_per_source",
	[STATS_CONN_TLS_FAILED] = "tls_failed",
	[STATS_CONN_TIMED_OUT] = "timed_out",
};

const char *stats_conn_outcome_name(enum stats_conn_outcome outcome)
{
	return (unsigned)outcome < STATS_CONN_OUTCOME_COUNT ? outcome_names[outcome] : "?";
}

/* Over a cap: a one-line 503, sent only if it fits the socket now. */
static void refuse_busy(struct stats_server *s, int fd, const char *peer,
                        enum stats_conn_outcome why)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain"
		"\r\nContent-Length: 36\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
		"503: too many stats connections now\n";

	s->counters.conns[why]++;
	if (!s->tls)
		(void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (why == STATS_CONN_REFUSED_SOURCE)
		log_limited(&s->rl, LOG_LEVEL_WARNING, "stats: %s refused: %d connections "
		            "from that address already", peer, STATS_CONN_PER_SOURCE);
	else
		log_limited(&s->rl, LOG_LEVEL_WARNING, "stats: %s refused: %d connections already",
		            peer, STATS_CONN_MAX);
	close(fd);
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		               &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static int conns_from(const struct stats_server *s, const struct sockaddr_storage *addr)
{
	int n = 0;

	for (const struct list_node *i = s->conns.first; i; i = i->next)
		n += same_address(&LIST_ITEM(i, const struct conn, node)->addr, addr);
	return n;
}

static void conn_new(struct stats_server *s, int fd, const char *peer,
                     const struct sockaddr_storage *addr)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c && s->tls && !(c->ssl = stats_tls_new(s->tls, fd))) {
		free(c);
		c = NULL;
	}
	if (!c) {
		log_limited(&s->rl, LOG_LEVEL_WARNING, "stats: out of memory for %s", peer);
		close(fd);
		return;
	}
	s->counters.conns[STATS_CONN_ACCEPTED]++;
	c->server = s;
	c->fd = fd;
	c->addr = *addr;
	c->state = c->ssl ? CONN_HANDSHAKE : CONN_READING;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	list_push_head(&s->conns, &c->node);
	ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timer, conn_timeout_cb, STATS_TIMEOUT, 0.);
	c->timer.data = c;
	ev_io_start(s->loop, &c->io);
	ev_timer_start(s->loop, &c->timer);
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stats_server *s = w->data;

	(void)revents;
	ev_io_start(loop, &s->accept_io);
}

static void accept_pause(struct stats_server *s, double seconds)
{
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_set(&s->accept_pause, seconds, 0.);
	ev_timer_start(s->loop, &s->accept_pause);
}

/* One token per new connection; false (and accepting paused) when none is left. */
static bool take_token(struct stats_server *s)
{
	double now = ev_now(s->loop);

	s->tokens += (now - s->tokens_at) * STATS_ACCEPT_RATE;
	if (s->tokens > STATS_ACCEPT_BURST)
		s->tokens = STATS_ACCEPT_BURST;
	s->tokens_at = now;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return true;
	}
	s->counters.rate_limited++;
	accept_pause(s, (1.0 - s->tokens) / STATS_ACCEPT_RATE);
	return false;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stats_server *s = w->data;

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPT_BURST && take_token(s); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		char peer[64];
		int fd = accept4(s->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			s->tokens += 1.0;     /* nobody took it */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_limited(&s->rl, LOG_LEVEL_WARNING, "stats: accept: %s; pausing",
				            strerror(errno));
				accept_pause(s, ACCEPT_PAUSE);
			}
			return;
		}
		format_peer(&ss, peer, sizeof peer);
		if (s->conns.count >= STATS_CONN_MAX)
			refuse_busy(s, fd, peer, STATS_CONN_REFUSED_BUSY);
		else if (conns_from(s, &ss) >= STATS_CONN_PER_SOURCE)
			refuse_busy(s, fd, peer, STATS_CONN_REFUSED_SOURCE);
		else
			conn_new(s, fd, peer, &ss);
	}
}

/* Its socket, its connections, and the one being told it is busy. */
int stats_fds_needed(const struct conf *conf)
{
	return conf->stats.enabled ? STATS_CONN_MAX + 2 : 0;
}

static int bind_socket(const struct conf_addr *a, char *err, size_t errlen)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char why[96];

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (sockopt_listening(fd, a->ss.ss_family, false, why, sizeof why) < 0) {
		snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s",
		         strchr(a->host, ':') ? "[" : "", a->host, strchr(a->host, ':') ? "]" : "",
		         (unsigned)a->port, why);
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s",
		         strchr(a->host, ':') ? "[" : "", a->host, strchr(a->host, ':') ? "]" : "",
		         (unsigned)a->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool bound_to(const struct stats_server *s, const struct conf_addr *a)
{
	return s->fd >= 0 && s->bound.len == a->len && memcmp(&s->bound.ss, &a->ss, a->len) == 0;
}

/* Replaces the listening socket with fd (-1: none). */
static void set_listener(struct stats_server *s, int fd, const struct conf_addr *a)
{
	if (s->fd >= 0) {
		ev_io_stop(s->loop, &s->accept_io);
		ev_timer_stop(s->loop, &s->accept_pause);
		close(s->fd);
	}
	s->fd = fd;
	if (fd < 0)
		return;
	s->bound = *a;
	ev_io_init(&s->accept_io, accept_cb, fd, EV_READ);
	s->accept_io.data = s;
	ev_io_start(s->loop, &s->accept_io);
}

/*
 * Makes the server what [stats] now says: its socket and its certificate.
 * What can fail is done first, so that on failure nothing has changed.
 */
static int apply(struct stats_server *s, char *err, size_t errlen)
{
	const struct conf_stats *st = &s->src->conf->stats;
	struct ssl_ctx_st *tls = NULL;
	int fd = -1;

	if (st->enabled && st->tls_cert_file[0] &&
	    !(tls = stats_tls_ctx_new(st->tls_cert_file, st->tls_key_file, err, errlen)))
		return -1;
	if (st->enabled && !s->snap && !(s->snap = malloc(sizeof *s->snap))) {
		snprintf(err, errlen, "stats: out of memory");
		goto fail;
	}
	if (st->enabled && !bound_to(s, &st->bind) && (fd = bind_socket(&st->bind, err, errlen)) < 0)
		goto fail;
	if (!st->enabled)
		set_listener(s, -1, NULL);
	else if (fd >= 0)
		set_listener(s, fd, &st->bind);
	if (s->tls)
		stats_tls_ctx_free(s->tls);  /* connections under way hold their own reference */
	s->tls = tls;
	if (st->enabled)
		log_notice("stats page on %s://%s%s%s:%u%s", tls ? "https" : "http",
		           strchr(st->bind.host, ':') ? "[" : "", st->bind.host,
		           strchr(st->bind.host, ':') ? "]" : "", (unsigned)st->bind.port, st->uri);
	return 0;
fail:
	if (tls)
		stats_tls_ctx_free(tls);
	return -1;
}

struct stats_server *stats_start(struct ev_loop *loop, const struct stats_sources *src,
                                 char *err, size_t errlen)
{
	struct stats_server *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errlen, "stats: out of memory");
		return NULL;
	}
	s->loop = loop;
	s->src = src;
	s->fd = -1;
	s->rl = (struct log_ratelimit){ .period = 10.0, .burst = 5 };
	s->tokens = STATS_ACCEPT_BURST;
	s->tokens_at = ev_now(loop);
	ev_timer_init(&s->accept_pause, accept_resume_cb, ACCEPT_PAUSE, 0.);
	s->accept_pause.data = s;
	if (apply(s, err, errlen) < 0) {
		stats_stop(s);
		return NULL;
	}
	return s;
}

int stats_reload(struct stats_server *s, char *err, size_t errlen)
{
	return s ? apply(s, err, errlen) : 0;
}

void stats_stop(struct stats_server *s)
{
	if (!s)
		return;
	while (!list_empty(&s->conns))
		conn_close(LIST_ITEM(s->conns.first, struct conn, node));
	set_listener(s, -1, NULL);
	ev_timer_stop(s->loop, &s->accept_pause);
	if (s->tls)
		stats_tls_ctx_free(s->tls);
	free(s->snap);
	free(s);
}
