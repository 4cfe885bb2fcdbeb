/*
 * The login phase: a client gets a server only once its whole first packet
 * has arrived — a StartupMessage, an SSLRequest or GSSENCRequest, a
 * CancelRequest, or the first record of a TLS ClientHello (PostgreSQL 17's
 * sslnegotiation=direct). PostgreSQL forks a backend per connection before
 * it reads anything, so a proxy that connects at accept lets every silent
 * TCP connection hold a backend until authentication_timeout; here it holds
 * a descriptor and a few hundred bytes, for at most timeout_login.
 *
 * The packet is read without blocking into the session's struct login (the
 * header, then the whole packet, at most PG_STARTUP_MAX_LEN bytes); relay.c
 * writes it to the server once connected and frees it. A session logging in
 * is on proxy->logins and on nothing else: no server registry, no queue, no
 * maxconn. The list is bounded by the descriptors the sessions leave: each
 * client of proxy_client_limit() ([global] maxconn, or less if the open
 * files limit says so) is planned two (daemon/fdlimit.c), a session uses
 * two and a client logging in one. When it is full the oldest login goes (a
 * real client sends its packet within a round trip, so the oldest is a
 * silent one), which keeps descriptors and memory bounded whatever arrives.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/internal.h"

static struct log_ratelimit login_rl = { .period = 10, .burst = 10 };

static void login_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;
	const struct proxy_listener *l = s->listener;

	(void)loop;
	(void)revents;
	s->listener->c.login_timeouts++;
	log_limited(&login_rl, LOG_LEVEL_INFO, "%s: %s: no startup packet within %.3f s "
	            "(%u bytes of it): closed", l->conf->name, s->client,
	            (double)l->conf->t.timeout_login_us / 1e6, s->login->have);
	session_end(s, SESSION_END_CLIENT_TIMEOUT);
}

/* Not PostgreSQL, nor TLS: say so in PostgreSQL's protocol (08P01) and close. */
static void invalid(struct session *s)
{
	s->listener->c.login_invalid++;
	log_limited(&login_rl, LOG_LEVEL_WARNING, "%s: %s: not a PostgreSQL startup packet "
	            "(first bytes %02x %02x %02x %02x): closed", s->listener->conf->name,
	            s->client, s->login->head[0], s->login->head[1], s->login->head[2],
	            s->login->head[3]);
	session_tell(s, "08P01", "pgfront: invalid startup packet");
}

/* Enough of the header to know the packet's length? Returns false if not
 * yet, or if the session was ended. */
static bool classify(struct session *s)
{
	struct login *in = s->login;
	uint32_t len;
	enum pg_startup_kind kind = pg_first_packet(in->head, in->have, &len);

	if (kind == PG_STARTUP_INCOMPLETE) {
		assert(in->have < sizeof in->head);   /* a whole header always classifies */
		return false;
	}
	if (kind == PG_STARTUP_INVALID) {
		invalid(s);
		return false;
	}
	/* Every valid first packet is at least a header long (TLS: 5 + 4). */
	assert(len >= in->have && len <= PG_STARTUP_MAX_LEN);
	in->packet = malloc(len);
	if (!in->packet) {
		log_limited(&login_rl, LOG_LEVEL_ERR, "%s: %s: out of memory for its startup "
		            "packet: closed", s->listener->conf->name, s->client);
		session_end(s, SESSION_END_CLIENT_ERROR);
		return false;
	}
	memcpy(in->packet, in->head, in->have);
	in->len = len;
	in->kind = kind;
	return true;
}

/* The whole first packet is here. */
static void complete(struct session *s)
{
	struct proxy *proxy = s->proxy;
	char message[160];

	if (s->login->kind == PG_STARTUP_CANCEL) {
		cancel_forward(s);
		return;
	}
	if (proxy->connections >= proxy_client_limit(proxy)) {
		if (proxy_client_limit(proxy) < proxy->conf->global.maxconn)
			snprintf(message, sizeof message, "pgfront: too many connections (%d: the "
			         "most pgfront's open files limit allows)", proxy_client_limit(proxy));
		else
			snprintf(message, sizeof message,
			         "pgfront: too many connections (global maxconn %d reached)",
			         proxy->conf->global.maxconn);
		session_refuse(s, PROXY_REFUSED_MAXCONN, message);
		return;
	}
	session_admit(s);
	listener_dispatch(s);
}

/* recv's three outcomes, then as much of the packet as it brought. Once the
 * header gives the length, the rest is read at once: a client sends its
 * packet in one write, and another trip through the loop would cost a
 * wakeup per connection. */
static void login_readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;
	struct login *in = s->login;

	(void)loop;
	(void)revents;
	for (;;) {
		uint8_t *at = in->packet ? in->packet + in->have : in->head + in->have;
		size_t want = in->packet ? in->len - in->have : sizeof in->head - in->have;
		ssize_t n = recv(s->client_fd, at, want, 0);

		if (n == 0) {
			session_end(s, SESSION_END_CLIENT_CLOSED);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				session_end(s, SESSION_END_CLIENT_ERROR);
			return;
		}
		in->have += (uint32_t)n;
		if (!in->packet && !classify(s))
			return;
		if (in->have == in->len) {
			complete(s);
			return;
		}
	}
}

/* What the sessions leave of the two descriptors planned per client. */
static size_t logins_max(const struct proxy *proxy)
{
	int free_clients = proxy_client_limit(proxy) - proxy->connections;

	return free_clients > 0 ? 2 * (size_t)free_clients : 0;
}

static void drop_oldest(struct proxy *proxy)
{
	struct session *s = LIST_ITEM(proxy->logins.first, struct login, node)->session;

	s->listener->c.login_dropped++;
	log_limited(&login_rl, LOG_LEVEL_WARNING, "%s: %s: closed after %.3f s without its "
	            "startup packet, to make room: %zu clients are logging in, %d sessions",
	            s->listener->conf->name, s->client, ev_now(proxy->loop) - s->started,
	            proxy->logins.count, proxy->connections);
	session_end(s, SESSION_END_CLIENT_TIMEOUT);
}

void login_start(struct session *s)
{
	struct proxy *proxy = s->proxy;
	struct proxy_listener *l = s->listener;

	assert(s->state == SESSION_LOGIN);
	/* At the limit, even the last one goes: this one is kept whatever, and
	 * is refused in PostgreSQL's protocol if no session slot frees first. */
	while (!list_empty(&proxy->logins) && proxy->logins.count >= logins_max(proxy))
		drop_oldest(proxy);
	list_push_tail(&proxy->logins, &s->login->node);
	l->c.logins++;
	ev_io_init(&s->up.in, login_readable_cb, s->client_fd, EV_READ);
	s->up.in.data = s;
	ev_io_start(proxy->loop, &s->up.in);
	ev_timer_init(&s->timer, login_timeout_cb, (double)l->conf->t.timeout_login_us / 1e6, 0.);
	s->timer.data = s;
	ev_timer_start(proxy->loop, &s->timer);
}

/* Off the login list; the caller admits, hands over or ends the session. */
void login_leave(struct session *s)
{
	struct proxy *proxy = s->proxy;

	assert(s->state == SESSION_LOGIN);
	list_remove(&proxy->logins, &s->login->node);
	s->listener->c.logins--;
	ev_io_stop(proxy->loop, &s->up.in);
	ev_timer_stop(proxy->loop, &s->timer);
}

/* Its listener is going (reload): so are the clients still logging in to it. */
void login_close_listener(struct proxy *proxy, const struct proxy_listener *l,
                          enum session_end why)
{
	struct list_node *n = proxy->logins.first;

	while (n) {
		struct session *s = LIST_ITEM(n, struct login, node)->session;

		n = n->next;    /* ending s unlinks it, and nothing else */
		if (s->listener == l)
			session_end(s, why);
	}
}

void login_shutdown(struct proxy *proxy)
{
	while (!list_empty(&proxy->logins))
		session_end(LIST_ITEM(proxy->logins.first, struct login, node)->session,
		            SESSION_END_SHUTDOWN);
}

/* Its packet has gone to the server (or it never will): nothing is kept. */
void login_free(struct session *s)
{
	if (!s->login)
		return;
	assert(!list_linked(&s->login->node));
	free(s->login->packet);
	free(s->login);
	s->login = NULL;
}
