/*
 * pgload's blocking conversations with PostgreSQL, before and after the
 * load: creating the tables, and checking the acknowledged writes.
 */
#ifndef PGLOAD_DB_H
#define PGLOAD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "ranges.h"

#define PGL_LOST_SAMPLE 10

struct pgl_verify {
	bool done;                   /* every client's ids were checked */
	uint64_t acked;
	uint64_t present;
	uint64_t lost;               /* acked - present, when done */
	int nsample;
	struct { int client; int64_t seq; } sample[PGL_LOST_SAMPLE];
	char error[512];             /* why not done */
};

/* Creates the tables (sql.h), retrying for up to TIMEOUT seconds while the
 * server cannot be reached. 0, or -1 with ERR. */
int pgl_db_setup(const char *conninfo, int rows, double timeout, char *err, size_t errlen);

/* Counts which of the acknowledged ids of RUN_ID are in pgload_rows at
 * CONNINFO. Always fills RES; returns 0 when done. */
int pgl_db_verify(const char *conninfo, int64_t run_id, const struct pgl_ranges *acked,
                  int nclients, struct pgl_verify *res);

#endif
