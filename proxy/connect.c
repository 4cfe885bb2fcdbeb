/*
 * Connecting a session to its server: non-blocking connect bounded by
 * timeout_connect, and `retries` further attempts (on another server where the
 * balance mode allows) before the client is told why in PostgreSQL's protocol.
 * The client's first packet (read by login.c) is kept until a server has
 * accepted: relay.c sends it first, and a client that must be refused gets an
 * ErrorResponse that follows what it sent.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sockopt.h"
#include "proxy/internal.h"

static struct log_ratelimit connect_errors_rl = { .period = 10, .burst = 10 };

static const struct conf_member *member_conf(const struct session *s, int member)
{
	return &s->listener->conf->members[member];
}

static const struct conf_server *server_conf(const struct session *s, int member)
{
	return &s->proxy->conf->servers[member_conf(s, member)->server];
}

/*
 * A server connection gets TCP_NODELAY and the listener's keepalive. A
 * failure does not end the session (it relays as well without them) but is
 * said, rate-limited: without keepalive a dead server holds the session
 * until timeout_server.
 */
static void server_sockopts(struct session *s, int fd, int member)
{
	static struct log_ratelimit rl = { .period = 10, .burst = 5 };
	const struct proxy_listener *l = s->listener;
	char err[96];

	if (sockopt_session(fd, &l->conf->keepalive, err, sizeof err) < 0)
		log_limited(&rl, LOG_LEVEL_WARNING, "%s: %s: %s; the session goes on without it",
		            l->conf->name, server_conf(s, member)->name, err);
}

static void connect_failed(struct session *s, const char *why)
{
	struct proxy_listener *l = s->listener;
	int member = s->member;
	const struct conf_tunables *t = &member_conf(s, member)->t;
	char message[256];

	l->members[member].c.connect_errors++;
	log_limited(&connect_errors_rl, LOG_LEVEL_WARNING, "%s/%s: connect from %s failed: %s",
	            l->conf->name, server_conf(s, member)->name, s->client, why);
	snprintf(s->connect_error, sizeof s->connect_error, "%s", why);
	listener_suspect_server(l, member, "a connect failed");
	ev_io_stop(s->proxy->loop, &s->up.out);
	ev_timer_stop(s->proxy->loop, &s->timer);
	if (s->server_fd >= 0)
		close(s->server_fd);
	s->server_fd = -1;
	session_detach(s);

	if (s->attempts <= t->retries) {
		l->members[member].c.retries++;
		listener_dispatch(s);
	} else if (!listener_hold_for_retry(s)) {
		snprintf(message, sizeof message,
		         "pgfront: could not connect to server %s for %s: %s",
		         server_conf(s, member)->name, l->conf->name, why);
		session_refuse(s, PROXY_REFUSED_CONNECT_FAILED, message);
	}
	listener_slot_freed(l);
}

static void connected(struct session *s)
{
	struct proxy_member *m = &s->listener->members[s->member];

	ev_io_stop(s->proxy->loop, &s->up.out);
	ev_timer_stop(s->proxy->loop, &s->timer);
	m->c.sessions_total++;
	relay_prepare(s);
	threads_relay(s);
}

static void connect_ready_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;
	int error = 0;
	socklen_t len = sizeof error;

	(void)loop;
	(void)revents;
	if (getsockopt(s->server_fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error)
		connect_failed(s, strerror(error));
	else
		connected(s);
}

static void connect_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;
	char why[64];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof why, "timeout after %llu ms",
	         (unsigned long long)(member_conf(s, s->member)->t.timeout_connect_us / 1000));
	connect_failed(s, why);
}

void connect_start(struct session *s, int member)
{
	const struct conf_addr *addr = &server_conf(s, member)->address;
	int fd;

	session_attach(s, member);
	s->state = SESSION_CONNECTING;
	s->attempts++;
	s->tried |= 1u << member;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->server_fd = fd;
	if (fd < 0) {
		/* Counted and retried like a refused connection, though the cause is ours. */
		connect_failed(s, strerror(errno));
		return;
	}
	server_sockopts(s, fd, member);
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0) {
		connected(s);
		return;
	}
	if (errno != EINPROGRESS) {
		connect_failed(s, strerror(errno));
		return;
	}
	ev_io_init(&s->up.out, connect_ready_cb, fd, EV_WRITE);
	s->up.out.data = s;
	ev_io_start(s->proxy->loop, &s->up.out);
	ev_timer_init(&s->timer, connect_timeout_cb,
	              (double)member_conf(s, member)->t.timeout_connect_us / 1e6, 0.);
	s->timer.data = s;
	ev_timer_start(s->proxy->loop, &s->timer);
}
