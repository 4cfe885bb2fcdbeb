#include "sql.h"

#include <inttypes.h>
#include <stdio.h>

static int fits(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int pgl_sql_write(char *buf, size_t cap, enum pgl_mode mode, int64_t run_id,
                  int client, int64_t seq, int aid, int delta)
{
	int n;

	if (mode == PGL_MODE_TPCB)
		n = snprintf(buf, cap,
		             "BEGIN;"
		             "UPDATE pgload_accounts SET balance = balance + %d WHERE aid = %d;"
		             "INSERT INTO pgload_rows (run_id, client, seq) VALUES (%" PRId64
		             ", %d, %" PRId64 ");"
		             "COMMIT",
		             delta, aid, run_id, client, seq);
	else
		n = snprintf(buf, cap,
		             "INSERT INTO pgload_rows (run_id, client, seq) VALUES (%" PRId64
		             ", %d, %" PRId64 ")",
		             run_id, client, seq);
	return fits(n, cap);
}

int pgl_sql_read(char *buf, size_t cap, int aid)
{
	return fits(snprintf(buf, cap, "SELECT balance FROM pgload_accounts WHERE aid = %d",
	                     aid), cap);
}

int pgl_sql_setup(char *buf, size_t cap, int rows)
{
	return fits(snprintf(buf, cap,
		"CREATE TABLE IF NOT EXISTS pgload_rows ("
		" run_id bigint NOT NULL, client integer NOT NULL, seq bigint NOT NULL,"
		" at timestamptz NOT NULL DEFAULT clock_timestamp(),"
		" PRIMARY KEY (run_id, client, seq));"
		"CREATE TABLE IF NOT EXISTS pgload_accounts ("
		" aid integer PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);"
		"INSERT INTO pgload_accounts (aid) SELECT g FROM generate_series(1, %d) g"
		" WHERE NOT EXISTS (SELECT 1 FROM pgload_accounts WHERE aid = %d)"
		" ON CONFLICT DO NOTHING",
		rows, rows), cap);
}

const char pgl_sql_count_present[] =
	"SELECT coalesce(sum((SELECT count(*) FROM pgload_rows p"
	"  WHERE p.run_id = $1 AND p.client = $2 AND p.seq BETWEEN r.lo AND r.hi)), 0)"
	" FROM unnest($3::bigint[], $4::bigint[]) AS r(lo, hi)";

const char pgl_sql_list_missing[] =
	"SELECT s FROM unnest($3::bigint[], $4::bigint[]) AS r(lo, hi),"
	" generate_series(r.lo, r.hi) AS s"
	" WHERE NOT EXISTS (SELECT 1 FROM pgload_rows p"
	"  WHERE p.run_id = $1 AND p.client = $2 AND p.seq = s)"
	" ORDER BY s LIMIT 10";
