/*
 * How a server's state is written, once for every format: the status an
 * operator reads ("UP 1/3": UP, one failed check of the three that mark it
 * down), HAProxy's check codes for the CSV, and human durations and sizes.
 */
#include <stdio.h>

#include "stats/internal.h"

/* HAProxy's codes and descriptions (management guide, "check_status"). */
static const struct {
	const char *code;
	const char *desc;
} check_codes[] = {
	[HC_REASON_NONE] = { "INI", "Initializing" },
	[HC_REASON_PASSED] = { "L7OK", "Layer7 check passed" },
	[HC_REASON_STATUS] = { "L7STS", "Layer7 wrong status" },
	[HC_REASON_REFUSED] = { "L4CON", "Layer4 connection problem" },
	[HC_REASON_TIMEOUT] = { "L7TOUT", "Layer7 timeout" },
	[HC_REASON_MALFORMED] = { "L7RSP", "Layer7 invalid response" },
	[HC_REASON_TLS] = { "L6RSP", "Layer6 invalid response" },
	[HC_REASON_NETWORK] = { "L4CON", "Layer4 connection problem" },
};

#define NCODES (sizeof check_codes / sizeof check_codes[0])

const char *stats_check_code(const struct hc_result *r)
{
	return (unsigned)r->reason < NCODES ? check_codes[r->reason].code : "UNK";
}

const char *stats_check_desc(const struct hc_result *r)
{
	return (unsigned)r->reason < NCODES ? check_codes[r->reason].desc : "Unknown";
}

static const char *health_text(const struct stats_member *m, bool csv, char *buf,
                               size_t size)
{
	const struct hc_health *h = &m->health;

	switch (h->status) {
	case HC_STATUS_INIT:
		return csv ? "DOWN" : "INIT";
	case HC_STATUS_UP:
		if (h->streak == 0)
			return "UP";
		snprintf(buf, size, "UP %d/%d", h->streak, m->fall);
		return buf;
	case HC_STATUS_DOWN:
		if (h->streak == 0)
			return "DOWN";
		snprintf(buf, size, "DOWN %d/%d", h->streak, m->rise);
		return buf;
	}
	return "?";
}

/*
 * MAINT wins over everything: the checks are paused, the health shown would
 * be stale. DRAIN shows while the server is UP; a drained server that fails
 * its checks shows DOWN, which matters more (HAProxy does the same).
 */
static const char *status(const struct stats_member *m, bool csv, char *buf, size_t size)
{
	if (m->admin == PROXY_ADMIN_MAINT)
		return "MAINT";
	if (m->admin == PROXY_ADMIN_DRAIN && m->health.status == HC_STATUS_UP)
		return "DRAIN";
	return health_text(m, csv, buf, size);
}

const char *stats_status(const struct stats_member *m, char *buf, size_t size)
{
	return status(m, false, buf, size);
}

const char *stats_status_csv(const struct stats_member *m, char *buf, size_t size)
{
	return status(m, true, buf, size);
}

/* HAProxy counts one scale 0..rise+fall-1: DOWN below rise, UP from rise. */
int stats_check_health(const struct stats_member *m)
{
	const struct hc_health *h = &m->health;

	if (h->status == HC_STATUS_UP)
		return m->rise + m->fall - 1 - h->streak;
	return h->streak;
}

bool stats_member_serving(const struct stats_member *m)
{
	return m->health.status == HC_STATUS_UP && m->admin == PROXY_ADMIN_READY;
}

void stats_duration_text(double seconds, char *buf, size_t size)
{
	long long s = seconds < 0 ? 0 : (long long)seconds;

	if (s >= 86400)
		snprintf(buf, size, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%llds", s);
}

void stats_bytes_text(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

/*
 * The names every format uses, kept here rather than borrowed from proxy/:
 * they are an interface (JSON keys, metric labels) and must not change when
 * a log message does.
 */
static const char *const admin_names[] = {
	[PROXY_ADMIN_READY] = "READY",
	[PROXY_ADMIN_DRAIN] = "DRAIN",
	[PROXY_ADMIN_MAINT] = "MAINT",
};

static const char *const refusal_keys[PROXY_REFUSAL_COUNT] = {
	[PROXY_REFUSED_NO_SERVER] = "no_server",
	[PROXY_REFUSED_AMBIGUOUS] = "ambiguous_primary",
	[PROXY_REFUSED_QUEUE_TIMEOUT] = "queue_timeout",
	[PROXY_REFUSED_MAXCONN] = "maxconn",
	[PROXY_REFUSED_CONNECT_FAILED] = "connect_failed",
	[PROXY_REFUSED_SHUTTING_DOWN] = "shutting_down",
};

const char *stats_admin_text(enum proxy_admin admin)
{
	if ((unsigned)admin >= sizeof admin_names / sizeof admin_names[0])
		return "?";
	return admin_names[admin];
}

const char *stats_refusal_key(enum proxy_refusal refusal)
{
	/* NULL for a reason added to proxy.h but not here: test_stats says so. */
	if ((unsigned)refusal >= PROXY_REFUSAL_COUNT)
		return NULL;
	return refusal_keys[refusal];
}

