#include "db.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql.h"

#define VERIFY_BATCH 1000            /* ranges per query */
#define CONNECT_TIMEOUT "10"         /* seconds, libpq's connect_timeout */

static void ignore_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static PGconn *connect_db(const char *conninfo)
{
	/* The user's conninfo, expanded from dbname, overrides the keys before it. */
	const char *const keys[] = { "connect_timeout", "fallback_application_name",
	                             "dbname", NULL };
	const char *const values[] = { CONNECT_TIMEOUT, "pgload", conninfo, NULL };

	PGconn *conn = PQconnectdbParams(keys, values, 1);

	/* "relation ... already exists, skipping" is not news. */
	if (conn)
		PQsetNoticeReceiver(conn, ignore_notice, NULL);
	return conn;
}

static void first_line(char *err, size_t errlen, const char *what, const char *msg)
{
	size_t n;

	snprintf(err, errlen, "%s: %s", what, msg ? msg : "out of memory");
	n = strcspn(err, "\n");
	err[n] = '\0';
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup_once(const char *conninfo, const char *sql, char *err, size_t errlen)
{
	PGconn *conn = connect_db(conninfo);
	PGresult *res;
	int rc = -1;

	if (PQstatus(conn) != CONNECTION_OK) {
		first_line(err, errlen, "setup: cannot connect", PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = 0;
	else
		first_line(err, errlen, "setup", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);
	return rc;
}

int pgl_db_setup(const char *conninfo, int rows, double timeout, char *err, size_t errlen)
{
	char sql[1024];
	double deadline = mono() + timeout;

	if (pgl_sql_setup(sql, sizeof(sql), rows) < 0) {
		snprintf(err, errlen, "setup: SQL too long");
		return -1;
	}
	/* Retried on every error, not only connection ones: two pgloads
	 * creating the same table at once make one of them fail (23505). */
	while (setup_once(conninfo, sql, err, errlen) < 0) {
		if (mono() + 0.5 > deadline)
			return -1;
		sleep_s(0.5);
	}
	return 0;
}

/* The text form of a bigint[] of the LO (or HI) ends of N ranges. */
static char *array_text(const struct pgl_range *v, size_t n, bool hi)
{
	size_t cap = 2 + n * 21, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%" PRId64, i ? "," : "",
		                        hi ? v[i].hi : v[i].lo);
	s[len++] = '}';
	s[len] = '\0';
	return s;
}

/* Runs SQL with the four parameters; the caller clears the result. */
static PGresult *run_batch(PGconn *conn, const char *sql, int64_t run_id, int client,
                           const struct pgl_range *v, size_t n)
{
	char id[24], cl[16];
	char *lo = array_text(v, n, false), *hi = array_text(v, n, true);
	const char *params[4] = { id, cl, lo, hi };
	PGresult *res = NULL;

	snprintf(id, sizeof(id), "%" PRId64, run_id);
	snprintf(cl, sizeof(cl), "%d", client);
	if (lo && hi)
		res = PQexecParams(conn, sql, 4, NULL, params, NULL, NULL, 0);
	free(lo);
	free(hi);
	return res;
}

static int sample_missing(PGconn *conn, int64_t run_id, int client,
                          const struct pgl_range *v, size_t n, struct pgl_verify *res)
{
	PGresult *r = run_batch(conn, pgl_sql_list_missing, run_id, client, v, n);
	int rc = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r) && res->nsample < PGL_LOST_SAMPLE; i++) {
			res->sample[res->nsample].client = client;
			res->sample[res->nsample].seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			res->nsample++;
		}
		rc = 0;
	} else {
		first_line(res->error, sizeof(res->error), "verify", PQresultErrorMessage(r));
	}
	PQclear(r);
	return rc;
}

static int verify_batch(PGconn *conn, int64_t run_id, int client,
                        const struct pgl_range *v, size_t n, struct pgl_verify *res)
{
	PGresult *r = run_batch(conn, pgl_sql_count_present, run_id, client, v, n);
	uint64_t want = 0, have;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		first_line(res->error, sizeof(res->error), "verify",
		           r ? PQresultErrorMessage(r) : "out of memory");
		PQclear(r);
		return -1;
	}
	have = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	for (size_t i = 0; i < n; i++)
		want += (uint64_t)(v[i].hi - v[i].lo) + 1;
	res->present += have;
	if (have < want && res->nsample < PGL_LOST_SAMPLE)
		return sample_missing(conn, run_id, client, v, n, res);
	return 0;
}

int pgl_db_verify(const char *conninfo, int64_t run_id, const struct pgl_ranges *acked,
                  int nclients, struct pgl_verify *res)
{
	PGconn *conn;

	memset(res, 0, sizeof(*res));
	for (int c = 0; c < nclients; c++)
		res->acked += acked[c].count;
	conn = connect_db(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		first_line(res->error, sizeof(res->error), "verify: cannot connect",
		           PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PQclear(PQexec(conn, "SET statement_timeout = '120s'"));
	for (int c = 0; c < nclients; c++) {
		for (size_t i = 0; i < acked[c].n; i += VERIFY_BATCH) {
			size_t n = acked[c].n - i < VERIFY_BATCH ? acked[c].n - i : VERIFY_BATCH;

			if (verify_batch(conn, run_id, c, acked[c].v + i, n, res) < 0) {
				PQfinish(conn);
				return -1;
			}
		}
	}
	PQfinish(conn);
	res->lost = res->acked - res->present;
	res->done = true;
	return 0;
}
