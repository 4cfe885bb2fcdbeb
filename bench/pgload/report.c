#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "version.h"

#define MS(us) ((double)(us) / 1000.0)

static bool role_used(const struct pgl_run *run, enum pgl_role r)
{
	return run && run->stats.role[r].clients > 0;
}

static uint64_t err_total(const uint32_t *err)
{
	uint64_t n = 0;

	for (int k = 0; k < PGL_ERR_COUNT; k++)
		n += err[k];
	return n;
}

static void second_role(FILE *f, const struct pgl_sec_role *s)
{
	fprintf(f, "ok=%" PRIu32 " err=%" PRIu64 " up=%" PRIu32, s->ok, err_total(s->err), s->up);
	if (s->ok)
		fprintf(f, " p50=%.2f p95=%.2f p99=%.2f ms", MS(s->p50_us), MS(s->p95_us),
		        MS(s->p99_us));
	for (int k = 0, first = 1; k < PGL_ERR_COUNT; k++) {
		if (!s->err[k])
			continue;
		fprintf(f, "%s%s=%" PRIu32, first ? " (" : " ", pgl_err_name(k), s->err[k]);
		first = 0;
	}
	if (err_total(s->err))
		fputc(')', f);
}

void pgl_report_second(FILE *f, const struct pgl_run *run, size_t i)
{
	const struct pgl_sec *s = &run->stats.secs[i];
	bool sep = false;

	fprintf(f, "pgload: t=%zu", i);
	for (int r = 0; r < PGL_ROLE_COUNT; r++) {
		if (!role_used(run, r))
			continue;
		fprintf(f, "%s %s ", sep ? " |" : "", pgl_role_name(r));
		second_role(f, &s->r[r]);
		sep = true;
	}
	fputc('\n', f);
}

static void summary_role(FILE *f, const struct pgl_run *run, enum pgl_role r)
{
	const struct pgl_role_stats *rs = &run->stats.role[r];
	const struct pgl_gap *g = &rs->outage.longest;

	fprintf(f, "%-6s %6d %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %8.2f %8.2f %8.2f %9.2f"
	        "   %.3f s from t=%.3f%s to t=%.3f%s\n",
	        pgl_role_name(r), rs->clients, rs->ok, rs->phase_err[PGL_PHASE_QUERY],
	        rs->phase_err[PGL_PHASE_CONNECT],
	        MS(pgl_hist_percentile(&rs->run, 50)), MS(pgl_hist_percentile(&rs->run, 95)),
	        MS(pgl_hist_percentile(&rs->run, 99)), MS(rs->run.max), pgl_gap_len(g),
	        g->from - run->t0, g->from_start ? " (start)" : "", g->to - run->t0,
	        g->to_end ? " (end)" : "");
}

static void summary_errors(FILE *f, const struct pgl_run *run, enum pgl_role r)
{
	const struct pgl_role_stats *rs = &run->stats.role[r];

	fprintf(f, "%s errors:", pgl_role_name(r));
	for (int k = 0; k < PGL_ERR_COUNT; k++)
		fprintf(f, " %s=%" PRIu64, pgl_err_name(k), rs->err[k]);
	for (size_t i = 0; i < rs->nsqlstates; i++)
		fprintf(f, "%s%s=%" PRIu64, i ? " " : "  sqlstates: ", rs->sqlstates[i].code,
		        rs->sqlstates[i].n);
	fputc('\n', f);
}

static void summary_verify(FILE *f, const struct pgl_verify *v, bool attempted)
{
	if (!attempted) {
		fputs("acknowledged writes: not verified (--no-verify)\n", f);
		return;
	}
	if (!v->done) {
		fprintf(f, "acknowledged writes: %" PRIu64 ", NOT VERIFIED: %s\n", v->acked,
		        v->error);
		return;
	}
	fprintf(f, "acknowledged writes: %" PRIu64 ", present %" PRIu64 ", LOST %" PRIu64,
	        v->acked, v->present, v->lost);
	for (int i = 0; i < v->nsample; i++)
		fprintf(f, "%s%d/%" PRId64, i ? " " : " (client/seq: ", v->sample[i].client,
		        v->sample[i].seq);
	fputs(v->nsample ? ")\n" : "\n", f);
}

void pgl_report_summary(FILE *f, const struct pgl_run *run, const struct pgl_verify *v,
                        bool verify_attempted)
{
	if (run) {
		const struct pgl_opts *o = run->opts;

		fprintf(f, "pgload run %" PRId64 ": %.2f s%s, %d writers (%s), %d readers\n",
		        run->run_id, run->end - run->t0, run->interrupted ? " (interrupted)" : "",
		        o->writers, pgl_mode_name(o->mode), o->readers);
		fprintf(f, "role   clients         ok failed_tx conn_fail   p50 ms   p95 ms   p99 ms"
		        "    max ms   longest outage\n");
		for (int r = 0; r < PGL_ROLE_COUNT; r++)
			if (role_used(run, r))
				summary_role(f, run, r);
		for (int r = 0; r < PGL_ROLE_COUNT; r++)
			if (role_used(run, r))
				summary_errors(f, run, r);
	}
	if (!run || run->opts->writers > 0)
		summary_verify(f, v, verify_attempted);
}

/* ---- JSON ---- */

static void json_conninfo(struct pgl_json *j, const char *key, const char *conninfo)
{
	char buf[1024];

	if (!conninfo) {
		pgl_json_null(j, key);
		return;
	}
	pgl_conninfo_redact(conninfo, buf, sizeof(buf));
	pgl_json_str(j, key, buf);
}

static void json_gap(struct pgl_json *j, const char *key, const struct pgl_run *run,
                     const struct pgl_gap *g)
{
	pgl_json_object(j, key);
	pgl_json_num(j, "seconds", pgl_gap_len(g), 3);
	pgl_json_num(j, "from_s", g->from - run->t0, 3);
	pgl_json_num(j, "to_s", g->to - run->t0, 3);
	pgl_json_num(j, "from_unix", g->from - run->t0 + run->t0_unix, 3);
	pgl_json_num(j, "to_unix", g->to - run->t0 + run->t0_unix, 3);
	pgl_json_bool(j, "from_start", g->from_start);
	pgl_json_bool(j, "to_end", g->to_end);
	pgl_json_end(j);
}

static void json_latency(struct pgl_json *j, const struct pgl_hist *h)
{
	pgl_json_object(j, "latency_ms");
	pgl_json_uint(j, "count", h->count);
	pgl_json_num(j, "p50", MS(pgl_hist_percentile(h, 50)), 3);
	pgl_json_num(j, "p95", MS(pgl_hist_percentile(h, 95)), 3);
	pgl_json_num(j, "p99", MS(pgl_hist_percentile(h, 99)), 3);
	pgl_json_num(j, "max", MS(h->max), 3);
	pgl_json_end(j);
}

static void json_errors(struct pgl_json *j, const struct pgl_run *run, enum pgl_role r)
{
	const struct pgl_role_stats *rs = &run->stats.role[r];

	pgl_json_object(j, "errors");
	for (int k = 0; k < PGL_ERR_COUNT; k++)
		pgl_json_uint(j, pgl_err_name(k), rs->err[k]);
	pgl_json_end(j);
	pgl_json_object(j, "sqlstates");
	for (size_t i = 0; i < rs->nsqlstates; i++)
		pgl_json_uint(j, rs->sqlstates[i].code, rs->sqlstates[i].n);
	pgl_json_end(j);
	pgl_json_object(j, "error_examples");
	for (int k = 0; k < PGL_ERR_COUNT; k++)
		if (run->example[r][k][0])
			pgl_json_str(j, pgl_err_name(k), run->example[r][k]);
	pgl_json_end(j);
}

static void json_role(struct pgl_json *j, const struct pgl_run *run, enum pgl_role r)
{
	const struct pgl_role_stats *rs = &run->stats.role[r];

	if (!role_used(run, r)) {
		pgl_json_null(j, pgl_role_name(r));
		return;
	}
	pgl_json_object(j, pgl_role_name(r));
	pgl_json_int(j, "clients", rs->clients);
	pgl_json_uint(j, "transactions_ok", rs->ok);
	pgl_json_uint(j, "failed_transactions", rs->phase_err[PGL_PHASE_QUERY]);
	pgl_json_uint(j, "connect_failures", rs->phase_err[PGL_PHASE_CONNECT]);
	json_errors(j, run, r);
	json_latency(j, &rs->run);
	json_gap(j, "longest_outage", run, &rs->outage.longest);
	pgl_json_array(j, "outages");
	for (size_t i = 0; i < rs->outage.nlist; i++)
		json_gap(j, NULL, run, &rs->outage.list[i]);
	pgl_json_end(j);
	pgl_json_uint(j, "outages_not_listed", rs->outage.dropped);
	pgl_json_end(j);
}

static void json_verify(struct pgl_json *j, const struct pgl_verify *v, bool attempted,
                        const char *conninfo)
{
	pgl_json_object(j, "acked_writes");
	pgl_json_uint(j, "acked", v->acked);
	pgl_json_bool(j, "verified", attempted && v->done);
	json_conninfo(j, "verify_conninfo", attempted ? conninfo : NULL);
	if (attempted && v->done) {
		pgl_json_uint(j, "present", v->present);
		pgl_json_uint(j, "lost", v->lost);
	} else {
		pgl_json_null(j, "present");
		pgl_json_null(j, "lost");
	}
	pgl_json_array(j, "lost_sample");
	for (int i = 0; i < v->nsample; i++) {
		pgl_json_object(j, NULL);
		pgl_json_int(j, "client", v->sample[i].client);
		pgl_json_int(j, "seq", v->sample[i].seq);
		pgl_json_end(j);
	}
	pgl_json_end(j);
	pgl_json_str(j, "error", attempted && !v->done ? v->error :
	             (attempted ? NULL : "not verified (--no-verify)"));
	pgl_json_end(j);
}

static void json_second(struct pgl_json *j, const struct pgl_run *run, size_t i)
{
	const struct pgl_sec *s = &run->stats.secs[i];

	pgl_json_object(j, NULL);
	pgl_json_uint(j, "t", i);
	for (int r = 0; r < PGL_ROLE_COUNT; r++) {
		const struct pgl_sec_role *sr = &s->r[r];

		if (!role_used(run, r))
			continue;
		pgl_json_object(j, pgl_role_name(r));
		pgl_json_uint(j, "ok", sr->ok);
		pgl_json_uint(j, "errors", err_total(sr->err));
		pgl_json_object(j, "err");
		for (int k = 0; k < PGL_ERR_COUNT; k++)
			if (sr->err[k])
				pgl_json_uint(j, pgl_err_name(k), sr->err[k]);
		pgl_json_end(j);
		pgl_json_uint(j, "up", sr->up);
		/* No success, no latency: null, not a misleading 0. */
		pgl_json_num(j, "p50_ms", sr->ok ? MS(sr->p50_us) : NAN, 3);
		pgl_json_num(j, "p95_ms", sr->ok ? MS(sr->p95_us) : NAN, 3);
		pgl_json_num(j, "p99_ms", sr->ok ? MS(sr->p99_us) : NAN, 3);
		pgl_json_num(j, "max_ms", sr->ok ? MS(sr->max_us) : NAN, 3);
		pgl_json_end(j);
	}
	pgl_json_end(j);
}

static void json_config(struct pgl_json *j, const struct pgl_opts *o)
{
	pgl_json_object(j, "config");
	pgl_json_int(j, "writers", o->writers);
	pgl_json_int(j, "readers", o->readers);
	pgl_json_str(j, "mode", pgl_mode_name(o->mode));
	json_conninfo(j, "write", o->write_conninfo);
	json_conninfo(j, "read", pgl_opts_read_conninfo(o));
	pgl_json_num(j, "duration_s", o->duration, 3);
	pgl_json_num(j, "backoff_ms", o->backoff * 1000, 1);
	pgl_json_num(j, "connect_timeout_ms", o->connect_timeout * 1000, 1);
	pgl_json_num(j, "query_timeout_ms", o->query_timeout * 1000, 1);
	pgl_json_num(j, "think_ms", o->think * 1000, 1);
	pgl_json_bool(j, "reconnect", o->reconnect);
	pgl_json_num(j, "outage_min_ms", o->outage_min * 1000, 1);
	pgl_json_int(j, "rows", o->rows);
	pgl_json_end(j);
}

static void json_run(struct pgl_json *j, const struct pgl_run *run)
{
	pgl_json_num(j, "start_unix", run->t0_unix, 3);
	pgl_json_num(j, "duration_s", run->end - run->t0, 3);
	pgl_json_bool(j, "interrupted", run->interrupted);
	json_config(j, run->opts);
	for (int r = 0; r < PGL_ROLE_COUNT; r++)
		json_role(j, run, r);
}

int pgl_report_json(const char *path, const char *label, const struct pgl_run *run,
                    int64_t run_id, const struct pgl_verify *v, bool verify_attempted,
                    const char *verify_conninfo, char *err, size_t errlen)
{
	struct pgl_json j;
	FILE *f = fopen(path, "w");

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	pgl_json_init(&j, f);
	pgl_json_object(&j, NULL);
	pgl_json_int(&j, "pgload", PGLOAD_JSON_VERSION);
	pgl_json_str(&j, "version", PGLOAD_VERSION);
	pgl_json_int(&j, "run_id", run_id);
	pgl_json_str(&j, "label", label);
	pgl_json_bool(&j, "verify_only", run == NULL);
	if (run)
		json_run(&j, run);
	json_verify(&j, v, verify_attempted, verify_conninfo);
	pgl_json_array(&j, "timeline");
	for (size_t i = 0; run && i < run->stats.nsecs; i++)
		json_second(&j, run, i);
	pgl_json_end(&j);
	pgl_json_end(&j);
	bool bad = pgl_json_close(&j) < 0;

	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	return 0;
}
