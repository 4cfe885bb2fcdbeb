/*
 * The rise/fall hysteresis of one (listener, server) pair, as HAProxy counts
 * it, with one difference: pgfront starts a server in INIT, which routes
 * nothing, and lets the very first result decide. And the write port's
 * rules (hc_step_single), where Patroni's answers are verdicts. Waiting for `rise` passes
 * at start would only delay the first route to a healthy primary, and the
 * routing decision made before any check is already the safe one.
 *
 * Pure: no clock, no I/O, no logging, so tests drive every path directly.
 */
#include "health/health.h"

/* A rise or fall below 1 would never move; conf rejects it, this guards anyway. */
static int at_least_one(int n)
{
	return n < 1 ? 1 : n;
}

static bool step_toward(struct hc_health *h, int needed, enum hc_status to)
{
	h->streak++;
	if (h->streak < at_least_one(needed))
		return false;
	h->status = to;
	h->streak = 0;
	return true;
}

static bool step(struct hc_health *h, int rise, int fall, bool passed)
{
	switch (h->status) {
	case HC_STATUS_INIT:
		h->status = passed ? HC_STATUS_UP : HC_STATUS_DOWN;
		h->streak = 0;
		return true;
	case HC_STATUS_UP:
		if (passed) {
			h->streak = 0;
			return false;
		}
		return step_toward(h, fall, HC_STATUS_DOWN);
	case HC_STATUS_DOWN:
		if (!passed) {
			h->streak = 0;
			return false;
		}
		return step_toward(h, rise, HC_STATUS_UP);
	}
	return false;
}

bool hc_step(struct hc_health *h, int rise, int fall, bool passed)
{
	bool changed = step(h, rise, fall, passed);

	h->failed = passed ? 0 : h->failed + 1;
	/* HAProxy marks nothing DOWN but on `fall` failures: always conclusive */
	h->conclusive = h->status == HC_STATUS_DOWN;
	return changed;
}

static void go(struct hc_health *h, enum hc_status to)
{
	h->status = to;
	h->streak = 0;
}

bool hc_conclude(struct hc_health *h)
{
	if (h->status != HC_STATUS_DOWN || h->conclusive)
		return false;
	h->conclusive = true;
	return true;
}

bool hc_step_single(struct hc_health *h, int rise, int fall, enum hc_evidence ev,
                    bool failures_ripe, bool *concluded)
{
	enum hc_status from = h->status;
	bool was_conclusive = from == HC_STATUS_DOWN && h->conclusive;
	bool passed = hc_evidence_passed(ev);

	h->failed = passed ? 0 : h->failed + 1;
	switch (ev) {
	case HC_EVIDENCE_PROOF:
		go(h, HC_STATUS_UP);
		break;
	case HC_EVIDENCE_PASS:
	case HC_EVIDENCE_SILENCE:
		step(h, rise, fall, passed);
		break;
	case HC_EVIDENCE_DENIAL:
	case HC_EVIDENCE_GONE:
		if (from != HC_STATUS_DOWN)
			go(h, HC_STATUS_DOWN);
		else
			h->streak = 0;
		break;
	}
	/* A server that never routed anything has no sessions to spare. */
	h->conclusive = h->status == HC_STATUS_DOWN &&
	                (was_conclusive || from == HC_STATUS_INIT || ev == HC_EVIDENCE_GONE ||
	                 (h->failed >= at_least_one(fall) && failures_ripe));
	*concluded = h->conclusive && !was_conclusive;
	return h->status != from;
}

/* HAProxy's rule: fastinter and downinter default to inter when unset. */
static uint64_t or_inter(uint64_t us, const struct conf_tunables *t)
{
	return us ? us : t->inter_us;
}

uint64_t hc_next_interval_us(const struct hc_health *h, const struct conf_tunables *t)
{
	switch (h->status) {
	case HC_STATUS_UP:
		return h->streak ? or_inter(t->fastinter_us, t) : t->inter_us;
	case HC_STATUS_DOWN:
		return h->streak ? or_inter(t->fastinter_us, t)
		                 : or_inter(t->downinter_us, t);
	case HC_STATUS_INIT:
		break;
	}
	/* Until the first result, nothing is routed: learn it fast. */
	return or_inter(t->fastinter_us, t);
}

static const char *const status_names[] = {
	[HC_STATUS_INIT] = "INIT",
	[HC_STATUS_DOWN] = "DOWN",
	[HC_STATUS_UP] = "UP",
};

static const char *const reason_names[] = {
	[HC_REASON_NONE] = "none",
	[HC_REASON_PASSED] = "passed",
	[HC_REASON_STATUS] = "http status",
	[HC_REASON_REFUSED] = "connection refused",
	[HC_REASON_TIMEOUT] = "timeout",
	[HC_REASON_MALFORMED] = "malformed reply",
	[HC_REASON_TLS] = "tls",
	[HC_REASON_NETWORK] = "network",
	[HC_REASON_LOCAL] = "local",
};

static const char *const evidence_names[] = {
	[HC_EVIDENCE_PROOF] = "proof",
	[HC_EVIDENCE_PASS] = "pass",
	[HC_EVIDENCE_DENIAL] = "denial",
	[HC_EVIDENCE_GONE] = "gone",
	[HC_EVIDENCE_SILENCE] = "silence",
};

const char *hc_evidence_name(enum hc_evidence evidence)
{
	if ((unsigned)evidence >= sizeof evidence_names / sizeof evidence_names[0])
		return "?";
	return evidence_names[evidence];
}

const char *hc_status_name(enum hc_status status)
{
	if ((unsigned)status >= sizeof status_names / sizeof status_names[0])
		return "?";
	return status_names[status];
}

const char *hc_reason_name(enum hc_reason reason)
{
	if ((unsigned)reason >= sizeof reason_names / sizeof reason_names[0])
		return "?";
	return reason_names[reason];
}
