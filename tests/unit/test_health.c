/*
 * health: the hysteresis and interval rules through every (state, result)
 * pair, the mapping of curl outcomes to reasons, and the engine against
 * small HTTP servers on 127.0.0.1 run by this process's own loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>

#include "health/internal.h"

/* ---- hysteresis ---- */

static struct hc_health at(enum hc_status status, int streak)
{
	return (struct hc_health){ .status = status, .streak = streak };
}

/* Feeds results as a string, '+' a pass and '-' a failure; returns the changes seen. */
static int feed(struct hc_health *h, int rise, int fall, const char *results)
{
	int changes = 0;

	for (; *results; results++)
		changes += hc_step(h, rise, fall, *results == '+');
	return changes;
}

static void test_init_first_pass_goes_up(void **state)
{
	struct hc_health h = at(HC_STATUS_INIT, 0);

	(void)state;
	assert_true(hc_step(&h, 2, 3, true));
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_int_equal(h.streak, 0);
}

static void test_init_first_failure_goes_down(void **state)
{
	struct hc_health h = at(HC_STATUS_INIT, 0);

	(void)state;
	assert_true(hc_step(&h, 2, 3, false));
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_int_equal(h.streak, 0);
}

static void test_init_ignores_large_rise(void **state)
{
	struct hc_health h = at(HC_STATUS_INIT, 0);

	(void)state;
	assert_true(hc_step(&h, 10, 10, true));
	assert_int_equal(h.status, HC_STATUS_UP);
}

static void test_up_stays_up_on_pass(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	assert_false(hc_step(&h, 2, 3, true));
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_int_equal(h.streak, 0);
}

static void test_up_goes_down_after_fall_failures(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	assert_false(hc_step(&h, 2, 3, false));
	assert_int_equal(h.streak, 1);
	assert_false(hc_step(&h, 2, 3, false));
	assert_int_equal(h.streak, 2);
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_true(hc_step(&h, 2, 3, false));
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_int_equal(h.streak, 0);
}

static void test_up_pass_resets_failure_streak(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	assert_int_equal(feed(&h, 2, 3, "--+--+--+"), 0);
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_int_equal(h.streak, 0);
	assert_int_equal(feed(&h, 2, 3, "---"), 1);
	assert_int_equal(h.status, HC_STATUS_DOWN);
}

static void test_down_stays_down_on_failure(void **state)
{
	struct hc_health h = at(HC_STATUS_DOWN, 0);

	(void)state;
	assert_false(hc_step(&h, 2, 3, false));
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_int_equal(h.streak, 0);
}

static void test_down_goes_up_after_rise_passes(void **state)
{
	struct hc_health h = at(HC_STATUS_DOWN, 0);

	(void)state;
	assert_false(hc_step(&h, 2, 3, true));
	assert_int_equal(h.streak, 1);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_true(hc_step(&h, 2, 3, true));
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_int_equal(h.streak, 0);
}

static void test_down_failure_resets_pass_streak(void **state)
{
	struct hc_health h = at(HC_STATUS_DOWN, 0);

	(void)state;
	assert_int_equal(feed(&h, 2, 3, "+-+-+-"), 0);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_int_equal(h.streak, 0);
	assert_int_equal(feed(&h, 2, 3, "+-++"), 1);
	assert_int_equal(h.status, HC_STATUS_UP);
}

static void test_full_cycle_rise2_fall3(void **state)
{
	struct hc_health h = at(HC_STATUS_INIT, 0);

	(void)state;
	/* INIT-+ : down at once, then two passes up */
	assert_int_equal(feed(&h, 2, 3, "-"), 1);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_int_equal(feed(&h, 2, 3, "+"), 0);
	assert_int_equal(feed(&h, 2, 3, "+"), 1);
	assert_int_equal(h.status, HC_STATUS_UP);
	/* two failures, a pass, three failures: down on the last one only */
	assert_int_equal(feed(&h, 2, 3, "--+--"), 0);
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_int_equal(h.streak, 2);
	assert_int_equal(feed(&h, 2, 3, "-"), 1);
	assert_int_equal(h.status, HC_STATUS_DOWN);
}

static void test_rise1_fall1_flips_every_change(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	assert_true(hc_step(&h, 1, 1, false));
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_false(hc_step(&h, 1, 1, false));
	assert_true(hc_step(&h, 1, 1, true));
	assert_int_equal(h.status, HC_STATUS_UP);
	assert_false(hc_step(&h, 1, 1, true));
	assert_int_equal(h.streak, 0);
}

static void test_zero_rise_fall_act_as_one(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	assert_true(hc_step(&h, 0, 0, false));
	assert_true(hc_step(&h, 0, 0, true));
	assert_int_equal(h.status, HC_STATUS_UP);
}

/* ---- intervals ---- */

static const struct conf_tunables intervals = {
	.inter_us = 2000000,
	.fastinter_us = 500000,
	.downinter_us = 5000000,
};

static void test_interval_per_state(void **state)
{
	struct hc_health h;

	(void)state;
	h = at(HC_STATUS_UP, 0);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 2000000);
	h = at(HC_STATUS_UP, 1);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 500000);
	h = at(HC_STATUS_DOWN, 1);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 500000);
	h = at(HC_STATUS_DOWN, 0);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 5000000);
	h = at(HC_STATUS_INIT, 0);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 500000);
}

static void test_interval_unset_falls_back_to_inter(void **state)
{
	const struct conf_tunables t = { .inter_us = 3000000 };
	struct hc_health h;

	(void)state;
	h = at(HC_STATUS_UP, 2);
	assert_int_equal(hc_next_interval_us(&h, &t), 3000000);
	h = at(HC_STATUS_DOWN, 0);
	assert_int_equal(hc_next_interval_us(&h, &t), 3000000);
	h = at(HC_STATUS_INIT, 0);
	assert_int_equal(hc_next_interval_us(&h, &t), 3000000);
}

static void test_interval_follows_steps(void **state)
{
	struct hc_health h = at(HC_STATUS_UP, 0);

	(void)state;
	hc_step(&h, 2, 3, false);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 500000);
	hc_step(&h, 2, 3, false);
	hc_step(&h, 2, 3, false);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 5000000);
	hc_step(&h, 2, 3, true);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 500000);
	hc_step(&h, 2, 3, true);
	assert_int_equal(hc_next_interval_us(&h, &intervals), 2000000);
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(hc_status_name(HC_STATUS_INIT), "INIT");
	assert_string_equal(hc_status_name(HC_STATUS_DOWN), "DOWN");
	assert_string_equal(hc_status_name(HC_STATUS_UP), "UP");
	assert_string_equal(hc_status_name((enum hc_status)42), "?");
	assert_string_equal(hc_reason_name(HC_REASON_NONE), "none");
	assert_string_equal(hc_reason_name(HC_REASON_PASSED), "passed");
	assert_string_equal(hc_reason_name(HC_REASON_STATUS), "http status");
	assert_string_equal(hc_reason_name(HC_REASON_REFUSED), "connection refused");
	assert_string_equal(hc_reason_name(HC_REASON_TIMEOUT), "timeout");
	assert_string_equal(hc_reason_name(HC_REASON_MALFORMED), "malformed reply");
	assert_string_equal(hc_reason_name(HC_REASON_TLS), "tls");
	assert_string_equal(hc_reason_name(HC_REASON_NETWORK), "network");
	assert_string_equal(hc_reason_name((enum hc_reason)-1), "?");
}

/* ---- curl outcome to reason ---- */

static struct hc_result classify(int code, long status, long os_errno, const char *error)
{
	struct hc_result r = { 0 };

	hc_http_classify(&r, code, status, os_errno, error, 200, 5000000);
	return r;
}

static void test_classify(void **state)
{
	struct hc_result r;

	(void)state;
	r = classify(CURLE_OK, 200, 0, "");
	assert_int_equal(r.reason, HC_REASON_PASSED);
	assert_string_equal(r.detail, "HTTP 200");
	assert_int_equal(r.http_status, 200);

	r = classify(CURLE_OK, 503, 0, "");
	assert_int_equal(r.reason, HC_REASON_STATUS);
	assert_string_equal(r.detail, "HTTP 503");
	assert_int_equal(r.http_status, 503);

	r = classify(CURLE_COULDNT_CONNECT, 0, ECONNREFUSED, "Failed to connect");
	assert_int_equal(r.reason, HC_REASON_REFUSED);
	assert_string_equal(r.detail, "connection refused");

	r = classify(CURLE_COULDNT_CONNECT, 0, EHOSTUNREACH, "Failed to connect");
	assert_int_equal(r.reason, HC_REASON_NETWORK);
	assert_string_equal(r.detail, "connect: No route to host");

	r = classify(CURLE_OPERATION_TIMEDOUT, 0, 0, "Operation timed out after 5001 ms");
	assert_int_equal(r.reason, HC_REASON_TIMEOUT);
	assert_string_equal(r.detail, "timeout after 5000 ms");

	r = classify(CURLE_UNSUPPORTED_PROTOCOL, 0, 0, "Received HTTP/0.9 when not allowed");
	assert_int_equal(r.reason, HC_REASON_MALFORMED);
	assert_string_equal(r.detail, "malformed reply");

	r = classify(CURLE_WEIRD_SERVER_REPLY, 0, 0, "");
	assert_int_equal(r.reason, HC_REASON_MALFORMED);

	r = classify(CURLE_GOT_NOTHING, 0, 0, "Empty reply from server");
	assert_int_equal(r.reason, HC_REASON_MALFORMED);
	assert_string_equal(r.detail, "empty reply");

	r = classify(CURLE_RECV_ERROR, 0, ECONNRESET, "Recv failure");
	assert_int_equal(r.reason, HC_REASON_NETWORK);
	assert_string_equal(r.detail, "recv: Connection reset by peer");

	r = classify(CURLE_SSL_CONNECT_ERROR, 0, 0, "wrong version number");
	assert_int_equal(r.reason, HC_REASON_TLS);
	assert_string_equal(r.detail, "tls: wrong version number");

	r = classify(CURLE_PEER_FAILED_VERIFICATION, 0, 0, "");
	assert_int_equal(r.reason, HC_REASON_TLS);
	assert_true(strncmp(r.detail, "tls: ", 5) == 0 && strlen(r.detail) > 5);

	r = classify(CURLE_OK, 0, 0, "");
	assert_int_equal(r.reason, HC_REASON_MALFORMED);
}

/* ---- the engine against servers on loopback ---- */

#define STUB_CONNS 8

struct stub_conn {
	ev_io io;
	struct stub *stub;
	char buf[2048];
	size_t len;
};

/* Reads a request's head, then sends reply and closes; reply NULL: never answers. */
struct stub {
	struct ev_loop *loop;
	const char *reply;
	uint16_t port;
	ev_io accept_io;
	struct stub_conn conns[STUB_CONNS];
	int nconns;
	char request[2048];      /* the last request head seen */
};

static void stub_close(struct stub *s, struct stub_conn *c)
{
	ev_io_stop(s->loop, &c->io);
	close(c->io.fd);
	c->io.fd = -1;
}

static void on_stub_read(struct ev_loop *loop, ev_io *io, int revents)
{
	struct stub_conn *c = io->data;
	struct stub *s = c->stub;
	ssize_t n = read(io->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);

	(void)loop;
	(void)revents;
	if (n <= 0) {
		stub_close(s, c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	if (!strstr(c->buf, "\r\n\r\n"))
		return;
	snprintf(s->request, sizeof s->request, "%s", c->buf);
	if (!s->reply) {
		ev_io_stop(s->loop, &c->io); /* keep the socket open, silent */
		return;
	}
	assert_int_equal(write(io->fd, s->reply, strlen(s->reply)), (ssize_t)strlen(s->reply));
	stub_close(s, c);
}

static void on_stub_accept(struct ev_loop *loop, ev_io *io, int revents)
{
	struct stub *s = io->data;
	int fd = accept(io->fd, NULL, NULL);
	struct stub_conn *c;

	(void)revents;
	if (fd < 0)
		return;
	if (s->nconns == STUB_CONNS) {
		close(fd);
		return;
	}
	c = &s->conns[s->nconns++];
	c->stub = s;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ev_io_init(&c->io, on_stub_read, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
}

/* A listening socket on 127.0.0.1 and an ephemeral port. */
static int loopback_socket(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void stub_start(struct stub *s, struct ev_loop *loop, const char *reply)
{
	int fd = loopback_socket(&s->port);

	memset(s->conns, 0, sizeof s->conns);
	s->loop = loop;
	s->reply = reply;
	s->nconns = 0;
	s->request[0] = 0;
	assert_int_equal(listen(fd, 16), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ev_io_init(&s->accept_io, on_stub_accept, fd, EV_READ);
	s->accept_io.data = s;
	ev_io_start(loop, &s->accept_io);
}

static void stub_stop(struct stub *s)
{
	for (int i = 0; i < s->nconns; i++)
		if (s->conns[i].io.fd >= 0)
			stub_close(s, &s->conns[i]);
	ev_io_stop(s->loop, &s->accept_io);
	close(s->accept_io.fd);
}

/* A port nothing listens on: bound, then released. */
static uint16_t closed_port(void)
{
	uint16_t port;

	close(loopback_socket(&port));
	return port;
}

struct changes {
	int count;
	int expected;
	enum hc_status from[CONF_MAX_SERVERS];
	enum hc_status to[CONF_MAX_SERVERS];
	bool stale_changed[CONF_MAX_SERVERS];
};

static void on_change(void *arg, int listener, int member, const struct hc_change *change)
{
	struct changes *ch = arg;

	assert_int_equal(listener, 0);
	assert_non_null(change->result);
	ch->from[member] = change->from;
	ch->to[member] = change->to;
	ch->stale_changed[member] = change->stale_changed;
	if (++ch->count == ch->expected)
		ev_break(ev_default_loop(0), EVBREAK_ONE);
}

static void on_deadline(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)timer;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

static struct conf *test_conf(const char *method)
{
	struct conf *c = calloc(1, sizeof *c);
	struct conf_listener *l = &c->listeners[0];

	assert_non_null(c);
	c->nlisteners = 1;
	snprintf(l->name, sizeof l->name, "postgres_write");
	snprintf(l->check_method, sizeof l->check_method, "%s", method);
	snprintf(l->check_path, sizeof l->check_path, "/primary");
	l->expect_status = 200;
	l->balance = CONF_BALANCE_ROUNDROBIN;
	l->hunt_interval_us = 100000;
	return c;
}

static void add_member(struct conf *c, const char *name, uint16_t check_port)
{
	struct conf_server *s = &c->servers[c->nservers];
	struct conf_listener *l = &c->listeners[0];
	struct conf_member *m = &l->members[l->nmembers++];

	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->address.host, sizeof s->address.host, "127.0.0.1");
	snprintf(s->check_host, sizeof s->check_host, "127.0.0.1");
	m->server = c->nservers++;
	m->t = (struct conf_tunables){
		.inter_us = 100000, .fastinter_us = 100000, .downinter_us = 100000,
		.timeout_check_us = 200000, .rise = 2, .fall = 3, .check_port = check_port,
	};
}

/* Runs the engine until every member has left INIT, or 3 s have passed. */
static struct hc_engine *run_until_decided(struct conf *c, struct changes *ch)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct hc_engine *e;
	ev_timer deadline;
	char err[128];

	ch->expected = c->listeners[0].nmembers;
	e = hc_engine_start(loop, c, on_change, ch, err, sizeof err);
	assert_non_null(e);
	for (int m = 0; m < c->listeners[0].nmembers; m++)
		assert_int_equal(hc_view(e, 0, m)->health.status, HC_STATUS_INIT);
	ev_timer_init(&deadline, on_deadline, 3., 0.);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &deadline);
	assert_int_equal(ch->count, ch->expected);
	return e;
}

static void assert_pair(const struct hc_engine *e, int member, enum hc_status status,
                        enum hc_reason reason, const char *detail)
{
	const struct hc_view *v = hc_view(e, 0, member);

	assert_int_equal(v->health.status, status);
	assert_int_equal(v->last.reason, reason);
	assert_string_equal(v->last.detail, detail);
	/* a pair decided early may have been checked again meanwhile */
	assert_true(v->checks >= 1);
	assert_int_equal(v->failures, status == HC_STATUS_UP ? 0 : v->checks);
	assert_true(v->last_change > 0);
	assert_true(v->last.duration_ms >= 0);
}

static void test_engine_patroni_head(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct conf *c = test_conf("HEAD");
	struct stub patroni, unavailable;
	struct changes ch = { 0 };
	struct hc_engine *e;

	(void)state;
	/* Patroni's exact HEAD answer: no headers, no length, then close. */
	stub_start(&patroni, loop, "HTTP/1.0 200 OK\r\n\r\n");
	stub_start(&unavailable, loop,
	           "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	           "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
	add_member(c, "pg-1", patroni.port);
	add_member(c, "pg-2", unavailable.port);
	e = run_until_decided(c, &ch);

	assert_pair(e, 0, HC_STATUS_UP, HC_REASON_PASSED, "HTTP 200");
	assert_int_equal(hc_view(e, 0, 0)->last.http_status, 200);
	assert_true(hc_is_up(e, 0, 0));
	assert_int_equal(ch.from[0], HC_STATUS_INIT);
	assert_int_equal(ch.to[0], HC_STATUS_UP);
	assert_pair(e, 1, HC_STATUS_DOWN, HC_REASON_STATUS, "HTTP 503");
	assert_false(hc_is_up(e, 0, 1));
	assert_int_equal(ch.to[1], HC_STATUS_DOWN);
	assert_int_equal(hc_view(e, 0, 1)->down_transitions, 0);

	assert_non_null(strstr(patroni.request, "HEAD /primary HTTP/1.1\r\n"));
	assert_non_null(strstr(patroni.request, "User-Agent: pgfront-check\r\n"));
	hc_engine_stop(e);
	stub_stop(&patroni);
	stub_stop(&unavailable);
	free(c);
}

static void test_engine_patroni_get_and_options(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	const char *methods[] = { "GET", "OPTIONS" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct conf *c = test_conf(methods[i]);
		struct stub patroni;
		struct changes ch = { 0 };
		struct hc_engine *e;
		char line[64];

		/* With no length, a GET or OPTIONS body ends at the close. */
		stub_start(&patroni, loop, "HTTP/1.0 200 OK\r\n\r\n{\"role\": \"master\"}");
		add_member(c, "pg-1", patroni.port);
		e = run_until_decided(c, &ch);
		assert_pair(e, 0, HC_STATUS_UP, HC_REASON_PASSED, "HTTP 200");
		snprintf(line, sizeof line, "%s /primary HTTP/1.1\r\n", methods[i]);
		assert_non_null(strstr(patroni.request, line));
		hc_engine_stop(e);
		stub_stop(&patroni);
		free(c);
	}
}

static void test_engine_failures(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct conf *c = test_conf("HEAD");
	struct stub silent, garbage, empty;
	struct changes ch = { 0 };
	struct hc_engine *e;

	(void)state;
	stub_start(&silent, loop, NULL);
	stub_start(&garbage, loop, "hello\n");
	stub_start(&empty, loop, "");
	add_member(c, "refused", closed_port());
	add_member(c, "silent", silent.port);
	add_member(c, "garbage", garbage.port);
	add_member(c, "empty", empty.port);
	e = run_until_decided(c, &ch);

	assert_pair(e, 0, HC_STATUS_DOWN, HC_REASON_REFUSED, "connection refused");
	assert_pair(e, 1, HC_STATUS_DOWN, HC_REASON_TIMEOUT, "timeout after 200 ms");
	assert_true(hc_view(e, 0, 1)->last.duration_ms >= 190);
	assert_pair(e, 2, HC_STATUS_DOWN, HC_REASON_MALFORMED, "malformed reply");
	assert_pair(e, 3, HC_STATUS_DOWN, HC_REASON_MALFORMED, "empty reply");
	for (int m = 0; m < 4; m++)
		assert_int_equal(ch.from[m], HC_STATUS_INIT);
	hc_engine_stop(e);
	stub_stop(&silent);
	stub_stop(&garbage);
	stub_stop(&empty);
	free(c);
}

/*
 * MAINT freezes a pair's status: its UP no longer counts for the listener
 * (hc_listener_has_up, which VRRP tracking reads), and counts again only
 * once a check after MAINT has passed. Both are told to on_change.
 */
static void test_engine_maint_is_not_up_until_checked_again(void **state)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct conf *c = test_conf("HEAD");
	struct stub patroni;
	struct changes ch = { 0 };
	struct hc_engine *e;
	ev_timer deadline;

	(void)state;
	stub_start(&patroni, loop, "HTTP/1.0 200 OK\r\n\r\n");
	add_member(c, "pg-1", patroni.port);
	e = run_until_decided(c, &ch);
	assert_true(hc_listener_has_up(e, 0));

	ch.count = 0;
	ch.expected = 2;
	hc_set_paused(e, 0, 0, true);
	assert_int_equal(ch.count, 1);
	assert_true(ch.stale_changed[0]);
	assert_int_equal(ch.from[0], HC_STATUS_UP);
	assert_int_equal(ch.to[0], HC_STATUS_UP);
	assert_true(hc_is_up(e, 0, 0));            /* the status itself is frozen */
	assert_false(hc_listener_has_up(e, 0));
	hc_set_paused(e, 0, 0, true);              /* no change, nothing told */
	assert_int_equal(ch.count, 1);

	hc_set_paused(e, 0, 0, false);
	assert_false(hc_listener_has_up(e, 0));    /* not checked since */
	ch.stale_changed[0] = false;
	ev_timer_init(&deadline, on_deadline, 3., 0.);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &deadline);
	assert_int_equal(ch.count, 2);
	assert_true(ch.stale_changed[0]);
	assert_true(hc_listener_has_up(e, 0));
	hc_engine_stop(e);
	stub_stop(&patroni);
	free(c);
}

static void test_engine_rejects_bad_conf(void **state)
{
	struct conf *c = test_conf("HEAD");
	char err[128] = "";

	(void)state;
	add_member(c, "pg-1", 1);
	c->listeners[0].members[0].server = 5;
	assert_null(hc_engine_start(ev_default_loop(0), c, NULL, NULL, err, sizeof err));
	assert_string_equal(err, "postgres_write: member 0 has no server");
	free(c);
}

static void test_engine_without_members(void **state)
{
	struct conf *c = test_conf("HEAD");
	char err[128];
	struct hc_engine *e;

	(void)state;
	e = hc_engine_start(ev_default_loop(0), c, NULL, NULL, err, sizeof err);
	assert_non_null(e);
	hc_engine_stop(e);
	hc_engine_stop(NULL);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_first_pass_goes_up),
		cmocka_unit_test(test_init_first_failure_goes_down),
		cmocka_unit_test(test_init_ignores_large_rise),
		cmocka_unit_test(test_up_stays_up_on_pass),
		cmocka_unit_test(test_up_goes_down_after_fall_failures),
		cmocka_unit_test(test_up_pass_resets_failure_streak),
		cmocka_unit_test(test_down_stays_down_on_failure),
		cmocka_unit_test(test_down_goes_up_after_rise_passes),
		cmocka_unit_test(test_down_failure_resets_pass_streak),
		cmocka_unit_test(test_full_cycle_rise2_fall3),
		cmocka_unit_test(test_rise1_fall1_flips_every_change),
		cmocka_unit_test(test_zero_rise_fall_act_as_one),
		cmocka_unit_test(test_interval_per_state),
		cmocka_unit_test(test_interval_unset_falls_back_to_inter),
		cmocka_unit_test(test_interval_follows_steps),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_engine_patroni_head),
		cmocka_unit_test(test_engine_patroni_get_and_options),
		cmocka_unit_test(test_engine_failures),
		cmocka_unit_test(test_engine_maint_is_not_up_until_checked_again),
		cmocka_unit_test(test_engine_rejects_bad_conf),
		cmocka_unit_test(test_engine_without_members),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	ev_loop_destroy(ev_default_loop(0));
	return failed;
}
