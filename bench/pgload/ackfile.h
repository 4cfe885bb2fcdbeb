/*
 * The acknowledged ids of a run in a text file, so that they can be
 * checked later (pgload --verify-only), e.g. after a drill has let the
 * cluster settle, or after a test has removed a row on purpose:
 *
 *   # pgload acked v1
 *   run_id 8123456789
 *   clients 50
 *   range 0 1 5213          client 0 had 1..5213 acknowledged
 *   range 0 5215 9000
 */
#ifndef PGLOAD_ACKFILE_H
#define PGLOAD_ACKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ranges.h"

/* 0, or -1 with ERR filled. */
int pgl_ackfile_write(const char *path, int64_t run_id, const struct pgl_ranges *acked,
                      int nclients, char *err, size_t errlen);
/* Allocates *ACKED (one per client, *NCLIENTS of them). 0, or -1 with ERR
 * ("FILE:LINE: ..."). */
int pgl_ackfile_read(const char *path, int64_t *run_id, struct pgl_ranges **acked,
                     int *nclients, char *err, size_t errlen);

#endif
