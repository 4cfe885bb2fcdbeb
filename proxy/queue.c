/*
 * Routing a session, and the listener's queue of sessions that must wait.
 *
 * A session that finds every server at maxconn waits in its listener's queue
 * (FIFO, up to timeout_queue). With hold_when_down, one that finds no server
 * at all (none UP, or two primaries) waits there too, up to hold_when_down,
 * and one whose connects all failed waits RETRY_PAUSE on the paused list and
 * tries again. All of them count as queued.
 *
 * The queue is served from an ev_idle (serve_cb), never from the code that
 * freed a slot: a session that ends, a connect that fails (synchronously too,
 * as on EMFILE or ENETUNREACH), a server that comes UP only schedule it. So
 * no teardown path re-enters the queue, and thousands of queued clients whose
 * connects fail on the spot cost no stack.
 *
 * Queued clients are watched for hangups, so that one that gave up is dropped
 * at once instead of getting a server connection when a primary returns. They
 * have usually sent their startup packet, so readability means nothing and
 * libev cannot ask for more: their sockets sit in an epoll set of our own,
 * registered for EPOLLRDHUP alone, and libev watches that set's descriptor.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/balance.h"
#include "proxy/internal.h"

#define RETRY_PAUSE 0.25        /* seconds between held connection retries */
#define SERVE_PER_WAKEUP 256    /* queued sessions started per loop iteration at most */
#define GONE_PER_WAKEUP 64      /* hangups handled per loop iteration at most */

static struct log_ratelimit ambiguous_rl = { .period = 10, .burst = 5 };

static enum balance_verdict pick(struct proxy_listener *l, uint32_t exclude, int *picked)
{
	struct balance_member snapshot[CONF_MAX_SERVERS];
	const struct conf_listener *cl = l->conf;

	for (int i = 0; i < cl->nmembers; i++) {
		enum proxy_admin admin = l->members[i].admin;

		/* MAINT: the operator took it out, its checks are paused and stale. */
		snapshot[i].up = hc_is_up(l->proxy->health, l->index, i) && admin != PROXY_ADMIN_MAINT;
		snapshot[i].drained = admin == PROXY_ADMIN_DRAIN;
		snapshot[i].backup = cl->members[i].backup;
		snapshot[i].sessions = l->members[i].c.sessions;
		snapshot[i].maxconn = cl->members[i].t.maxconn;
	}
	return balance_pick(cl->balance, snapshot, cl->nmembers, exclude, &l->cursor, picked);
}

/* Tells the client why no server took it, as things stand now. */
static void refuse_for(struct session *s, enum balance_verdict verdict)
{
	struct proxy_listener *l = s->listener;
	char message[200];

	switch (verdict) {
	case BALANCE_AMBIGUOUS:
		log_limited(&ambiguous_rl, LOG_LEVEL_ERR,
		            "%s: refused %s: more than one server claims to be primary",
		            l->conf->name, s->client);
		snprintf(message, sizeof message,
		         "pgfront: more than one server claims to be primary for %s; "
		         "new sessions are refused until exactly one remains", l->conf->name);
		session_refuse(s, PROXY_REFUSED_AMBIGUOUS, message);
		return;
	case BALANCE_NONE_UP:
		snprintf(message, sizeof message, "pgfront: no server available for %s",
		         l->conf->name);
		session_refuse(s, PROXY_REFUSED_NO_SERVER, message);
		return;
	case BALANCE_FULL:
	case BALANCE_PICKED: /* a slot came free this very moment: the queue is served next */
		snprintf(message, sizeof message,
		         "pgfront: timed out waiting for a free server slot for %s", l->conf->name);
		session_refuse(s, PROXY_REFUSED_QUEUE_TIMEOUT, message);
		return;
	}
}

/* Whether a queued client has closed (or reset) its side: data it sent does not count. */
static bool client_gone(const struct session *s)
{
	struct pollfd p = { .fd = s->client_fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* The client gave up while it waited: no server is tried for it. */
static void abandon(struct session *s)
{
	s->listener->c.abandoned++;
	session_end(s, SESSION_END_CLIENT_CLOSED);
}

static void gone_watch(struct session *s)
{
	struct proxy *proxy = s->proxy;
	struct epoll_event ev = { .events = EPOLLRDHUP, .data.ptr = s };

	if (epoll_ctl(proxy->gone_fd, EPOLL_CTL_ADD, s->client_fd, &ev) < 0)
		return;     /* unwatched: still checked before a server is tried for it */
	s->gone_watched = true;
	if (proxy->gone_watched++ == 0)
		ev_io_start(proxy->loop, &proxy->gone_watcher);
}

static void gone_unwatch(struct session *s)
{
	struct proxy *proxy = s->proxy;

	if (!s->gone_watched)
		return;
	epoll_ctl(proxy->gone_fd, EPOLL_CTL_DEL, s->client_fd, NULL);
	s->gone_watched = false;
	if (--proxy->gone_watched == 0)
		ev_io_stop(proxy->loop, &proxy->gone_watcher);
}

/* Ending a session frees no other one (the queue is served later), so every
 * pointer in the batch stays valid while the batch is handled. */
static void gone_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy *proxy = w->data;
	struct epoll_event events[GONE_PER_WAKEUP];
	int n = epoll_wait(proxy->gone_fd, events, GONE_PER_WAKEUP, 0);

	(void)loop;
	(void)revents;
	for (int i = 0; i < n; i++)
		abandon(events[i].data.ptr);
}

int queue_open(struct proxy *proxy, char *err, size_t errlen)
{
	proxy->gone_fd = epoll_create1(EPOLL_CLOEXEC);
	if (proxy->gone_fd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	ev_io_init(&proxy->gone_watcher, gone_cb, proxy->gone_fd, EV_READ);
	proxy->gone_watcher.data = proxy;
	return 0;
}

void queue_close(struct proxy *proxy)
{
	assert(proxy->gone_watched == 0);
	if (proxy->gone_fd >= 0)
		close(proxy->gone_fd);
	proxy->gone_fd = -1;
}

static struct list *wait_list(struct session *s)
{
	return s->retry_paused ? &s->listener->paused : &s->listener->queue;
}

static void check_count(const struct proxy_listener *l)
{
	assert(l->c.queued >= 0 && (size_t)l->c.queued == l->queue.count + l->paused.count);
	(void)l;
}

static void queue_enter(struct session *s, bool paused, double timeout,
                        void (*cb)(struct ev_loop *, ev_timer *, int))
{
	struct proxy_listener *l = s->listener;

	assert(s->state == SESSION_ROUTING && s->member < 0);
	s->state = SESSION_QUEUED;
	s->retry_paused = paused;
	list_push_tail(wait_list(s), &s->queue_node);
	if (++l->c.queued > l->c.queued_max)
		l->c.queued_max = l->c.queued;
	check_count(l);
	ev_timer_stop(l->proxy->loop, &s->timer);
	ev_timer_init(&s->timer, cb, timeout, 0.);
	ev_timer_start(l->proxy->loop, &s->timer);
	gone_watch(s);
}

/* Out of the queue (or the paused list): the caller routes, refuses or ends it. */
void queue_leave(struct session *s)
{
	struct proxy_listener *l = s->listener;

	assert(s->state == SESSION_QUEUED);
	list_remove(wait_list(s), &s->queue_node);
	s->state = SESSION_ROUTING;
	s->retry_paused = false;
	l->c.queued--;
	check_count(l);
	ev_timer_stop(l->proxy->loop, &s->timer);
	gone_unwatch(s);
}

/* The first waiting session, queued or paused: for closing them all. */
struct session *queue_first(const struct proxy_listener *l)
{
	struct list_node *n = l->queue.first ? l->queue.first : l->paused.first;

	return LIST_ITEM(n, struct session, queue_node);
}

static void queue_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;
	int member;

	(void)loop;
	(void)revents;
	refuse_for(s, pick(s->listener, 0, &member));
}

static void retry_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	queue_leave(s);
	if (client_gone(s))
		abandon(s);
	else
		listener_dispatch(s);
}

/* Seconds this client may still be held waiting for a server (hold_when_down). */
static double hold_left(const struct session *s)
{
	const struct proxy_listener *l = s->listener;

	if (!l->conf->t.hold_when_down_us || l->proxy->shutting_down)
		return 0;
	return s->started + (double)l->conf->t.hold_when_down_us / 1e6 - ev_now(l->proxy->loop);
}

/*
 * Routes a new (or retrying) session: connect, queue, or tell the client why.
 * With hold_when_down, a client that finds no server waits in the queue for
 * one (a switchover leaves the write port without a primary for a second or
 * two) and is refused only when the hold runs out.
 */
void listener_dispatch(struct session *s)
{
	struct proxy_listener *l = s->listener;
	int member = -1;
	enum balance_verdict verdict = pick(l, s->tried, &member);

	assert(s->state == SESSION_ROUTING);
	switch (verdict) {
	case BALANCE_PICKED:
		connect_start(s, member);
		return;
	case BALANCE_FULL:
		queue_enter(s, false, (double)l->conf->t.timeout_queue_us / 1e6, queue_timeout_cb);
		return;
	case BALANCE_AMBIGUOUS:
	case BALANCE_NONE_UP:
		if (hold_left(s) > 0)
			queue_enter(s, false, hold_left(s), queue_timeout_cb);
		else
			refuse_for(s, verdict);
		return;
	}
}

/*
 * Every attempt on the chosen server failed. Mid-switchover, the old primary
 * still passes its check for a moment while PostgreSQL restarts and refuses
 * connections: within hold_when_down, try again shortly, by when the checks
 * may have found the new primary. Returns false if the client must be told.
 */
bool listener_hold_for_retry(struct session *s)
{
	double left = hold_left(s);

	if (left <= 0)
		return false;
	s->attempts = 0;
	s->tried = 0;
	queue_enter(s, true, left < RETRY_PAUSE ? left : RETRY_PAUSE, retry_pause_cb);
	return true;
}

/*
 * Serves the queue in order while a server has room, a bounded number per
 * loop iteration. An ev_idle at EV_MAXPRI: idle watchers run only when no
 * watcher of their priority or above is pending, so at the default priority
 * a busy proxy (always some I/O pending) would starve its queue; nothing else
 * runs at EV_MAXPRI, so this one runs on every iteration while it is active,
 * and while it is active the loop does not block in epoll_wait. (An ev_check
 * would need an ev_prepare or ev_idle beside it to the same end.)
 */
static void serve_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct proxy_listener *l = w->data;

	(void)revents;
	for (int n = 0; n < SERVE_PER_WAKEUP; n++) {
		struct session *s = LIST_ITEM(l->queue.first, struct session, queue_node);
		int member;

		if (!s || l->proxy->shutting_down || pick(l, s->tried, &member) != BALANCE_PICKED) {
			ev_idle_stop(loop, w);
			return;
		}
		queue_leave(s);
		if (client_gone(s))
			abandon(s);
		else
			connect_start(s, member);
	}
}

void queue_init(struct proxy_listener *l)
{
	ev_idle_init(&l->serve, serve_cb);
	ev_set_priority(&l->serve, EV_MAXPRI);
	l->serve.data = l;
}

void queue_stop(struct proxy_listener *l)
{
	ev_idle_stop(l->proxy->loop, &l->serve);
}

/* A server slot or a server came free: serve the queue soon, not from here. */
void listener_slot_freed(struct proxy_listener *l)
{
	if (!list_empty(&l->queue) && !l->proxy->shutting_down)
		ev_idle_start(l->proxy->loop, &l->serve);
}
