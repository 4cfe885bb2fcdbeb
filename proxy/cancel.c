/*
 * A CancelRequest (16 bytes: length, code, backend pid, secret key) arrives
 * on a connection of its own and is not a session: it must reach the server
 * that runs the query it cancels. Round-robin would send it to any replica,
 * where it does nothing, so pgfront sends it to every server of the listener
 * that may run that query: each one UP, and each one that holds a session of
 * this listener (a server on its way out still runs its open sessions'
 * queries). PostgreSQL ignores a key it does not know, so the copies the
 * other servers get are harmless.
 *
 * One short connection per server: connect, write the 16 bytes, wait for
 * the server to close (it does once it has processed the request), close.
 * All of it without blocking, within the listener's timeout_connect, outside
 * maxconn and the queue (a cancel must not wait behind the clients held in a
 * switchover), at most CANCELS_MAX at once. The client's connection is closed
 * when every server is done: libpq waits for that close before it takes the
 * cancel as delivered, and a later query must not be the one cancelled.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/internal.h"

#define CANCEL_PACKET_LEN 16

static struct log_ratelimit cancel_rl = { .period = 10, .burst = 10 };

struct cancel;

struct cancel_target {
	struct cancel *cancel;
	int fd;                   /* -1 once done */
	ev_io io;                 /* writable while connecting, then readable */
	bool sent;
	char server[CONF_NAME_MAX];
};

struct cancel {
	struct proxy *proxy;
	struct list_node node;    /* on proxy->cancels */
	int client_fd;
	ev_timer timer;
	uint8_t packet[CANCEL_PACKET_LEN];
	int ntargets;
	int pending;              /* targets not done yet */
	int delivered;            /* targets that took the 16 bytes */
	char listener[CONF_NAME_MAX];
	char client[64];
	struct cancel_target targets[];
};

static void finish(struct cancel *c, const char *how)
{
	struct proxy *proxy = c->proxy;

	for (int i = 0; i < c->ntargets; i++) {
		struct cancel_target *t = &c->targets[i];

		if (t->fd < 0)
			continue;
		ev_io_stop(proxy->loop, &t->io);
		close(t->fd);
	}
	ev_timer_stop(proxy->loop, &c->timer);
	close(c->client_fd);
	list_remove(&proxy->cancels, &c->node);
	log_info("%s: %s: CancelRequest delivered to %d of %d server(s)%s", c->listener,
	         c->client, c->delivered, c->ntargets, how);
	free(c);
}

static void target_done(struct cancel_target *t, const char *error)
{
	struct cancel *c = t->cancel;

	if (error)
		log_limited(&cancel_rl, LOG_LEVEL_WARNING, "%s: %s: CancelRequest to %s failed: %s",
		            c->listener, c->client, t->server, error);
	ev_io_stop(c->proxy->loop, &t->io);
	close(t->fd);
	t->fd = -1;
	if (--c->pending == 0)
		finish(c, "");
}

static void send_packet(struct cancel_target *t)
{
	struct cancel *c = t->cancel;
	ssize_t n = send(t->fd, c->packet, sizeof c->packet, MSG_NOSIGNAL);

	/* A fresh connection's send buffer takes 16 bytes whole, or fails. */
	if (n != (ssize_t)sizeof c->packet) {
		target_done(t, n < 0 ? strerror(errno) : "short write");
		return;
	}
	t->sent = true;
	c->delivered++;
	ev_io_stop(c->proxy->loop, &t->io);
	ev_io_set(&t->io, t->fd, EV_READ);
	ev_io_start(c->proxy->loop, &t->io);
}

static void target_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct cancel_target *t = w->data;
	uint8_t scratch[64];
	int error = 0;
	socklen_t len = sizeof error;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (!t->sent) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
			error = errno;
		if (error)
			target_done(t, strerror(error));
		else
			send_packet(t);
		return;
	}
	/* The server says nothing to a CancelRequest: its close is the answer. */
	n = recv(t->fd, scratch, sizeof scratch, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		target_done(t, NULL);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cancel *c = w->data;

	(void)loop;
	(void)revents;
	finish(c, " (timed out waiting for the others)");
}

/* Starts one target; returns false if it is already done (failed). */
static bool target_start(struct cancel *c, struct cancel_target *t, const struct conf_addr *addr)
{
	const int one = 1;

	t->cancel = c;
	t->fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		log_limited(&cancel_rl, LOG_LEVEL_WARNING, "%s: %s: CancelRequest to %s failed: %s",
		            c->listener, c->client, t->server, strerror(errno));
		return false;
	}
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	ev_io_init(&t->io, target_cb, t->fd, EV_WRITE);
	t->io.data = t;
	if (connect(t->fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 &&
	    errno != EINPROGRESS) {
		log_limited(&cancel_rl, LOG_LEVEL_WARNING, "%s: %s: CancelRequest to %s failed: %s",
		            c->listener, c->client, t->server, strerror(errno));
		close(t->fd);
		t->fd = -1;
		return false;
	}
	/* Connected or not, writability says when to send (or why it failed). */
	ev_io_start(c->proxy->loop, &t->io);
	return true;
}

/* Where the query may run: UP servers (a MAINT one's frozen status claims
 * nothing), and any server holding a session of this listener. */
static int pick_targets(const struct proxy_listener *l, int *members)
{
	int n = 0;

	for (int m = 0; m < l->conf->nmembers; m++) {
		bool up = hc_is_up(l->proxy->health, l->index, m) &&
		          l->members[m].admin != PROXY_ADMIN_MAINT;

		if (up || l->members[m].c.sessions > 0)
			members[n++] = m;
	}
	return n;
}

static struct cancel *cancel_new(struct session *s, int ntargets)
{
	struct cancel *c;

	if (s->proxy->cancels.count >= CANCELS_MAX)
		return NULL;
	c = calloc(1, sizeof *c + (size_t)ntargets * sizeof c->targets[0]);
	if (!c)
		return NULL;
	c->proxy = s->proxy;
	c->client_fd = s->client_fd;
	memcpy(c->packet, s->login->packet, sizeof c->packet);
	snprintf(c->listener, sizeof c->listener, "%s", s->listener->conf->name);
	snprintf(c->client, sizeof c->client, "%s", s->client);
	return c;
}

/* Takes the session's client socket and packet; the session is gone after. */
void cancel_forward(struct session *s)
{
	struct proxy_listener *l = s->listener;
	const struct conf *conf = l->proxy->conf;
	int members[CONF_MAX_SERVERS];
	int n = pick_targets(l, members);
	struct cancel *c = n > 0 ? cancel_new(s, n) : NULL;

	if (!c) {
		log_limited(&cancel_rl, LOG_LEVEL_WARNING, "%s: %s: CancelRequest dropped: %s",
		            l->conf->name, s->client, n == 0 ? "no server UP" :
		            "too many being forwarded, or out of memory");
		close(s->client_fd);
		session_forget(s);
		return;
	}
	session_forget(s);
	l->c.cancels_forwarded++;
	list_push_tail(&c->proxy->cancels, &c->node);
	ev_timer_init(&c->timer, timeout_cb, (double)l->conf->t.timeout_connect_us / 1e6, 0.);
	c->timer.data = c;
	ev_timer_start(c->proxy->loop, &c->timer);
	c->ntargets = n;
	c->pending = n;
	for (int i = 0; i < n; i++) {
		const struct conf_server *srv = &conf->servers[l->conf->members[members[i]].server];
		struct cancel_target *t = &c->targets[i];

		snprintf(t->server, sizeof t->server, "%s", srv->name);
		t->fd = -1;
		if (!target_start(c, t, &srv->address))
			c->pending--;
	}
	if (c->pending == 0)
		finish(c, "");
}

void cancel_shutdown(struct proxy *proxy)
{
	while (!list_empty(&proxy->cancels))
		finish(LIST_ITEM(proxy->cancels.first, struct cancel, node), " (pgfront stopping)");
}
