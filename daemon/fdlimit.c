/*
 * fdlimit — every descriptor pgfront may hold, counted from the
 * configuration, so that running short is decided here, once, rather than
 * discovered by whichever socket() fails first. A health check that cannot
 * open its socket would otherwise be a failed check, and enough of them mark
 * healthy servers DOWN and, with shutdown-sessions, close every session.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "common/log.h"
#include "daemon/fdlimit.h"
#include "health/health.h"
#include "proxy/proxy.h"
#include "stats/stats.h"

/* stdio, the loop's epoll and signal descriptors, curl's and OpenSSL's
 * files, a notify script's pipe: small, but never worth running out over. */
#define FD_MARGIN 64
/* Per [vrrp]: the raw VRRP socket and the ARP packet socket; and one
 * rtnetlink socket for all of them. */
#define FD_PER_VRRP 2

static rlim_t reserve(const struct conf *conf)
{
	return FD_MARGIN + (rlim_t)proxy_fds_reserved(conf) + (rlim_t)hc_fds_needed(conf) +
	       (rlim_t)stats_fds_needed(conf) + FD_PER_VRRP * (rlim_t)conf->nvrrps +
	       (conf->nvrrps ? 1 : 0);
}

int fdlimit_apply(const struct conf *conf)
{
	rlim_t spare = reserve(conf);
	rlim_t needed = 2 * (rlim_t)conf->global.maxconn + spare;
	struct rlimit rl;
	long long fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return conf->global.maxconn;
	if (rl.rlim_cur < needed) {
		struct rlimit want = rl;

		want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= needed
		                ? needed : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	if (rl.rlim_cur >= needed)
		return conf->global.maxconn;
	fit = rl.rlim_cur > spare ? (long long)((rl.rlim_cur - spare) / 2) : 0;
	log_warning("open files limited to %llu, below the %llu that maxconn %d needs (2 per "
	            "client, %llu for listeners, checks, stats, refusals and VRRP): at most %lld "
	            "client(s) at once, the next ones refused; raise LimitNOFILE (systemd) or "
	            "ulimit -n", (unsigned long long)rl.rlim_cur, (unsigned long long)needed,
	            conf->global.maxconn, (unsigned long long)spare, fit);
	return (int)fit;
}
