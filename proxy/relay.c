/*
 * Relaying bytes both ways once a session has its server.
 *
 * Each direction reads into a buffer only when it has none pending and writes
 * it out at once; what the destination cannot take yet stays in the buffer
 * and the source is not read again until it is gone. That is the whole of the
 * backpressure: a slow reader stops the other side, and a session holds at
 * most one buffer per direction (16 KiB, 64 KiB while the direction is in a
 * bulk transfer) — none at all while idle, since buffers go back to their
 * loop's pool as soon as they are empty.
 *
 * It runs on whichever loop the session relays on (s->rl): the main loop's,
 * or a relay thread's (threads.c). So it touches nothing but the session's
 * own relaying state and its loop's pool: counters, the configuration and
 * the log are the main thread's; an ending goes through relay_end().
 *
 * A source's EOF is passed on as shutdown(SHUT_WR) on the destination
 * (half-close); the session ends when both directions have seen EOF, on any
 * error, or when a side has been idle past its timeout.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/internal.h"

static struct relay_pool *pool_of(struct relay_loop *rl, uint32_t size)
{
	return size == RELAY_BIG_BUF_SIZE ? &rl->big : &rl->small;
}

static struct relay_buf *buf_get(struct relay_loop *rl, uint32_t size)
{
	struct relay_pool *pool = pool_of(rl, size);
	struct relay_buf *b = pool->free;

	if (b) {
		pool->free = b->next_free;
		pool->count--;
	} else {
		b = malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
	}
	b->off = b->len = 0;
	return b;
}

static void buf_put(struct relay_loop *rl, struct relay_buf *b)
{
	struct relay_pool *pool = pool_of(rl, b->size);
	int max = pool == &rl->big ? RELAY_FREE_BIG_BUFS_MAX : RELAY_FREE_BUFS_MAX;

	if (pool->count >= max) {
		free(b);
		return;
	}
	b->next_free = pool->free;
	pool->free = b;
	pool->count++;
}

void relay_free_bufs(struct relay_loop *rl)
{
	struct relay_pool *pools[] = { &rl->small, &rl->big };

	for (int i = 0; i < 2; i++) {
		while (pools[i]->free) {
			struct relay_buf *b = pools[i]->free;

			pools[i]->free = b->next_free;
			free(b);
		}
		pools[i]->count = 0;
	}
}

/* The main loop ends a session itself; a relay thread hands it back to end. */
static void relay_end(struct session *s, enum session_end why)
{
	if (s->rl->index == 0)
		session_end(s, why);
	else
		threads_ended(s, why);
}

static bool is_up(const struct session *s, const struct relay_dir *d)
{
	return d == &s->up;
}

/* Bytes moved on one side's socket: that side is not idle. */
static void touch(struct session *s, bool client_side)
{
	if (client_side)
		s->last_client = ev_now(s->rl->loop);
	else
		s->last_server = ev_now(s->rl->loop);
}

/*
 * Only the relaying thread writes d->bytes; the main thread reads it
 * (session_fold_bytes) to update the listener's and server's counters, which
 * are its own.
 */
static void count_bytes(struct relay_dir *d, size_t n)
{
	__atomic_store_n(&d->bytes, d->bytes + n, __ATOMIC_RELAXED);
}

/* An error on the source fd is that side's fault; on the destination, the other's. */
static enum session_end side_error(const struct session *s, const struct relay_dir *d,
                                   bool on_source)
{
	bool client_side = is_up(s, d) == on_source;

	return client_side ? SESSION_END_CLIENT_ERROR : SESSION_END_SERVER_ERROR;
}

/*
 * The idle timer is re-armed lazily: a new deadline only brings it forward,
 * and the timer, fired early, works every deadline out again (idle_timer_cb).
 */
static void timer_due_within(struct session *s, ev_tstamp delay)
{
	struct ev_loop *loop = s->rl->loop;

	if (ev_is_active(&s->timer) && ev_timer_remaining(loop, &s->timer) <= delay)
		return;
	ev_timer_stop(loop, &s->timer);
	ev_timer_set(&s->timer, delay, 0.);
	ev_timer_start(loop, &s->timer);
}

static void source_eof(struct session *s, struct relay_dir *d)
{
	struct relay_dir *other = is_up(s, d) ? &s->down : &s->up;

	d->eof = true;
	d->eof_at = ev_now(s->rl->loop);
	bulk_source_closed(d);
	/* A server that closes after the client's Terminate is only polite. */
	if (!is_up(s, d) && !other->eof && !s->up.said_bye) {
		if (s->rl->index == 0)
			listener_suspect_server(s->listener, s->member, "it closed a session");
		else
			threads_server_closed(s);
	}
	ev_io_stop(s->rl->loop, &d->in);
	if (other->eof) {
		/* Whoever closed first ended the conversation. Closing the
		 * sockets sends the last FIN: no shutdown() before. */
		relay_end(s, is_up(s, d) ? SESSION_END_SERVER_CLOSED : SESSION_END_CLIENT_CLOSED);
		return;
	}
	shutdown(d->out.fd, SHUT_WR);
	/* The other side now has RELAY_HALF_CLOSED_TIMEOUT. */
	timer_due_within(s, RELAY_HALF_CLOSED_TIMEOUT);
}

/* Terminate ('X', length 4): what a client sends last before it closes. */
static bool ends_with_terminate(const uint8_t *data, size_t len)
{
	static const uint8_t terminate[5] = { 'X', 0, 0, 0, 4 };

	return len >= sizeof terminate &&
	       memcmp(data + len - sizeof terminate, terminate, sizeof terminate) == 0;
}

/* Writes what is pending; returns false if the session was ended. */
static bool flush(struct session *s, struct relay_dir *d)
{
	struct relay_buf *b = d->buf;
	ssize_t n = send(d->out.fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			n = 0;
		else {
			relay_end(s, side_error(s, d, false));
			return false;
		}
	}
	b->off += (uint32_t)n;
	if (n > 0)
		touch(s, !is_up(s, d));
	if (b->off < b->len) {
		/* Backpressure: hold the source until the destination drains. */
		ev_io_stop(s->rl->loop, &d->in);
		ev_io_start(s->rl->loop, &d->out);
		return true;
	}
	buf_put(s->rl, b);
	d->buf = NULL;
	ev_io_stop(s->rl->loop, &d->out);
	if (!d->eof)
		ev_io_start(s->rl->loop, &d->in);
	return true;
}

/*
 * The source is readable but there is no buffer to read into. Returning
 * would leave the (level-triggered) watcher active and the loop spinning on
 * it; pausing would leave a session that may never get memory back. The
 * session ends, said and counted (session_end), and its memory goes back to
 * the others.
 */
static void no_buffer(struct session *s)
{
	relay_end(s, SESSION_END_NO_MEMORY);
}

/*
 * One wakeup moves up to RELAY_READS_PER_WAKEUP buffers: a bulk transfer
 * (COPY) then costs fewer trips through epoll, while a chatty session still
 * yields to the others after a bounded amount of work. A read that fills a
 * small buffer makes the next one big (d->bulk); one that would not have
 * filled a small one makes it small again, so that a session back to short
 * messages goes back to small buffers.
 */
static void on_readable(struct session *s, struct relay_dir *d)
{
	for (int round = 0; round < RELAY_READS_PER_WAKEUP; round++) {
		struct relay_buf *b = buf_get(s->rl, d->bulk ? RELAY_BIG_BUF_SIZE : RELAY_BUF_SIZE);
		ssize_t n;
		bool full;

		if (!b) {
			no_buffer(s);
			return;
		}
		n = recv(d->in.fd, b->data, b->size, 0);
		if (n <= 0) {
			buf_put(s->rl, b);
			if (n == 0)
				source_eof(s, d);
			else if (errno != EAGAIN && errno != EINTR)
				relay_end(s, side_error(s, d, true));
			return;
		}
		full = (uint32_t)n == b->size;    /* b may be freed by flush() */
		b->len = (uint32_t)n;
		d->buf = b;
		d->bulk = n >= RELAY_BUF_SIZE;
		if (is_up(s, d))
			d->said_bye = ends_with_terminate(b->data, (size_t)n);
		count_bytes(d, (size_t)n);
		touch(s, is_up(s, d));
		if (bulk_after_read(s, d, (size_t)n))
			timer_due_within(s, BULK_QUIET);
		/* Stop when the session ended, the destination is full (the buffer
		 * is still pending), or the source had no more than one buffer. */
		if (!flush(s, d) || d->buf || !full)
			return;
	}
}

static void on_writable(struct session *s, struct relay_dir *d)
{
	flush(s, d);
}

static void client_readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	on_readable(s, &s->up);
}

static void server_writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	on_writable(s, &s->up);
}

static void server_readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	on_readable(s, &s->down);
}

static void client_writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = w->data;

	(void)loop;
	(void)revents;
	on_writable(s, &s->down);
}

/*
 * One timer per session, re-armed lazily: activity only stores a timestamp,
 * and the timer, when it fires, works out whether a side really was idle.
 */
static void idle_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = w->data;
	double client_deadline = s->last_client + s->timeout_client;
	double server_deadline = s->last_server + s->timeout_server;
	double now = ev_now(loop);
	double next;

	(void)revents;
	if (s->up.eof)
		server_deadline = fmin(server_deadline,
		                       fmax(s->last_server, s->up.eof_at) + RELAY_HALF_CLOSED_TIMEOUT);
	if (s->down.eof)
		client_deadline = fmin(client_deadline,
		                       fmax(s->last_client, s->down.eof_at) + RELAY_HALF_CLOSED_TIMEOUT);
	if (now >= client_deadline) {
		relay_end(s, SESSION_END_CLIENT_TIMEOUT);
		return;
	}
	if (now >= server_deadline) {
		relay_end(s, SESSION_END_SERVER_TIMEOUT);
		return;
	}
	next = fmin(fmin(client_deadline, server_deadline), bulk_check(s, now));
	ev_timer_set(w, next - now, 0.);
	ev_timer_start(loop, w);
}

/*
 * The client's first packet, which the login phase read, goes to the server
 * before anything else, as the client's first bytes; then it is freed. A
 * fresh connection takes it whole (at most PG_STARTUP_MAX_LEN bytes); what
 * it does not take waits in the up direction's buffer, like any bytes the
 * server is slow to take, and the client is not read meanwhile.
 */
static void send_first(struct session *s)
{
	struct login *in = s->login;
	ssize_t n = send(s->server_fd, in->packet, in->len, MSG_NOSIGNAL);
	struct relay_buf *b;

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		relay_end(s, SESSION_END_SERVER_ERROR);
		return;
	}
	if (n < 0)
		n = 0;
	count_bytes(&s->up, (size_t)n);
	if ((uint32_t)n == in->len) {
		login_free(s);
		ev_io_start(s->rl->loop, &s->up.in);
		return;
	}
	if (!(b = buf_get(s->rl, RELAY_BUF_SIZE))) {
		no_buffer(s);
		return;
	}
	b->len = in->len - (uint32_t)n;
	memcpy(b->data, in->packet + n, b->len);
	count_bytes(&s->up, b->len);
	login_free(s);
	s->up.buf = b;
	flush(s, &s->up);
}

/* What a relay thread would otherwise read from the configuration. */
void relay_prepare(struct session *s)
{
	const struct conf_listener *cl = s->listener->conf;

	s->timeout_client = (double)cl->t.timeout_client_us / 1e6;
	s->timeout_server = (double)cl->members[s->member].t.timeout_server_us / 1e6;
	s->state = SESSION_RELAYING;
	/* Here and not in relay_start: a session that moves keeps its idle time. */
	s->last_client = s->last_server = ev_now(s->proxy->loop);
}

void relay_start(struct session *s)
{
	struct ev_loop *loop = s->rl->loop;

	assert(s->state == SESSION_RELAYING);
	ev_io_init(&s->up.in, client_readable_cb, s->client_fd, EV_READ);
	ev_io_init(&s->up.out, server_writable_cb, s->server_fd, EV_WRITE);
	ev_io_init(&s->down.in, server_readable_cb, s->server_fd, EV_READ);
	ev_io_init(&s->down.out, client_writable_cb, s->client_fd, EV_WRITE);
	s->up.in.data = s->up.out.data = s->down.in.data = s->down.out.data = s;
	ev_io_start(loop, &s->down.in);
	ev_timer_init(&s->timer, idle_timer_cb, 0., 0.);
	s->timer.data = s;
	idle_timer_cb(loop, &s->timer, 0);
	if (s->login)
		send_first(s);      /* last: it may end the session */
	else
		ev_io_start(loop, &s->up.in);
}

void relay_stop(struct session *s)
{
	struct ev_loop *loop = s->rl->loop;
	struct relay_dir *dirs[] = { &s->up, &s->down };

	ev_timer_stop(loop, &s->timer);     /* the idle timer, started on this loop */

	for (int i = 0; i < 2; i++) {
		ev_io_stop(loop, &dirs[i]->in);
		ev_io_stop(loop, &dirs[i]->out);
		if (dirs[i]->buf) {
			buf_put(s->rl, dirs[i]->buf);
			dirs[i]->buf = NULL;
		}
	}
}
