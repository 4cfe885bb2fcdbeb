/*
 * Relay threads: [global] threads = N relays sessions on N loops, the main
 * loop and N - 1 threads of their own (docs/threads.md has the whole model).
 *
 * The main thread keeps everything that decides: it accepts, reads first
 * packets, routes, queues and connects, runs the health checks, VRRP and
 * the stats page, and owns every counter and list. So [global] maxconn, each
 * server's maxconn and the queue stay exact with no lock at all. A session
 * that has its server relays on the main loop first; once it has lasted
 * SETTLE_SECONDS, it is handed to the least busy relay thread while the main
 * loop relays more sessions than that thread (spread_cb). A relay thread then
 * owns its relaying state (watchers, buffers, idle timer) and nothing else.
 * It comes back to the main thread to end: when it ends there
 * (threads_ended) or when the main thread takes it back (threads_reclaim: its
 * server marked down, a kill, a reload, a VIP gone, shutdown).
 *
 * A session's moves between the two, each under its thread's mutex:
 *
 *   main    NONE    -> HANDED   onto the inbox             spread_cb
 *   thread  HANDED  -> RUNNING  relay_start                wake_cb
 *   thread  RUNNING -> BACK     onto the outbox            threads_ended
 *   main    RUNNING -> RECLAIM  onto the inbox, then waits threads_reclaim
 *   thread  RECLAIM -> BACK     let_go, onto the outbox    wake_cb, threads_ended
 *   main    HANDED  -> NONE, BACK -> NONE  off the inbox or outbox
 *
 * Why it cannot deadlock: the main thread holds one thread's mutex at a time
 * and waits only for that thread's condition; a relay thread never waits for
 * the main thread, holds only its own mutex, and never while relaying. The
 * longest wait is what is left of the relay thread's current callback.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/internal.h"

/*
 * How long a new session relays on the main loop before it may move. Most
 * sessions that end sooner are a connection per transaction: handing those
 * over would cost each two cross-thread wakeups and more epoll changes
 * (measured in docs/threads.md: two loops then cost more CPU per connection
 * than one), for no gain.
 * Sessions that last (pools, applications) move after this once.
 */
#define SETTLE_SECONDS 0.1

struct relay_thread {
	struct relay_loop rl;     /* first: a session's s->rl while it is handed here */
	struct proxy *proxy;
	pthread_t id;
	ev_async wake;            /* news on the inbox, or stop */
	pthread_mutex_t mu;       /* guards the rest, and its sessions' xfer fields */
	pthread_cond_t back;      /* a session the main thread asked for is back */
	struct list inbox;        /* HANDED and RECLAIM sessions, by xfer_node */
	struct list outbox;       /* BACK sessions, by xfer_node */
	struct list suspects;     /* by suspect_node: their server closed first */
	int reclaiming;           /* RECLAIM sessions not back yet */
	bool stop;
};

static struct relay_thread *thread_of(const struct session *s)
{
	assert(s->rl->index > 0);
	return (struct relay_thread *)(void *)s->rl;
}

/*
 * Unlocked, on the relay thread: it stops relaying s and closes its two
 * sockets before it gives s back. The sockets are the thread's while s is:
 * its loop may still hold them in its epoll set (libev removes an fd lazily,
 * or on a stray event), so they are closed here and not by the main
 * thread, which could meanwhile have opened another socket with the same
 * number.
 */
static void let_go(struct session *s)
{
	relay_stop(s);
	close(s->server_fd);
	close(s->client_fd);
	s->server_fd = s->client_fd = -1;
}

/* Locked; the thread has let s go. */
static void give_back(struct relay_thread *t, struct session *s)
{
	if (s->xfer == XFER_RECLAIM)
		t->reclaiming--;
	else
		assert(s->xfer == XFER_RUNNING);
	s->xfer = XFER_BACK;
	list_push_tail(&t->outbox, &s->xfer_node);
	pthread_cond_broadcast(&t->back);
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct relay_thread *t = w->data;
	bool stop;

	(void)revents;
	pthread_mutex_lock(&t->mu);
	while (!list_empty(&t->inbox)) {
		struct session *s = LIST_ITEM(t->inbox.first, struct session, xfer_node);
		/* Off the inbox and on to RUNNING under one hold of the lock: the
		 * main thread finds it on the inbox (HANDED) or not at all. */
		bool start = s->xfer == XFER_HANDED;

		list_remove(&t->inbox, &s->xfer_node);
		if (start)
			s->xfer = XFER_RUNNING;
		else
			assert(s->xfer == XFER_RECLAIM);
		pthread_mutex_unlock(&t->mu);
		if (start) {
			relay_start(s);         /* may end it at once: threads_ended */
		} else {
			let_go(s);
			pthread_mutex_lock(&t->mu);
			give_back(t, s);
			pthread_mutex_unlock(&t->mu);
		}
		pthread_mutex_lock(&t->mu);
	}
	stop = t->stop;
	pthread_mutex_unlock(&t->mu);
	if (stop) {
		ev_async_stop(loop, w);
		ev_break(loop, EVBREAK_ALL);
	}
}

void threads_ended(struct session *s, enum session_end why)
{
	struct relay_thread *t = thread_of(s);

	let_go(s);
	pthread_mutex_lock(&t->mu);
	if (s->xfer == XFER_RECLAIM) {
		/* Asked for back while it ended: it is still on the inbox. */
		list_remove(&t->inbox, &s->xfer_node);
	}
	s->thread_end = why;
	give_back(t, s);
	pthread_mutex_unlock(&t->mu);
	ev_async_send(t->proxy->loop, &t->proxy->thread_news);
}

void threads_server_closed(struct session *s)
{
	struct relay_thread *t = thread_of(s);

	pthread_mutex_lock(&t->mu);
	if (!list_linked(&s->suspect_node))
		list_push_tail(&t->suspects, &s->suspect_node);
	pthread_mutex_unlock(&t->mu);
	ev_async_send(t->proxy->loop, &t->proxy->thread_news);
}

static void *thread_main(void *arg)
{
	struct relay_thread *t = arg;

	log_forbid_this_thread();
	ev_run(t->rl.loop, 0);
	return NULL;
}

/*
 * A new session relays on the main loop; with relay threads it settles on
 * the settling list (oldest first) until spread_cb moves it or it ends.
 */
void threads_relay(struct session *s)
{
	struct proxy *proxy = s->proxy;

	assert(s->rl == &proxy->main_rl && s->xfer == XFER_NONE);
	proxy->main_rl.sessions++;
	proxy->main_rl.sessions_total++;
	if (proxy->nthreads > 1) {
		list_push_tail(&proxy->settling, &s->xfer_node);
		if (!ev_is_active(&proxy->spread))
			ev_timer_again(proxy->loop, &proxy->spread);
	}
	relay_start(s);         /* may end it at once: off the list then */
}

/* A session relaying on the main loop stops (it ends, or moves). */
void threads_unsettle(struct session *s)
{
	assert(s->xfer == XFER_NONE && s->rl == &s->proxy->main_rl);
	if (list_linked(&s->xfer_node))
		list_remove(&s->proxy->settling, &s->xfer_node);
}

static struct relay_thread *least_busy_thread(struct proxy *proxy)
{
	struct relay_thread *best = proxy->threads[1];

	for (int i = 2; i < proxy->nthreads; i++)
		if (proxy->threads[i]->rl.sessions < best->rl.sessions)
			best = proxy->threads[i];
	return best;
}

/* Between two messages: no bytes held, no side closed, the first packet sent. */
static bool movable(const struct session *s)
{
	return !s->up.buf && !s->down.buf && !s->up.eof && !s->down.eof && !s->login;
}

/* Stopped on the main loop: onto t's inbox, for t to start (wake_cb). */
static void hand_over(struct relay_thread *t, struct session *s)
{
	struct proxy *proxy = s->proxy;

	proxy->main_rl.sessions--;
	t->rl.sessions++;
	t->rl.sessions_total++;
	s->rl = &t->rl;
	pthread_mutex_lock(&t->mu);
	s->xfer = XFER_HANDED;
	list_push_tail(&t->inbox, &s->xfer_node);
	pthread_mutex_unlock(&t->mu);
	ev_async_send(t->rl.loop, &t->wake);
}

/*
 * Every SETTLE_SECONDS: sessions that have lasted that long leave the main
 * loop, oldest first, each to the least busy relay thread, while the main
 * loop relays more than that thread (ties stay: the main thread has
 * everything else to do too). A session in the middle of a message (bytes
 * held, a side closed) stays for the next round.
 */
static void spread_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proxy *proxy = w->data;
	ev_tstamp now = ev_now(loop);
	struct list_node *n = proxy->settling.first;

	(void)revents;
	while (n) {
		struct session *s = LIST_ITEM(n, struct session, xfer_node);
		struct relay_thread *t = least_busy_thread(proxy);

		n = n->next;
		if (proxy->main_rl.sessions <= t->rl.sessions || now - s->started < SETTLE_SECONDS)
			break;
		if (!movable(s))
			continue;
		threads_unsettle(s);
		relay_stop(s);
		hand_over(t, s);
	}
	if (list_empty(&proxy->settling))
		ev_timer_stop(loop, w);
}

/* Locked: asks for s back; returns whether the thread must be woken to give it. */
static bool ask_back(struct relay_thread *t, struct session *s)
{
	switch (s->xfer) {
	case XFER_HANDED:         /* never started there */
		list_remove(&t->inbox, &s->xfer_node);
		s->xfer = XFER_BACK;
		list_push_tail(&t->outbox, &s->xfer_node);
		return false;
	case XFER_RUNNING:
		s->xfer = XFER_RECLAIM;
		t->reclaiming++;
		list_push_tail(&t->inbox, &s->xfer_node);
		return true;
	case XFER_BACK:           /* it ended there; the news is not read yet */
		return false;
	case XFER_NONE:
	case XFER_RECLAIM:
		break;
	}
	assert(!"a session asked back twice");
	return false;
}

/* Locked, s BACK: off the outbox; returns whether its server closed first. */
static bool take_back(struct relay_thread *t, struct session *s)
{
	bool suspect = list_linked(&s->suspect_node);

	assert(s->xfer == XFER_BACK);
	list_remove(&t->outbox, &s->xfer_node);
	if (suspect)
		list_remove(&t->suspects, &s->suspect_node);
	s->xfer = XFER_NONE;
	return suspect;
}

/* Unlocked, s taken back: the main thread's, as if it had never left. */
static void home(struct session *s, bool suspect)
{
	thread_of(s)->rl.sessions--;
	s->rl = &s->proxy->main_rl;
	s->rl->sessions++;          /* session_release counts it off */
	if (suspect)
		listener_suspect_server(s->listener, s->member, "it closed a session");
}

void threads_reclaim(struct session *s)
{
	struct relay_thread *t = thread_of(s);
	bool suspect;

	pthread_mutex_lock(&t->mu);
	if (ask_back(t, s))
		ev_async_send(t->rl.loop, &t->wake);
	while (s->xfer == XFER_RECLAIM)
		pthread_cond_wait(&t->back, &t->mu);
	suspect = take_back(t, s);
	pthread_mutex_unlock(&t->mu);
	home(s, suspect);
}

static bool on_thread(const struct session *s)
{
	return s->rl->index > 0;
}

/*
 * Takes back every session of list that wanted() picks (all if NULL), asking
 * every thread at once and then waiting for all: one round trip per thread
 * rather than per session.
 */
void threads_reclaim_list(struct proxy *proxy, struct list *list, size_t node_offset,
                          bool (*wanted)(const struct session *, const void *), const void *arg)
{
	struct list_node *n;

	if (proxy->nthreads < 2)
		return;
	for (n = list->first; n; n = n->next) {
		struct session *s = list_item_at(n, node_offset);

		if (on_thread(s) && (!wanted || wanted(s, arg))) {
			struct relay_thread *t = thread_of(s);

			pthread_mutex_lock(&t->mu);
			if (ask_back(t, s))
				ev_async_send(t->rl.loop, &t->wake);
			pthread_mutex_unlock(&t->mu);
		}
	}
	for (int i = 1; i < proxy->nthreads; i++) {
		struct relay_thread *t = proxy->threads[i];

		pthread_mutex_lock(&t->mu);
		while (t->reclaiming > 0)
			pthread_cond_wait(&t->back, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
	for (n = list->first; n; n = n->next) {
		struct session *s = list_item_at(n, node_offset);

		if (on_thread(s) && (!wanted || wanted(s, arg))) {
			struct relay_thread *t = thread_of(s);
			bool suspect;

			pthread_mutex_lock(&t->mu);
			suspect = take_back(t, s);
			pthread_mutex_unlock(&t->mu);
			home(s, suspect);
		}
	}
}

/* The oldest session whose server closed first, off the list; or NULL. */
static struct session *pop_suspect(struct relay_thread *t)
{
	struct session *s;

	pthread_mutex_lock(&t->mu);
	s = LIST_ITEM(t->suspects.first, struct session, suspect_node);
	if (s)
		list_remove(&t->suspects, &s->suspect_node);
	pthread_mutex_unlock(&t->mu);
	return s;
}

/* The oldest session the thread ended, taken back; or NULL. */
static struct session *pop_ended(struct relay_thread *t, bool *suspect)
{
	struct session *s;

	pthread_mutex_lock(&t->mu);
	s = LIST_ITEM(t->outbox.first, struct session, xfer_node);
	if (s)
		*suspect = take_back(t, s);
	pthread_mutex_unlock(&t->mu);
	return s;
}

/*
 * Sessions a relay thread ended, and servers that closed a session first.
 * The suspects go first: a session on both lists is still alive until its
 * end is handled below.
 */
static void news_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct proxy *proxy = w->data;

	(void)loop;
	(void)revents;
	for (int i = 1; i < proxy->nthreads; i++) {
		struct relay_thread *t = proxy->threads[i];
		struct session *s;
		bool suspect;

		while ((s = pop_suspect(t)))
			listener_suspect_server(s->listener, s->member, "it closed a session");
		while ((s = pop_ended(t, &suspect))) {
			home(s, suspect);
			session_end(s, s->thread_end);
		}
	}
}

static void thread_free(struct relay_thread *t)
{
	if (t->rl.loop)
		ev_loop_destroy(t->rl.loop);
	relay_free_bufs(&t->rl);
	pthread_cond_destroy(&t->back);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static struct relay_thread *thread_new(struct proxy *proxy, int index, char *err, size_t errlen)
{
	struct relay_thread *t = calloc(1, sizeof *t);

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->back, NULL);
	t->proxy = proxy;
	t->rl.index = index;
	/* Signals are the main loop's: this loop leaves the mask alone. */
	t->rl.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!t->rl.loop) {
		snprintf(err, errlen, "cannot create an event loop");
		thread_free(t);
		return NULL;
	}
	ev_async_init(&t->wake, wake_cb);
	t->wake.data = t;
	ev_async_start(t->rl.loop, &t->wake);
	return t;
}

/*
 * Starts n - 1 relay threads beside the main loop. The threads block every
 * signal (they inherit the mask set around pthread_create), so signals reach
 * the main thread's loop alone.
 */
int threads_start(struct proxy *proxy, int n, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc = 0;

	assert(n >= 1 && n <= CONF_MAX_THREADS && proxy->nthreads == 0);
	proxy->main_rl.loop = proxy->loop;
	proxy->nthreads = 1;
	ev_init(&proxy->spread, spread_cb);
	proxy->spread.repeat = SETTLE_SECONDS;
	proxy->spread.data = proxy;
	ev_async_init(&proxy->thread_news, news_cb);
	proxy->thread_news.data = proxy;
	if (n > 1)
		ev_async_start(proxy->loop, &proxy->thread_news);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 1; i < n && rc == 0; i++) {
		struct relay_thread *t = thread_new(proxy, i, err, errlen);

		if (!t) {
			rc = -1;
			break;
		}
		if ((errno = pthread_create(&t->id, NULL, thread_main, t)) != 0) {
			snprintf(err, errlen, "cannot start relay thread %d: %s", i, strerror(errno));
			thread_free(t);
			rc = -1;
			break;
		}
		proxy->threads[i] = t;
		proxy->nthreads = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Every session is back (proxy_shutdown took them): the threads go. */
void threads_stop(struct proxy *proxy)
{
	for (int i = 1; i < proxy->nthreads; i++) {
		struct relay_thread *t = proxy->threads[i];

		assert(t->rl.sessions == 0);
		pthread_mutex_lock(&t->mu);
		assert(list_empty(&t->inbox) && list_empty(&t->outbox));
		t->stop = true;
		pthread_mutex_unlock(&t->mu);
		ev_async_send(t->rl.loop, &t->wake);
		pthread_join(t->id, NULL);
		thread_free(t);
		proxy->threads[i] = NULL;
	}
	if (proxy->nthreads > 0) {
		assert(list_empty(&proxy->settling));
		ev_timer_stop(proxy->loop, &proxy->spread);
		ev_async_stop(proxy->loop, &proxy->thread_news);
	}
	proxy->nthreads = proxy->nthreads ? 1 : 0;
}

int proxy_thread_count(const struct proxy *proxy)
{
	return proxy->nthreads;
}

static const struct relay_loop *loop_of(const struct proxy *proxy, int thread)
{
	assert(thread >= 0 && thread < proxy->nthreads);
	return thread == 0 ? &proxy->main_rl : &proxy->threads[thread]->rl;
}

int proxy_thread_sessions(const struct proxy *proxy, int thread)
{
	return loop_of(proxy, thread)->sessions;
}

uint64_t proxy_thread_sessions_total(const struct proxy *proxy, int thread)
{
	return loop_of(proxy, thread)->sessions_total;
}

uint64_t proxy_thread_bulk_deferrals(const struct proxy *proxy, int thread)
{
	return __atomic_load_n(&loop_of(proxy, thread)->deferrals, __ATOMIC_RELAXED);
}
