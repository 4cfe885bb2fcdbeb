/*
 * health: the write port's rules, pure. Patroni's bodies as Patroni 3.0.2
 * sent them (captured from scripts/cluster during a switchover; one built
 * after its code), what each result is worth as evidence, and
 * hc_step_single through every (state, evidence) pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "health/health.h"

/* GET /primary during `patronictl switchover --candidate pg2`, polled every 50 ms. */
/* pg1, the primary */
static const char primary_body[] =
	"{\"state\": \"running\", \"postmaster_start_time\": \"2026-11-29 05:00:32.383524+00:"
	"00\", \"role\": \"master\", \"server_version\": 150018, \"xlog\": {\"location\": 671"
	"08864}, \"timeline\": 1, \"replication\": [{\"usename\": \"replicator\", \"applicati"
	"on_name\": \"pg2\", \"client_addr\": \"127.0.0.1\", \"state\": \"streaming\", \"sync"
	"_state\": \"async\", \"sync_priority\": 0}, {\"usename\": \"replicator\", \"applicat"
	"ion_name\": \"pg3\", \"client_addr\": \"127.0.0.1\", \"state\": \"streaming\", \"syn"
	"c_state\": \"async\", \"sync_priority\": 0}], \"dcs_last_seen\": 1795928447, \"datab"
	"ase_system_identifier\": \"7713453877763397430\", \"patroni\": {\"version\": \"3.0.2"
	"\", \"scope\": \"pgfront-demo\"}}";
/* pg2 holds the lock, promotion not finished */
static const char promoting_body[] =
	"{\"state\": \"running\", \"postmaster_start_time\": \"2026-11-29 05:00:35.312562+00:"
	"00\", \"role\": \"replica\", \"server_version\": 150018, \"xlog\": {\"received_locat"
	"ion\": 67109200, \"replayed_location\": 67109200, \"replayed_timestamp\": null, \"pa"
	"used\": false}, \"timeline\": 1, \"cluster_unlocked\": true, \"dcs_last_seen\": 1795"
	"928453, \"database_system_identifier\": \"7713453877763397430\", \"patroni\": {\"ver"
	"sion\": \"3.0.2\", \"scope\": \"pgfront-demo\"}}";
/* pg1 shutting down, still 200 */
static const char stopping_body[] =
	"{\"state\": \"stopping\", \"role\": \"master\", \"dcs_last_seen\": 1795928452, \"dat"
	"abase_system_identifier\": \"7713453877763397430\", \"patroni\": {\"version\": \"3.0"
	".2\", \"scope\": \"pgfront-demo\"}}";
/* pg1 demoted */
static const char demoted_body[] =
	"{\"state\": \"stopped\", \"role\": \"demoted\", \"dcs_last_seen\": 1795928453, \"dat"
	"abase_system_identifier\": \"7713453877763397430\", \"patroni\": {\"version\": \"3.0"
	".2\", \"scope\": \"pgfront-demo\"}}";
/* Not captured: Patroni's answer when its own status query fails (api.py,
 * get_postgresql_status's except branch). */
static const char unknown_body[] = "{\"state\": \"unknown\", \"role\": \"master\"}";

static struct hc_result answer(int status, const char *body)
{
	struct hc_result r = { .http_status = status };

	r.reason = status == 200 ? HC_REASON_PASSED : status ? HC_REASON_STATUS : HC_REASON_TIMEOUT;
	if (body)
		assert_int_equal(hc_patroni_parse(body, strlen(body), &r.patroni), 0);
	return r;
}

static void test_parse_real_bodies(void **state)
{
	struct hc_patroni p;

	(void)state;
	assert_int_equal(hc_patroni_parse(primary_body, strlen(primary_body), &p), 0);
	assert_true(p.present);
	assert_string_equal(p.role, "master");
	assert_string_equal(p.state, "running");
	assert_int_equal(p.timeline, 1);
	assert_int_equal(p.wal_position, 67108864);
	assert_int_equal(p.wal_replayed, 0);
	assert_int_equal(hc_patroni_parse(promoting_body, strlen(promoting_body), &p), 0);
	assert_string_equal(p.role, "replica");
	assert_int_equal(p.wal_position, 0);
	assert_int_equal(p.wal_received, 67109200);
	assert_int_equal(p.wal_replayed, 67109200);
	assert_int_equal(hc_patroni_parse(stopping_body, strlen(stopping_body), &p), 0);
	assert_string_equal(p.state, "stopping");
	assert_int_equal(p.timeline, 0);
	assert_int_equal(p.wal_position, 0);
}

static void test_parse_rejects_what_is_not_an_object(void **state)
{
	const char *bad[] = { "", "hello", "[1,2]", "\"running\"", "{\"role\": ", "null",
	                      "{\"role\": \"master\", \"role\": \"replica\"}" };
	struct hc_patroni p;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&p, 0x55, sizeof p);
		assert_int_equal(hc_patroni_parse(bad[i], strlen(bad[i]), &p), -1);
		assert_false(p.present);
	}
}

static void test_parse_ignores_odd_fields(void **state)
{
	const char *odd = "{\"role\": 5, \"state\": \"a-state-name-far-too-long-to-keep\", "
	                  "\"timeline\": \"16\"}";
	struct hc_patroni p;

	(void)state;
	assert_int_equal(hc_patroni_parse(odd, strlen(odd), &p), 0);
	assert_true(p.present);
	assert_string_equal(p.role, "");
	assert_string_equal(p.state, "");
	assert_int_equal(p.timeline, 0);
	/* the body is not NUL-terminated on the wire: the length is what counts */
	assert_int_equal(hc_patroni_parse("{}garbage", 2, &p), 0);
}

static void test_evidence(void **state)
{
	struct hc_result r;

	(void)state;
	r = answer(200, primary_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_PROOF);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_NONE), HC_EVIDENCE_PASS);
	/* Patroni 3.1+ says primary */
	strcpy(r.patroni.role, "primary");
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_PROOF);
	/* the lock taken, promotion not finished: a 200 that proves nothing yet */
	r = answer(200, promoting_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_GONE);
	/* the old primary, still 200 while PostgreSQL stops */
	r = answer(200, stopping_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_GONE);
	r = answer(503, demoted_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_GONE);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_NONE), HC_EVIDENCE_DENIAL);
	/* Patroni could not run its status query: no verdict on the node either way */
	r = answer(200, unknown_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_DENIAL);
	r = answer(503, unknown_body);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_DENIAL);
	r = answer(503, NULL);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_DENIAL);
	/* a 200 with no JSON (HEAD, or not Patroni): counted as HAProxy would */
	r = answer(200, NULL);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_PASS);
	r = answer(0, NULL);
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_SILENCE);
	r.reason = HC_REASON_REFUSED;
	assert_int_equal(hc_evidence_of(&r, CONF_CHECK_BODY_PATRONI), HC_EVIDENCE_SILENCE);
}

/* ---- hc_step_single, rise 2 fall 3 as in the seed ---- */

struct step {
	bool changed, concluded;
};

static struct step step(struct hc_health *h, enum hc_evidence ev)
{
	struct step s;

	s.changed = hc_step_single(h, 2, 3, ev, true, &s.concluded);
	return s;
}

static struct hc_health up(void)
{
	return (struct hc_health){ .status = HC_STATUS_UP };
}

static void test_a_lone_denial_drops_at_once_and_keeps_sessions(void **state)
{
	struct hc_health h = up();
	struct step s = step(&h, HC_EVIDENCE_DENIAL);

	(void)state;
	assert_true(s.changed);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_false(h.conclusive);
	assert_false(s.concluded);
	/* and the next proof brings it back at once, whatever rise says */
	s = step(&h, HC_EVIDENCE_PROOF);
	assert_true(s.changed);
	assert_int_equal(h.status, HC_STATUS_UP);
}

static void test_denials_become_conclusive_after_fall(void **state)
{
	struct hc_health h = up();

	(void)state;
	assert_false(step(&h, HC_EVIDENCE_DENIAL).concluded);
	assert_false(step(&h, HC_EVIDENCE_SILENCE).concluded);
	assert_true(step(&h, HC_EVIDENCE_DENIAL).concluded);
	assert_true(h.conclusive);
	/* said once */
	assert_false(step(&h, HC_EVIDENCE_DENIAL).concluded);
	assert_true(h.conclusive);
}

static void test_failures_conclude_only_once_ripe(void **state)
{
	struct hc_health h = up();
	bool concluded;

	(void)state;
	/* three denials within a hunt's 300 ms: out of routing, sessions kept */
	for (int i = 0; i < 3; i++)
		hc_step_single(&h, 2, 3, HC_EVIDENCE_DENIAL, false, &concluded);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	assert_false(h.conclusive);
	assert_false(concluded);
	/* the fourth, once they span fall x inter */
	hc_step_single(&h, 2, 3, HC_EVIDENCE_SILENCE, true, &concluded);
	assert_true(concluded);
	/* a body that says gone needs no clock */
	h = up();
	hc_step_single(&h, 2, 3, HC_EVIDENCE_GONE, false, &concluded);
	assert_true(concluded);
}

static void test_gone_is_conclusive_at_once(void **state)
{
	struct hc_health h = up();
	struct step s = step(&h, HC_EVIDENCE_GONE);

	(void)state;
	assert_true(s.changed);
	assert_true(s.concluded);
	assert_int_equal(h.status, HC_STATUS_DOWN);
	/* and a lone DOWN later confirmed by its body */
	h = up();
	step(&h, HC_EVIDENCE_DENIAL);
	s = step(&h, HC_EVIDENCE_GONE);
	assert_false(s.changed);
	assert_true(s.concluded);
}

static void test_silence_counts_toward_fall(void **state)
{
	struct hc_health h = up();
	struct step s;

	(void)state;
	assert_false(step(&h, HC_EVIDENCE_SILENCE).changed);
	assert_false(step(&h, HC_EVIDENCE_SILENCE).changed);
	assert_int_equal(h.status, HC_STATUS_UP);
	s = step(&h, HC_EVIDENCE_SILENCE);
	assert_true(s.changed);
	assert_true(s.concluded);
	/* a pass between silences starts the count again */
	h = up();
	step(&h, HC_EVIDENCE_SILENCE);
	step(&h, HC_EVIDENCE_SILENCE);
	step(&h, HC_EVIDENCE_PASS);
	step(&h, HC_EVIDENCE_SILENCE);
	assert_false(step(&h, HC_EVIDENCE_SILENCE).changed);
	assert_int_equal(h.status, HC_STATUS_UP);
}

static void test_pass_needs_rise_proof_does_not(void **state)
{
	struct hc_health h = { .status = HC_STATUS_DOWN, .conclusive = true };

	(void)state;
	assert_false(step(&h, HC_EVIDENCE_PASS).changed);
	assert_true(step(&h, HC_EVIDENCE_PASS).changed);
	assert_int_equal(h.status, HC_STATUS_UP);
	h = (struct hc_health){ .status = HC_STATUS_DOWN, .conclusive = true };
	assert_true(step(&h, HC_EVIDENCE_PROOF).changed);
	assert_int_equal(h.status, HC_STATUS_UP);
	/* a denial between passes starts rise again */
	h = (struct hc_health){ .status = HC_STATUS_DOWN, .conclusive = true };
	step(&h, HC_EVIDENCE_PASS);
	step(&h, HC_EVIDENCE_DENIAL);
	assert_false(step(&h, HC_EVIDENCE_PASS).changed);
	assert_true(step(&h, HC_EVIDENCE_PASS).changed);
}

static void test_init_decides_on_the_first_result(void **state)
{
	const enum hc_evidence evs[] = { HC_EVIDENCE_PROOF, HC_EVIDENCE_PASS, HC_EVIDENCE_DENIAL,
	                                 HC_EVIDENCE_GONE, HC_EVIDENCE_SILENCE };
	const enum hc_status want[] = { HC_STATUS_UP, HC_STATUS_UP, HC_STATUS_DOWN,
	                                HC_STATUS_DOWN, HC_STATUS_DOWN };

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct hc_health h = { .status = HC_STATUS_INIT };
		struct step s = step(&h, evs[i]);

		assert_true(s.changed);
		assert_int_equal(h.status, want[i]);
		/* nothing was ever routed to it: no session to spare */
		assert_int_equal(h.conclusive, want[i] == HC_STATUS_DOWN);
	}
}

static void test_conclude(void **state)
{
	struct hc_health h = up();

	(void)state;
	assert_false(hc_conclude(&h));          /* an UP server is not concluded DOWN here */
	step(&h, HC_EVIDENCE_DENIAL);
	assert_true(hc_conclude(&h));
	assert_false(hc_conclude(&h));
	assert_true(h.conclusive);
}

static void test_haproxy_rules_are_always_conclusive(void **state)
{
	struct hc_health h = up();

	(void)state;
	hc_step(&h, 2, 3, false);
	hc_step(&h, 2, 3, false);
	assert_false(h.conclusive);
	assert_true(hc_step(&h, 2, 3, false));
	assert_true(h.conclusive);
	assert_int_equal(h.failed, 3);
	assert_string_equal(hc_evidence_name(HC_EVIDENCE_GONE), "gone");
	assert_string_equal(hc_evidence_name((enum hc_evidence)77), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real_bodies),
		cmocka_unit_test(test_parse_rejects_what_is_not_an_object),
		cmocka_unit_test(test_parse_ignores_odd_fields),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_a_lone_denial_drops_at_once_and_keeps_sessions),
		cmocka_unit_test(test_denials_become_conclusive_after_fall),
		cmocka_unit_test(test_failures_conclude_only_once_ripe),
		cmocka_unit_test(test_gone_is_conclusive_at_once),
		cmocka_unit_test(test_silence_counts_toward_fall),
		cmocka_unit_test(test_pass_needs_rise_proof_does_not),
		cmocka_unit_test(test_init_decides_on_the_first_result),
		cmocka_unit_test(test_conclude),
		cmocka_unit_test(test_haproxy_rules_are_always_conclusive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
