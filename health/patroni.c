/*
 * patroni — what Patroni's REST API says beyond its status code, and what a
 * result is worth as evidence.
 *
 * Patroni answers /primary from two sources: the status code says whether
 * it holds the leader lock, the JSON body what PostgreSQL itself reported to
 * its last query (role master/primary only once promotion has finished, and
 * state). During a switchover the body tells the truth first on the old
 * primary (state stopping while the code is still 200), and the code first
 * on the new one (200 while role is still replica): only the two together
 * prove a writable primary.
 *
 * Pure: no I/O, no logging; the unit tests feed it real Patroni bodies.
 */
#include <string.h>

#include <jansson.h>

#include "health/health.h"

static void copy_string(json_t *obj, const char *key, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(obj, key));

	out[0] = '\0';
	if (v && strlen(v) < size)
		strcpy(out, v);
}

/* A position in bytes, as Patroni writes it (an integer); 0 if absent or odd. */
static long long wal_field(json_t *xlog, const char *key)
{
	json_t *v = json_object_get(xlog, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

int hc_patroni_parse(const char *body, size_t len, struct hc_patroni *out)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *timeline, *xlog;

	memset(out, 0, sizeof *out);
	if (!root)
		return -1;
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	out->present = true;
	copy_string(root, "role", out->role, sizeof out->role);
	copy_string(root, "state", out->state, sizeof out->state);
	timeline = json_object_get(root, "timeline");
	if (json_is_integer(timeline) && json_integer_value(timeline) > 0)
		out->timeline = json_integer_value(timeline);
	xlog = json_object_get(root, "xlog");
	if (json_is_object(xlog)) {
		out->wal_position = wal_field(xlog, "location");
		out->wal_received = wal_field(xlog, "received_location");
		out->wal_replayed = wal_field(xlog, "replayed_location");
	}
	json_decref(root);
	return 0;
}

/* Patroni 3.0 says master, later releases primary. */
static bool is_primary_role(const char *role)
{
	return !strcmp(role, "master") || !strcmp(role, "primary");
}

/*
 * The body says this node is no writable primary and will not be one again
 * in a moment: another role (replica, demoted, standby_leader), or
 * PostgreSQL not running (stopping, stopped, starting, crashed...).
 * "unknown" is Patroni failing its own status query: no verdict.
 */
static bool says_gone(const struct hc_patroni *p)
{
	if (p->role[0] && !is_primary_role(p->role))
		return true;
	return p->state[0] && strcmp(p->state, "running") && strcmp(p->state, "unknown");
}

enum hc_evidence hc_evidence_of(const struct hc_result *r, enum conf_check_body body)
{
	const struct hc_patroni *p = &r->patroni;
	bool read = body == CONF_CHECK_BODY_PATRONI && p->present;

	if (r->reason != HC_REASON_PASSED && r->reason != HC_REASON_STATUS)
		return HC_EVIDENCE_SILENCE;
	if (read && says_gone(p))
		return HC_EVIDENCE_GONE;
	if (r->reason == HC_REASON_STATUS)
		return HC_EVIDENCE_DENIAL;
	if (!read)
		return HC_EVIDENCE_PASS;
	if (is_primary_role(p->role) && !strcmp(p->state, "running"))
		return HC_EVIDENCE_PROOF;
	return HC_EVIDENCE_DENIAL; /* the lock, but no report of a running primary */
}
