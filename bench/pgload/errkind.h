/*
 * What went wrong, in the few kinds a failover drill tells apart. Pure:
 * classifies a SQLSTATE and libpq's message text, does no I/O.
 */
#ifndef PGLOAD_ERRKIND_H
#define PGLOAD_ERRKIND_H

#define PGL_SQLSTATE_LEN 5

enum pgl_err {
	PGL_ERR_REFUSED,        /* TCP connection refused: nothing listens */
	PGL_ERR_CLOSED,         /* the connection ended with no SQLSTATE (EOF, reset) */
	PGL_ERR_READ_ONLY,      /* 25006: a write reached a server that is not the primary */
	PGL_ERR_WRONG_ROLE,     /* target_session_attrs: no host of the list had the role asked for */
	PGL_ERR_CANNOT_CONNECT, /* 57P03 cannot_connect_now: starting, shutting down, pgfront's refusal */
	PGL_ERR_SHUTDOWN,       /* 57P01 admin_shutdown, 57P02 crash_shutdown */
	PGL_ERR_SQLSTATE,       /* any other SQLSTATE */
	PGL_ERR_TIMEOUT,        /* pgload's own connect or query timeout */
	PGL_ERR_OTHER,          /* none of the above (no route, bad conninfo, ...) */
	PGL_ERR_COUNT
};

enum pgl_phase {
	PGL_PHASE_CONNECT,      /* from connect() to the server's ReadyForQuery */
	PGL_PHASE_QUERY,        /* a transaction was sent and did not succeed */
	PGL_PHASE_COUNT
};

/* "refused", "closed", "read_only", "wrong_role", "cannot_connect_now",
 * "shutdown", "other_sqlstate", "timeout", "other": the JSON keys. */
const char *pgl_err_name(enum pgl_err kind);
const char *pgl_phase_name(enum pgl_phase phase);

/*
 * SQLSTATE is the result's field when there is one (NULL otherwise: libpq
 * gives none for connection-time errors), MESSAGE libpq's text, read with
 * PQERRORS_VERBOSE so that a server's error carries "FATAL:  57P03: ".
 * Fills FOUND with the SQLSTATE used ("" if none) and returns the kind.
 */
enum pgl_err pgl_err_classify(const char *sqlstate, const char *message,
                              char found[PGL_SQLSTATE_LEN + 1]);

/* Finds the last "SEVERITY:  XXXXX: " in a verbose libpq message. */
int pgl_err_find_sqlstate(const char *message, char out[PGL_SQLSTATE_LEN + 1]);

#endif
