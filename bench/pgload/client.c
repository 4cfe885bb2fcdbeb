#include "client.h"

#include <stdio.h>
#include <string.h>

#include "run.h"
#include "sql.h"

const char *pgl_cstate_name(enum pgl_cstate s)
{
	static const char *const names[PGL_C_COUNT] = {
		[PGL_C_IDLE] = "idle",
		[PGL_C_BACKOFF] = "backoff",
		[PGL_C_CONNECTING] = "connecting",
		[PGL_C_SENDING] = "sending",
		[PGL_C_WAITING] = "waiting",
		[PGL_C_THINK] = "think",
		[PGL_C_STOPPED] = "stopped",
	};
	return (unsigned)s < PGL_C_COUNT ? names[s] : "?";
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void connect_start(struct pgl_client *c);
static void send_next(struct pgl_client *c);

void pgl_client_init(struct pgl_client *c, struct pgl_run *run, enum pgl_role role, int id)
{
	memset(c, 0, sizeof(*c));
	c->run = run;
	c->role = role;
	c->id = id;
	c->state = PGL_C_IDLE;
	ev_init(&c->io, io_cb);
	ev_init(&c->timer, timer_cb);
	c->io.data = c->timer.data = c;
}

/* Watches FD for EVENTS. The fd is set again every time: libpq may have
 * closed the old socket and opened another under the same number while
 * connecting, which epoll only learns about through a fresh registration. */
static void watch(struct pgl_client *c, int fd, int events)
{
	if (c->io_active && c->state != PGL_C_CONNECTING && c->io.fd == fd &&
	    (c->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	if (c->io_active)
		ev_io_stop(c->run->loop, &c->io);
	ev_io_set(&c->io, fd, events);
	ev_io_start(c->run->loop, &c->io);
	c->io_active = true;
}

static void unwatch(struct pgl_client *c)
{
	if (c->io_active)
		ev_io_stop(c->run->loop, &c->io);
	c->io_active = false;
}

static void arm_timer(struct pgl_client *c, double after)
{
	ev_timer_stop(c->run->loop, &c->timer);
	ev_timer_set(&c->timer, after, 0.);
	ev_timer_start(c->run->loop, &c->timer);
}

static void close_conn(struct pgl_client *c)
{
	unwatch(c);
	ev_timer_stop(c->run->loop, &c->timer);
	if (c->conn) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
	if (c->up) {
		pgl_run_set_up(c->run, c->role, -1);
		c->up = false;
	}
}

static void drained(struct pgl_client *c)
{
	close_conn(c);
	c->state = PGL_C_STOPPED;
	pgl_run_drained(c->run);
}

/* Every failure ends here: count it, drop the connection, back off. */
static void fail(struct pgl_client *c, enum pgl_err kind, enum pgl_phase phase,
                 const char *sqlstate, const char *message)
{
	pgl_run_error(c->run, c->role, c->id, kind, phase, sqlstate, message);
	if (c->run->draining) {
		drained(c);
		return;
	}
	close_conn(c);
	c->state = PGL_C_BACKOFF;
	arm_timer(c, c->run->opts->backoff);
}

/* A failure described by libpq's connection-level message. */
static void fail_conn(struct pgl_client *c, enum pgl_phase phase)
{
	char found[PGL_SQLSTATE_LEN + 1];
	const char *msg = c->conn ? PQerrorMessage(c->conn) : "out of memory";
	enum pgl_err kind = pgl_err_classify(NULL, msg, found);

	if (kind == PGL_ERR_CLOSED && c->notice_sqlstate[0]) {
		fail(c, pgl_err_classify(c->notice_sqlstate, c->notice, found), phase, found,
		     c->notice);
		return;
	}
	fail(c, kind, phase, found, msg);
}

/* Notices are not printed (CREATE TABLE IF NOT EXISTS, ...); the one that
 * announces the end of the connection is kept. */
static void notice_cb(void *arg, const PGresult *res)
{
	struct pgl_client *c = arg;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char found[PGL_SQLSTATE_LEN + 1];

	if (state && pgl_err_classify(state, NULL, found) == PGL_ERR_SHUTDOWN) {
		snprintf(c->notice_sqlstate, sizeof(c->notice_sqlstate), "%s", found);
		snprintf(c->notice, sizeof(c->notice), "%s", PQresultErrorMessage(res));
	}
}

static void connected(struct pgl_client *c)
{
	if (PQsetnonblocking(c->conn, 1) != 0) {
		fail_conn(c, PGL_PHASE_CONNECT);
		return;
	}
	c->up = true;
	pgl_run_set_up(c->run, c->role, +1);
	send_next(c);
}

/* One step of libpq's connection sequence. */
static void connect_poll(struct pgl_client *c)
{
	switch (PQconnectPoll(c->conn)) {
	case PGRES_POLLING_OK:
		ev_timer_stop(c->run->loop, &c->timer);
		connected(c);
		return;
	case PGRES_POLLING_READING:
		watch(c, PQsocket(c->conn), EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		watch(c, PQsocket(c->conn), EV_WRITE);
		return;
	default:                  /* PGRES_POLLING_FAILED */
		fail_conn(c, PGL_PHASE_CONNECT);
	}
}

static void connect_start(struct pgl_client *c)
{
	const char *conninfo = c->role == PGL_ROLE_WRITE
		? c->run->opts->write_conninfo : pgl_opts_read_conninfo(c->run->opts);
	/* fallback_application_name first: the user's conninfo may override it. */
	const char *const keys[] = { "fallback_application_name", "dbname", NULL };
	const char *const values[] = { "pgload", conninfo, NULL };

	c->state = PGL_C_CONNECTING;
	c->t_op = pgl_now();
	c->notice_sqlstate[0] = c->notice[0] = '\0';
	c->conn = PQconnectStartParams(keys, values, 1);
	if (!c->conn || PQstatus(c->conn) == CONNECTION_BAD) {
		fail_conn(c, PGL_PHASE_CONNECT);
		return;
	}
	PQsetNoticeReceiver(c->conn, notice_cb, c);
	/* So that a server's refusal reads "FATAL:  57P03: ...": libpq keeps
	 * no SQLSTATE of a connection-time error but its text. */
	PQsetErrorVerbosity(c->conn, PQERRORS_VERBOSE);
	arm_timer(c, c->run->opts->connect_timeout);
	/* As if PQconnectPoll had last answered PGRES_POLLING_WRITING. */
	watch(c, PQsocket(c->conn), EV_WRITE);
}

/* Writes what libpq holds; then waits for the answer. */
static void flush(struct pgl_client *c)
{
	switch (PQflush(c->conn)) {
	case 0:
		c->state = PGL_C_WAITING;
		watch(c, PQsocket(c->conn), EV_READ);
		return;
	case 1:
		c->state = PGL_C_SENDING;
		watch(c, PQsocket(c->conn), EV_READ | EV_WRITE);
		return;
	default:
		fail_conn(c, PGL_PHASE_QUERY);
	}
}

static void send_next(struct pgl_client *c)
{
	const struct pgl_opts *o = c->run->opts;
	char sql[PGL_SQL_MAX];
	int aid = pgl_run_random(c->run, o->rows);

	if (c->role == PGL_ROLE_WRITE) {
		c->seq++;
		pgl_sql_write(sql, sizeof(sql), o->mode, c->run->run_id, c->id, c->seq, aid,
		              pgl_run_random(c->run, 10001) - 5001);
	} else {
		pgl_sql_read(sql, sizeof(sql), aid);
	}
	c->failed = false;
	c->sqlstate[0] = c->message[0] = '\0';
	c->t_op = pgl_now();
	c->state = PGL_C_SENDING;
	arm_timer(c, o->query_timeout);
	if (!PQsendQuery(c->conn, sql)) {
		fail_conn(c, PGL_PHASE_QUERY);
		return;
	}
	flush(c);
}

/* The next transaction, on a new connection when the last one was closed. */
static void next_op(struct pgl_client *c)
{
	if (c->conn)
		send_next(c);
	else
		connect_start(c);
}

/* Notes one result of the transaction: only its first error counts. */
static void take_result(struct pgl_client *c, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || c->failed)
		return;
	c->failed = true;
	c->err = pgl_err_classify(PQresultErrorField(res, PG_DIAG_SQLSTATE),
	                          PQresultErrorMessage(res), c->sqlstate);
	snprintf(c->message, sizeof(c->message), "%s", PQresultErrorMessage(res));
}

static void transaction_done(struct pgl_client *c)
{
	double now = pgl_now();

	ev_timer_stop(c->run->loop, &c->timer);
	if (c->failed) {
		fail(c, c->err, PGL_PHASE_QUERY, c->sqlstate, c->message);
		return;
	}
	if (c->role == PGL_ROLE_WRITE && pgl_ranges_add(&c->acked, c->seq) < 0 &&
	    !c->out_of_memory) {
		pgl_log("write client %d: out of memory for acknowledged ids", c->id);
		c->out_of_memory = true;
	}
	pgl_run_ok(c->run, c->role, now, now - c->t_op);
	if (c->run->draining) {
		drained(c);
		return;
	}
	/* --reconnect: every transaction pays a whole session (PQfinish sends
	 * Terminate), as an application without a pool does. */
	if (c->run->opts->reconnect)
		close_conn(c);
	if (c->run->opts->think > 0) {
		unwatch(c);
		c->state = PGL_C_THINK;
		arm_timer(c, c->run->opts->think);
		return;
	}
	next_op(c);
}

/* Reads what arrived and collects every complete result. */
static void read_results(struct pgl_client *c)
{
	if (!PQconsumeInput(c->conn)) {
		/* The connection is gone. A FATAL error read before it (57P01
		 * at a fast shutdown) says more than the end of the stream. */
		if (c->failed)
			fail(c, c->err, PGL_PHASE_QUERY, c->sqlstate, c->message);
		else
			fail_conn(c, PGL_PHASE_QUERY);
		return;
	}
	while (!PQisBusy(c->conn)) {
		PGresult *res = PQgetResult(c->conn);

		if (!res) {
			transaction_done(c);
			return;
		}
		take_result(c, res);
		PQclear(res);
	}
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pgl_client *c = w->data;

	(void)loop;
	switch (c->state) {
	case PGL_C_CONNECTING:
		connect_poll(c);
		return;
	case PGL_C_SENDING:
		/* libpq: while a flush is pending, read what the server sends
		 * (it may be waiting for us to), then flush again. */
		if ((revents & EV_READ) && !PQconsumeInput(c->conn)) {
			fail_conn(c, PGL_PHASE_QUERY);
			return;
		}
		flush(c);
		return;
	case PGL_C_WAITING:
		read_results(c);
		return;
	default:
		pgl_log("%s client %d: socket event not expected in state %s; ignored",
		        pgl_role_name(c->role), c->id, pgl_cstate_name(c->state));
		unwatch(c);
	}
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pgl_client *c = w->data;
	char msg[96];

	(void)loop;
	(void)revents;
	switch (c->state) {
	case PGL_C_BACKOFF:
		connect_start(c);
		return;
	case PGL_C_THINK:
		next_op(c);
		return;
	case PGL_C_CONNECTING:
	case PGL_C_SENDING:
	case PGL_C_WAITING:
		snprintf(msg, sizeof(msg), "pgload: no answer within %.0f ms while %s",
		         (pgl_now() - c->t_op) * 1000, pgl_cstate_name(c->state));
		fail(c, PGL_ERR_TIMEOUT,
		     c->state == PGL_C_CONNECTING ? PGL_PHASE_CONNECT : PGL_PHASE_QUERY, "", msg);
		return;
	default:
		pgl_log("%s client %d: timer not expected in state %s; ignored",
		        pgl_role_name(c->role), c->id, pgl_cstate_name(c->state));
	}
}

void pgl_client_start(struct pgl_client *c)
{
	connect_start(c);
}

bool pgl_client_drain(struct pgl_client *c)
{
	if (c->state == PGL_C_SENDING || c->state == PGL_C_WAITING)
		return true;
	pgl_client_stop(c);
	return false;
}

void pgl_client_stop(struct pgl_client *c)
{
	close_conn(c);
	c->state = PGL_C_STOPPED;
}

void pgl_client_free(struct pgl_client *c)
{
	pgl_client_stop(c);
	pgl_ranges_free(&c->acked);
}
