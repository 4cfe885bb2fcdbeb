/*
 * libFuzzer target: hc_patroni_parse() on a check reply's body, and what
 * hc_evidence_of() makes of it with every reason and both body modes.
 *
 * Checked besides crashes: a body that is no JSON object leaves nothing
 * behind; the strings kept fit and are terminated; and the evidence keeps
 * the write port's rules whatever the body says: no answer is silence, a
 * body counts only with check_body = patroni, only the expected status with
 * a running primary in the body is proof, and a refusal is never a pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"

static const enum hc_reason reasons[] = {
	HC_REASON_NONE, HC_REASON_PASSED, HC_REASON_STATUS, HC_REASON_REFUSED,
	HC_REASON_TIMEOUT, HC_REASON_MALFORMED, HC_REASON_TLS, HC_REASON_NETWORK,
};

static bool is_primary(const struct hc_patroni *p)
{
	return strcmp(p->role, "master") == 0 || strcmp(p->role, "primary") == 0;
}

static void check_evidence(const struct hc_result *r)
{
	const struct hc_patroni *p = &r->patroni;
	enum hc_evidence plain = hc_evidence_of(r, CONF_CHECK_BODY_NONE);
	enum hc_evidence read = hc_evidence_of(r, CONF_CHECK_BODY_PATRONI);
	bool answered = r->reason == HC_REASON_PASSED || r->reason == HC_REASON_STATUS;

	if (hc_evidence_name(plain) == NULL || hc_evidence_name(read) == NULL)
		abort();
	if (!answered) {
		if (plain != HC_EVIDENCE_SILENCE || read != HC_EVIDENCE_SILENCE)
			abort();
		return;
	}
	/* Without reading the body, the status alone. */
	if (plain != (r->reason == HC_REASON_PASSED ? HC_EVIDENCE_PASS : HC_EVIDENCE_DENIAL))
		abort();
	if (!p->present && read != plain)
		abort();
	if (read == HC_EVIDENCE_PROOF &&
	    (r->reason != HC_REASON_PASSED || !is_primary(p) || strcmp(p->state, "running") != 0))
		abort();
	if (hc_evidence_passed(read) && r->reason != HC_REASON_PASSED)
		abort();
	if (read == HC_EVIDENCE_SILENCE || (read == HC_EVIDENCE_GONE && !p->present))
		abort();
	/* A running primary in the body is never "gone". */
	if (read == HC_EVIDENCE_GONE && is_primary(p) && strcmp(p->state, "running") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hc_patroni none;
	struct hc_result r;
	int rc;

	memset(&r, 0, sizeof r);
	rc = hc_patroni_parse((const char *)data, size, &r.patroni);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && memcmp(&r.patroni, &none, sizeof none) != 0)
		abort();
	if (rc == 0 && (!r.patroni.present || r.patroni.timeline < 0 ||
	                !memchr(r.patroni.role, 0, sizeof r.patroni.role) ||
	                !memchr(r.patroni.state, 0, sizeof r.patroni.state)))
		abort();
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		r.reason = reasons[i];
		r.http_status = reasons[i] == HC_REASON_PASSED ? 200 :
		                reasons[i] == HC_REASON_STATUS ? 503 : 0;
		check_evidence(&r);
	}
	return 0;
}
