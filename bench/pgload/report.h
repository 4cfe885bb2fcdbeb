/*
 * What pgload prints: a line per second (stderr), the summary (stdout), and
 * the JSON report whose fields bench/README.md documents.
 */
#ifndef PGLOAD_REPORT_H
#define PGLOAD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "run.h"

void pgl_report_second(FILE *f, const struct pgl_run *run, size_t i);
/* RUN is NULL for --verify-only. */
void pgl_report_summary(FILE *f, const struct pgl_run *run, const struct pgl_verify *v,
                        bool verify_attempted);
/* LABEL may be NULL (written as null). */
int pgl_report_json(const char *path, const char *label, const struct pgl_run *run,
                    int64_t run_id, const struct pgl_verify *v, bool verify_attempted,
                    const char *verify_conninfo, char *err, size_t errlen);

#endif
