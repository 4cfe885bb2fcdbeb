/*
 * Fewer wakeups while one direction streams: COPY, a large result.
 *
 * PostgreSQL sends a stream 8 KB at a time, and a loop that reads each chunk
 * as it lands wakes once per chunk: in make bench's COPY row that was about
 * 40,000 trips through epoll_wait per GB, and most of pgfront's CPU there
 * (bench/RESULTS.md). Once a direction has carried BULK_AFTER bytes while
 * the other said nothing (a one-way stream), and a read finds at least a
 * small buffer's worth waiting (the sender is ahead), its source socket gets
 * a receive low-water mark (SO_RCVLOWAT): the kernel then wakes the loop
 * when a big buffer's worth is waiting, when the receive window is nearly
 * closed, or when the peer closes, and not per chunk.
 *
 * The end of a stream is smaller than the mark and would wait: the session's
 * idle timer lowers the mark back to one byte once the source has been quiet
 * for BULK_QUIET. That is all a stream's last bytes can lose, and only a
 * stream of at least BULK_AFTER bytes. A sender that only paused (a
 * descheduled backend) gets the mark again at its next large read; one
 * that trickles small messages never does. A conversation (a query, its
 * answer) never defers however large its messages: a byte in the other
 * direction starts the count again.
 *
 * The mark belongs to the socket, not to the loop: a session moves to a
 * relay thread with it, and the new loop's idle timer lowers it.
 */
#include <math.h>
#include <sys/socket.h>

#include "proxy/internal.h"

/* Raises d's mark; false if the socket's receive buffer is too small for it. */
static bool defer(struct relay_loop *rl, struct relay_dir *d)
{
	int rcvbuf, mark;
	socklen_t len = sizeof rcvbuf;

	if (getsockopt(d->in.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0)
		return false;
	/* A mark above about half the buffer makes the kernel grow the buffer
	 * and clamp the window to the mark (tcp_set_rcvlowat): a quarter
	 * keeps both as they are. */
	mark = rcvbuf / 4 < RELAY_BIG_BUF_SIZE ? rcvbuf / 4 : RELAY_BIG_BUF_SIZE;
	if (mark < RELAY_BUF_SIZE)
		return false;
	if (setsockopt(d->in.fd, SOL_SOCKET, SO_RCVLOWAT, &mark, sizeof mark) < 0)
		return false;
	d->deferred = true;
	__atomic_store_n(&rl->deferrals, rl->deferrals + 1, __ATOMIC_RELAXED);
	return true;
}

static void undefer(struct relay_dir *d)
{
	int one = 1;

	/* Setting it wakes the loop at once if bytes are waiting. It cannot
	 * fail on an open TCP socket; if it did, the bytes would still come
	 * once a mark's worth is there, or with the peer's close. */
	(void)setsockopt(d->in.fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	d->deferred = false;
}

bool bulk_after_read(struct session *s, struct relay_dir *d, size_t n)
{
	struct relay_dir *other = d == &s->up ? &s->down : &s->up;

	other->burst = 0;
	d->read_at = ev_now(s->rl->loop);
	if (d->deferred)
		return false;
	d->burst = n >= BULK_AFTER - d->burst ? BULK_AFTER : d->burst + (uint32_t)n;
	if (d->burst < BULK_AFTER || n < RELAY_BUF_SIZE)
		return false;
	if (!defer(s->rl, d)) {
		d->burst = 0;       /* ask again after as many bytes */
		return false;
	}
	return true;
}

void bulk_source_closed(struct relay_dir *d)
{
	/* Nothing more to read: the mark no longer matters. */
	d->deferred = false;
	d->burst = 0;
}

ev_tstamp bulk_check(struct session *s, ev_tstamp now)
{
	struct relay_dir *dirs[] = { &s->up, &s->down };
	ev_tstamp next = INFINITY;

	for (int i = 0; i < 2; i++) {
		struct relay_dir *d = dirs[i];

		if (!d->deferred)
			continue;
		assert(!d->eof);
		/* Bytes held for a slow destination: the source is not read
		 * meanwhile, so its silence says nothing yet. */
		if (d->buf)
			next = fmin(next, now + BULK_QUIET);
		else if (now - d->read_at < BULK_QUIET)
			next = fmin(next, d->read_at + BULK_QUIET);
		else
			undefer(d);
	}
	return next;
}
