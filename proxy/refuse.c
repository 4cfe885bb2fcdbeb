/*
 * Telling a refused client why, in PostgreSQL's protocol: an ErrorResponse
 * (FATAL, 57P03 cannot_connect_now, or 08P01 for a packet that is not
 * PostgreSQL's), then close. psql then prints the message instead of
 * "server closed the connection unexpectedly".
 *
 * The login phase has read the client's first packet already. After a
 * StartupMessage (or garbage) the answer is written at once, without
 * waiting for anything. After an SSLRequest or GSSENCRequest, the client is
 * answered 'N' and its StartupMessage read (and discarded, never stored),
 * then answered. A TLS ClientHello cannot be answered in PostgreSQL's
 * protocol: closed.
 *
 * Everything is bounded: a short timeout, at most two negotiation requests,
 * a startup packet no longer than PostgreSQL's own limit, and REFUSALS_MAX
 * clients at once. When they are all taken, the oldest is closed to make
 * room: it has either had its answer (and lingers) or has been silent since
 * its 'N' the longest, so that silent clients cannot keep the next ones from
 * hearing why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/internal.h"
#include "proxy/pgproto.h"

#define NEGOTIATIONS_MAX 2      /* GSSENCRequest, then SSLRequest */
#define LINGER_TIMEOUT 1.0      /* seconds to wait for the client to close */

enum refusal_state {
	REFUSAL_READ_HEADER,
	REFUSAL_SKIP_BODY,
	REFUSAL_SEND,
	REFUSAL_LINGER,         /* sent; wait for the client's close so no RST eats it */
};

struct refusal {
	struct proxy *proxy;
	struct list_node node;  /* on proxy->refusals */
	int fd;
	enum refusal_state state;
	ev_io io;
	ev_timer timer;
	uint8_t header[PG_STARTUP_HEADER_LEN];
	uint32_t have;          /* header bytes read so far */
	uint32_t skip;          /* body bytes still to discard */
	int negotiations;
	uint8_t reply[512];
	uint32_t reply_len, reply_off;
	char client[64];
};

static struct log_ratelimit garbage_rl = { .period = 10, .burst = 5 };
static struct log_ratelimit refused_rl = { .period = 10, .burst = 20 };

static void refusal_close(struct refusal *r)
{
	struct proxy *proxy = r->proxy;

	ev_io_stop(proxy->loop, &r->io);
	ev_timer_stop(proxy->loop, &r->timer);
	close(r->fd);
	list_remove(&proxy->refusals, &r->node);
	free(r);
}

static void watch(struct refusal *r, int events)
{
	ev_io_stop(r->proxy->loop, &r->io);
	ev_io_set(&r->io, r->fd, events);
	ev_io_start(r->proxy->loop, &r->io);
}

/* Acts on a complete 8-byte header; returns false if the client is dropped. */
static bool header_complete(struct refusal *r)
{
	uint32_t len;
	enum pg_startup_kind kind = pg_startup_classify(r->header, &len);
	static const uint8_t no = 'N';

	r->have = 0;
	switch (kind) {
	case PG_STARTUP_SSL:
	case PG_STARTUP_GSSENC:
		if (++r->negotiations > NEGOTIATIONS_MAX ||
		    send(r->fd, &no, 1, MSG_NOSIGNAL) != 1)
			return false;
		return true;
	case PG_STARTUP_V3:
		r->skip = len - PG_STARTUP_HEADER_LEN;
		r->state = REFUSAL_SKIP_BODY;
		return true;
	case PG_STARTUP_CANCEL:
	case PG_STARTUP_TLS:        /* pg_startup_classify() returns neither of these two */
	case PG_STARTUP_INCOMPLETE:
		return false;
	case PG_STARTUP_INVALID:
		break;
	}
	log_limited(&garbage_rl, LOG_LEVEL_WARNING,
	            "%s: not a PostgreSQL startup packet (length %u): closed", r->client, len);
	return false;
}

static bool read_header(struct refusal *r)
{
	ssize_t n = recv(r->fd, r->header + r->have, sizeof r->header - r->have, 0);

	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	r->have += (uint32_t)n;
	if (r->have < sizeof r->header)
		return true;
	return header_complete(r);
}

static bool skip_body(struct refusal *r)
{
	uint8_t scratch[1024];
	size_t want = r->skip < sizeof scratch ? r->skip : sizeof scratch;
	ssize_t n = recv(r->fd, scratch, want, 0);

	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	r->skip -= (uint32_t)n;
	if (r->skip == 0) {
		r->state = REFUSAL_SEND;
		watch(r, EV_WRITE);
	}
	return true;
}

static bool send_reply(struct refusal *r)
{
	ssize_t n = send(r->fd, r->reply + r->reply_off, r->reply_len - r->reply_off,
	                 MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	r->reply_off += (uint32_t)n;
	if (r->reply_off < r->reply_len)
		return true;
	shutdown(r->fd, SHUT_WR);
	r->state = REFUSAL_LINGER;
	watch(r, EV_READ);
	ev_timer_stop(r->proxy->loop, &r->timer);
	ev_timer_set(&r->timer, LINGER_TIMEOUT, 0.);
	ev_timer_start(r->proxy->loop, &r->timer);
	return true;
}

static bool linger(struct refusal *r)
{
	uint8_t scratch[256];
	ssize_t n = recv(r->fd, scratch, sizeof scratch, 0);

	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct refusal *r = w->data;
	bool keep = false;

	(void)loop;
	(void)revents;
	switch (r->state) {
	case REFUSAL_READ_HEADER:
		keep = read_header(r);
		break;
	case REFUSAL_SKIP_BODY:
		keep = skip_body(r);
		break;
	case REFUSAL_SEND:
		keep = send_reply(r);
		break;
	case REFUSAL_LINGER:
		keep = linger(r);
		break;
	}
	if (!keep)
		refusal_close(r);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	refusal_close(w->data);
}

/* Where the conversation stands, given the first packet already read. */
static bool begin(struct refusal *r, enum pg_startup_kind read)
{
	static const uint8_t no = 'N';

	switch (read) {
	case PG_STARTUP_V3:
	case PG_STARTUP_INVALID:
		r->state = REFUSAL_SEND;
		return true;
	case PG_STARTUP_SSL:
	case PG_STARTUP_GSSENC:
		r->negotiations = 1;
		r->state = REFUSAL_READ_HEADER;
		return send(r->fd, &no, 1, MSG_NOSIGNAL) == 1;
	case PG_STARTUP_CANCEL:
	case PG_STARTUP_TLS:
	case PG_STARTUP_INCOMPLETE:
		break;
	}
	return false;
}

void refuse_client(struct proxy *proxy, int fd, const char *client, enum pg_startup_kind read,
                   const char *sqlstate, const char *message)
{
	struct refusal *r;

	log_limited(&refused_rl, LOG_LEVEL_INFO, "refused %s: %s", client, message);
	if (proxy->refusals.count >= REFUSALS_MAX)
		refusal_close(LIST_ITEM(proxy->refusals.first, struct refusal, node));
	if (!(r = calloc(1, sizeof *r))) {
		close(fd);
		return;
	}
	r->proxy = proxy;
	r->fd = fd;
	snprintf(r->client, sizeof r->client, "%s", client);
	r->reply_len = (uint32_t)pg_error_response(r->reply, sizeof r->reply, "FATAL",
	                                           sqlstate, message);
	list_push_tail(&proxy->refusals, &r->node);
	ev_io_init(&r->io, io_cb, fd, EV_READ);
	r->io.data = r;
	ev_timer_init(&r->timer, timeout_cb, REFUSAL_TIMEOUT, 0.);
	r->timer.data = r;
	ev_timer_start(proxy->loop, &r->timer);
	if (!begin(r, read)) {
		refusal_close(r);
		return;
	}
	if (r->state == REFUSAL_SEND) {
		/* Nothing to wait for: most answers leave here, in one send(). */
		if (!send_reply(r))
			refusal_close(r);
		else if (r->state == REFUSAL_SEND)
			watch(r, EV_WRITE);
		return;
	}
	ev_io_start(proxy->loop, &r->io);
}

void refuse_shutdown(struct proxy *proxy)
{
	while (!list_empty(&proxy->refusals))
		refusal_close(LIST_ITEM(proxy->refusals.first, struct refusal, node));
}
