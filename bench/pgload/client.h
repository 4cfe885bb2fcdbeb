/*
 * One pgload client: a libpq connection driven without blocking on the
 * run's libev loop. It connects, runs transactions back to back (or with a
 * think time), and after any error closes the connection, waits the
 * backoff and connects again, until pgl_client_stop().
 *
 *   BACKOFF --timer--> CONNECTING --ok--> SENDING --flushed--> WAITING
 *      ^                  |                                      |
 *      +---- any error or timeout (counted, connection closed) --+
 *                                      WAITING --done--> SENDING (or THINK --timer--> SENDING)
 */
#ifndef PGLOAD_CLIENT_H
#define PGLOAD_CLIENT_H

#include <ev.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "errkind.h"
#include "ranges.h"
#include "stats.h"

struct pgl_run;

enum pgl_cstate {
	PGL_C_IDLE,           /* not started */
	PGL_C_BACKOFF,        /* after an error, before connecting again */
	PGL_C_CONNECTING,
	PGL_C_SENDING,        /* a transaction not yet fully written */
	PGL_C_WAITING,        /* its results not yet all read */
	PGL_C_THINK,          /* between transactions */
	PGL_C_STOPPED,
	PGL_C_COUNT
};

const char *pgl_cstate_name(enum pgl_cstate s);

struct pgl_client {
	struct pgl_run *run;
	int id;               /* within its role: the writer's id is its rows' client */
	enum pgl_role role;
	enum pgl_cstate state;
	PGconn *conn;
	ev_io io;
	ev_timer timer;       /* backoff, think, or the connect/query timeout */
	bool io_active;
	bool up;              /* counted as connected */
	double t_op;          /* when the connect or the transaction began */
	int64_t seq;          /* writer: sequence number of the transaction in flight */
	/* The transaction in flight: the first error result, if any. */
	bool failed;
	enum pgl_err err;
	char sqlstate[PGL_SQLSTATE_LEN + 1];
	char message[256];
	/* A WARNING 57P01/57P02 notice (immediate shutdown, a crashed
	 * sibling): the end of the connection that follows is a shutdown. */
	char notice_sqlstate[PGL_SQLSTATE_LEN + 1];
	char notice[256];
	struct pgl_ranges acked; /* writer: sequence numbers acknowledged */
	bool out_of_memory;      /* acked could not grow: verification is incomplete */
};

void pgl_client_init(struct pgl_client *c, struct pgl_run *run, enum pgl_role role, int id);
void pgl_client_start(struct pgl_client *c);
/* Time is up: a client with a transaction in flight lets it finish (then
 * stops, and tells pgl_run_drained()); any other stops now. Returns
 * whether it is still busy. */
bool pgl_client_drain(struct pgl_client *c);
/* Stops the watchers and closes the connection; a transaction in flight is
 * neither acknowledged nor counted as failed. */
void pgl_client_stop(struct pgl_client *c);
void pgl_client_free(struct pgl_client *c);

#endif
