/*
 * Listeners: binding, accepting, and the reaction to health changes
 * (shutdown-sessions, serving the queue, the two-primaries guard). Routing a
 * session and the queue are queue.c's.
 */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common/log.h"
#include "common/sockopt.h"
#include "proxy/internal.h"

#define ACCEPTS_PER_WAKEUP 64   /* then let other listeners and sessions run */
#define ACCEPT_PAUSE 0.1        /* seconds to wait when out of descriptors */

static struct log_ratelimit accept_errors_rl = { .period = 10, .burst = 5 };

static const char *const refusal_names[] = {
	[PROXY_REFUSED_NO_SERVER] = "no server",
	[PROXY_REFUSED_AMBIGUOUS] = "more than one primary",
	[PROXY_REFUSED_QUEUE_TIMEOUT] = "queue timeout",
	[PROXY_REFUSED_MAXCONN] = "maxconn",
	[PROXY_REFUSED_CONNECT_FAILED] = "connect failed",
	[PROXY_REFUSED_SHUTTING_DOWN] = "shutting down",
};

const char *proxy_refusal_name(enum proxy_refusal refusal)
{
	return refusal_names[refusal];
}

static const char *member_name(const struct proxy_listener *l, int member)
{
	return l->proxy->conf->servers[l->conf->members[member].server].name;
}

static void format_peer(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		port = ntohs(sin->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	}
}

/* The client logs in first (login.c): [global] maxconn is checked once its
 * first packet is whole, when it would take a server. Its socket has
 * TCP_NODELAY and the listener's keepalive already: Linux copies them from
 * the listening socket (listener_bind_addr). */
static void accept_client(struct proxy_listener *l, const struct conf_addr *bind, int fd,
                          const struct sockaddr_storage *ss)
{
	char client[64];
	struct session *s;

	format_peer(ss, client, sizeof client);
	s = session_new(l, bind, fd, client);
	if (!s) {
		close(fd);
		return;
	}
	login_start(s);
}

static void pause_accepting(struct proxy *proxy)
{
	for (int i = 0; i < proxy->nlisteners; i++)
		for (int b = 0; b < proxy->listeners[i]->conf->nbinds; b++)
			ev_io_stop(proxy->loop, &proxy->listeners[i]->accept_watchers[b]);
	ev_timer_start(proxy->loop, &proxy->accept_pause);
}

static void resume_accepting_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proxy *proxy = w->data;

	(void)revents;
	if (proxy->shutting_down || proxy->draining)
		return;
	for (int i = 0; i < proxy->nlisteners; i++)
		for (int b = 0; b < proxy->listeners[i]->conf->nbinds; b++)
			ev_io_start(loop, &proxy->listeners[i]->accept_watchers[b]);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_listener *l = w->data;

	(void)loop;
	(void)revents;
	for (int n = 0; n < ACCEPTS_PER_WAKEUP; n++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			ptrdiff_t b = w - l->accept_watchers;   /* which bind accepted it */

			assert(b >= 0 && b < l->conf->nbinds);
			accept_client(l, &l->conf->binds[b], fd, &ss);
			continue;
		}
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		log_limited(&accept_errors_rl, LOG_LEVEL_ERR, "%s: accept: %s",
		            l->conf->name, strerror(errno));
		/* Out of descriptors: the pending client would wake us at once again. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_accepting(l->proxy);
		return;
	}
}

/*
 * Every client socket of the listener gets TCP_NODELAY and its keepalive
 * from the listening socket: an accepted socket is a copy of it
 * (sk_clone_lock), with its keepalive timer running. That is five system
 * calls fewer per connection than setting them after accept. A client
 * already in the accept queue keeps what was set when its handshake
 * completed; a reload sets them again on the sockets it keeps (reload.c).
 */
int listener_bind_addr(const struct conf_addr *addr, const struct sockopt_keepalive *ka,
                       char *err, size_t errlen)
{
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A VIP that VRRP has not put on this host yet can still be bound (freebind). */
	if (sockopt_listening(fd, addr->ss.ss_family, true, err, errlen) < 0 ||
	    sockopt_session(fd, ka, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int listener_bind(struct proxy *proxy, int index, char *err, size_t errlen)
{
	struct proxy_listener *l = calloc(1, sizeof *l);
	char why[128];

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	proxy->listeners[index] = l;
	for (int b = 0; b < CONF_MAX_BINDS; b++)
		l->fds[b] = -1;
	l->proxy = proxy;
	l->index = index;
	l->conf = &proxy->conf->listeners[index];
	queue_init(l);
	for (int b = 0; b < l->conf->nbinds; b++) {
		const struct conf_addr *addr = &l->conf->binds[b];

		l->fds[b] = listener_bind_addr(addr, &l->conf->keepalive, why, sizeof why);
		if (l->fds[b] < 0) {
			snprintf(err, errlen, "cannot bind %s to %s:%u: %s", l->conf->name,
			         addr->host, addr->port, why);
			return -1;
		}
	}
	listener_init_watchers(l);
	return 0;
}

void listener_init_watchers(struct proxy_listener *l)
{
	for (int b = 0; b < l->conf->nbinds; b++) {
		ev_io_init(&l->accept_watchers[b], accept_cb, l->fds[b], EV_READ);
		l->accept_watchers[b].data = l;
	}
}

void listener_start_accepting(struct proxy_listener *l)
{
	for (int b = 0; b < l->conf->nbinds; b++)
		if (l->fds[b] >= 0)
			ev_io_start(l->proxy->loop, &l->accept_watchers[b]);
}

void listener_close_binds(struct proxy_listener *l)
{
	for (int b = 0; b < CONF_MAX_BINDS; b++) {
		if (l->fds[b] < 0)
			continue;
		ev_io_stop(l->proxy->loop, &l->accept_watchers[b]);
		close(l->fds[b]);
		l->fds[b] = -1;
	}
}

/* Its sessions are gone; what is left are its watchers. */
void listener_free(struct proxy_listener *l)
{
	if (!l)
		return;
	assert(!queue_first(l));
	for (struct list_node *n = l->proxy->logins.first; n; n = n->next)
		assert(LIST_ITEM(n, struct login, node)->session->listener != l);
	for (int m = 0; m < CONF_MAX_SERVERS; m++)
		assert(list_empty(&l->members[m].sessions));
	queue_stop(l);
	listener_close_binds(l);
	free(l);
}

static void close_listeners(struct proxy *proxy)
{
	for (int i = 0; i < proxy->nlisteners; i++)
		if (proxy->listeners[i])
			listener_close_binds(proxy->listeners[i]);
}

struct proxy *proxy_create(struct ev_loop *loop, const struct conf *conf,
                           char *err, size_t errlen)
{
	struct proxy *proxy = calloc(1, sizeof *proxy);

	if (!proxy) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	proxy->loop = loop;
	proxy->conf = conf;
	proxy->session_limit = -1;
	proxy->main_rl.loop = loop;
	ev_timer_init(&proxy->accept_pause, resume_accepting_cb, ACCEPT_PAUSE, 0.);
	proxy->accept_pause.data = proxy;
	if (queue_open(proxy, err, errlen) < 0) {
		free(proxy);
		return NULL;
	}
	for (int i = 0; i < conf->nlisteners; i++) {
		proxy->nlisteners = i + 1;
		if (listener_bind(proxy, i, err, errlen) < 0) {
			proxy_destroy(proxy);
			return NULL;
		}
	}
	return proxy;
}

/* [global] threads, or one loop per CPU this process may run on. */
int proxy_threads_wanted(const struct conf *conf)
{
	cpu_set_t cpus;
	int n = conf->global.threads;

	if (n == 0 && sched_getaffinity(0, sizeof cpus, &cpus) == 0)
		n = CPU_COUNT(&cpus);
	if (n < 1)
		n = 1;
	return n < CONF_MAX_THREADS ? n : CONF_MAX_THREADS;
}

void proxy_start(struct proxy *proxy, struct hc_engine *health)
{
	char err[128];
	int wanted = proxy_threads_wanted(proxy->conf);

	proxy->health = health;
	if (threads_start(proxy, wanted, err, sizeof err) < 0)
		log_err("%s: relaying on %d thread(s) instead of %d", err, proxy->nthreads, wanted);
	log_notice("relaying on %d thread(s)%s", proxy->nthreads,
	           proxy->conf->global.threads ? "" : ", one per CPU");
	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];

		listener_start_accepting(l);
		log_notice("%s: listening on %d address(es), balance %s", l->conf->name,
		           l->conf->nbinds, conf_balance_name(l->conf->balance));
	}
}

static void shutdown_member_sessions(struct proxy_listener *l, int member)
{
	struct proxy_member *m = &l->members[member];
	int closed = 0;

	/* All back from the relay threads in one round trip; then session_end()
	 * unlinks the head; a DOWN server never gets a new one. */
	threads_reclaim_list(l->proxy, &m->sessions, offsetof(struct session, member_node),
	                     NULL, NULL);
	while (!list_empty(&m->sessions)) {
		m->c.killed_on_down++;
		session_end(member_first(m), SESSION_END_SERVER_DOWN);
		closed++;
	}
	if (closed)
		log_notice("%s/%s: closed %d session(s): server marked down",
		           l->conf->name, member_name(l, member), closed);
}

/* balance single: say once when a second primary appears, and once when it is gone. */
void listener_track_primaries(struct proxy_listener *l)
{
	char names[256] = "";
	int up = 0;

	for (int i = 0; i < l->conf->nmembers; i++) {
		/* MAINT: out of routing, and its frozen status claims nothing. */
		if (!hc_is_up(l->proxy->health, l->index, i) ||
		    l->members[i].admin == PROXY_ADMIN_MAINT)
			continue;
		up++;
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
		         up > 1 ? ", " : "", member_name(l, i));
	}
	if (up > 1 && !l->ambiguous)
		log_err("%s: %d servers claim to be primary (%s): new sessions are refused "
		        "until exactly one remains", l->conf->name, up, names);
	else if (up <= 1 && l->ambiguous)
		log_notice("%s: one primary again (%s)", l->conf->name, up ? names : "none up");
	l->ambiguous = up > 1;
}

/*
 * A write port's server refused a connection, or ended a session on its
 * own: the primary may be leaving, so the health engine looks at once
 * instead of at its next check.
 */
void listener_suspect_server(struct proxy_listener *l, int member, const char *why)
{
	if (l->conf->balance == CONF_BALANCE_SINGLE && l->proxy->health)
		hc_suspect(l->proxy->health, l->index, member, why);
}

void proxy_health_changed(void *arg, int listener, int member, const struct hc_change *change)
{
	struct proxy *proxy = arg;
	struct proxy_listener *l = proxy->listeners[listener];

	if (l->conf->balance == CONF_BALANCE_SINGLE)
		listener_track_primaries(l);
	/* A DOWN on a lone answer only stops new sessions: the open ones go
	 * once it is certain (the health engine says when). */
	if (change->concluded &&
	    l->conf->members[member].t.on_marked_down == CONF_ON_DOWN_SHUTDOWN_SESSIONS)
		shutdown_member_sessions(l, member);
	/* A server UP, or a second primary gone: held clients may go now. */
	listener_slot_freed(l);
}

int proxy_stop_accepting(struct proxy *proxy)
{
	proxy->draining = true;
	ev_timer_stop(proxy->loop, &proxy->accept_pause);
	close_listeners(proxy);
	return proxy->connections;
}

void proxy_shutdown(struct proxy *proxy)
{
	proxy->shutting_down = true;
	ev_timer_stop(proxy->loop, &proxy->accept_pause);
	close_listeners(proxy);
	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];

		if (!l)
			continue;
		while (queue_first(l))
			session_end(queue_first(l), SESSION_END_SHUTDOWN);
		for (int m = 0; m < l->conf->nmembers; m++) {
			struct list *sessions = &l->members[m].sessions;

			threads_reclaim_list(proxy, sessions, offsetof(struct session, member_node),
			                     NULL, NULL);
			while (!list_empty(sessions))
				session_end(member_first(&l->members[m]), SESSION_END_SHUTDOWN);
		}
	}
	login_shutdown(proxy);
	cancel_shutdown(proxy);
	refuse_shutdown(proxy);
}

void proxy_destroy(struct proxy *proxy)
{
	if (!proxy)
		return;
	if (!proxy->shutting_down)
		proxy_shutdown(proxy);
	threads_stop(proxy);
	for (int i = 0; i < proxy->nlisteners; i++)
		listener_free(proxy->listeners[i]);
	queue_close(proxy);
	relay_free_bufs(&proxy->main_rl);
	free(proxy);
}

int proxy_current_connections(const struct proxy *proxy)
{
	return proxy->connections;
}

int proxy_pending_clients(const struct proxy *proxy)
{
	return (int)(proxy->logins.count + proxy->cancels.count);
}

/* The bytes of sessions still relaying go into the counters as they are read. */
static void fold_member(struct proxy_member *m)
{
	for (struct list_node *n = m->sessions.first; n; n = n->next)
		session_fold_bytes(LIST_ITEM(n, struct session, member_node));
}

const struct proxy_listener_counters *proxy_listener_counters(const struct proxy *proxy,
                                                              int listener)
{
	struct proxy_listener *l = proxy->listeners[listener];

	for (int m = 0; m < l->conf->nmembers; m++)
		fold_member(&l->members[m]);
	return &l->c;
}

const struct proxy_server_counters *proxy_server_counters(const struct proxy *proxy,
                                                          int listener, int member)
{
	struct proxy_member *m = &proxy->listeners[listener]->members[member];

	fold_member(m);
	return &m->c;
}
