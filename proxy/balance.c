#include "proxy/balance.h"

static bool has_room(const struct balance_member *m)
{
	return m->maxconn == 0 || m->sessions < m->maxconn;
}

/*
 * The write port: exactly one UP member, backup or not. Two members passing
 * /primary at once means the cluster is split or mid-change: routing to either
 * could split writes, so nothing is routed until one remains.
 */
static enum balance_verdict pick_single(const struct balance_member *m, int n, int *picked)
{
	int up = 0;

	for (int i = 0; i < n; i++) {
		if (m[i].up) {
			up++;
			*picked = i;
		}
	}
	if (up == 0)
		return BALANCE_NONE_UP;
	if (up > 1)
		return BALANCE_AMBIGUOUS;
	if (m[*picked].drained)
		return BALANCE_NONE_UP;
	return has_room(&m[*picked]) ? BALANCE_PICKED : BALANCE_FULL;
}

static bool candidate(const struct balance_member *m, bool backups, uint32_t exclude, int i)
{
	return m[i].up && !m[i].drained && m[i].backup == backups &&
	       !(exclude & (1u << i)) && has_room(&m[i]);
}

/* Picks among the UP members of one set (regular or backup) with room. */
static int pick_in_set(enum conf_balance mode, const struct balance_member *m, int n,
                       bool backups, uint32_t exclude, unsigned *cursor)
{
	int best = -1;

	if (mode == CONF_BALANCE_FIRST) {
		for (int i = 0; i < n; i++)
			if (candidate(m, backups, exclude, i))
				return i;
		return -1;
	}
	/* roundrobin and leastconn both scan from the cursor, so leastconn's ties
	 * are broken in turn rather than always towards the first server. */
	for (int k = 0; k < n; k++) {
		int i = (int)((*cursor + (unsigned)k) % (unsigned)n);

		if (!candidate(m, backups, exclude, i))
			continue;
		if (mode == CONF_BALANCE_ROUNDROBIN) {
			best = i;
			break;
		}
		if (best < 0 || m[i].sessions < m[best].sessions)
			best = i;
	}
	if (best >= 0)
		*cursor = (unsigned)best + 1;
	return best;
}

static bool any_up(const struct balance_member *m, int n, bool backups)
{
	for (int i = 0; i < n; i++)
		if (m[i].up && !m[i].drained && m[i].backup == backups)
			return true;
	return false;
}

enum balance_verdict balance_pick(enum conf_balance mode,
                                  const struct balance_member *members, int n,
                                  uint32_t exclude, unsigned *cursor, int *picked)
{
	bool backups;
	int i;

	if (mode == CONF_BALANCE_SINGLE)
		return pick_single(members, n, picked);
	if (any_up(members, n, false))
		backups = false;
	else if (any_up(members, n, true))
		backups = true;
	else
		return BALANCE_NONE_UP;
	i = pick_in_set(mode, members, n, backups, exclude, cursor);
	if (i < 0 && exclude)
		i = pick_in_set(mode, members, n, backups, 0, cursor);
	if (i < 0)
		return BALANCE_FULL;
	*picked = i;
	return BALANCE_PICKED;
}

const char *balance_verdict_name(enum balance_verdict verdict)
{
	static const char *const names[] = {
		[BALANCE_PICKED] = "picked",
		[BALANCE_NONE_UP] = "no server available",
		[BALANCE_AMBIGUOUS] = "more than one primary",
		[BALANCE_FULL] = "all servers full",
	};
	return names[verdict];
}
