/*
 * The SQL pgload sends. Pure: builds text, does no I/O.
 *
 *   pgload_rows(run_id, client, seq) primary key: one row per acknowledged
 *   write; pgload_accounts(aid, balance): what readers select and TPC-B
 *   updates.
 */
#ifndef PGLOAD_SQL_H
#define PGLOAD_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"

#define PGL_SQL_MAX 512

/* The writer's transaction; returns the length, or -1 if it did not fit. */
int pgl_sql_write(char *buf, size_t cap, enum pgl_mode mode, int64_t run_id,
                  int client, int64_t seq, int aid, int delta);
/* The reader's point select. */
int pgl_sql_read(char *buf, size_t cap, int aid);
/* Creates the tables if missing and fills pgload_accounts up to ROWS. */
int pgl_sql_setup(char *buf, size_t cap, int rows);

/* Verification, with $1 run_id, $2 client, $3 and $4 bigint[] of the
 * acknowledged ranges' low and high ends: how many are there, and (for
 * the report) the first few that are not. */
extern const char pgl_sql_count_present[];
extern const char pgl_sql_list_missing[];

#endif
