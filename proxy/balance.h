/*
 * balance — which server gets the next session. Pure: it sees a snapshot of
 * the members (up, backup, sessions, limit) and a cursor it may advance, so a
 * unit test can drive every mode with any mix of states.
 */
#ifndef PGFRONT_BALANCE_H
#define PGFRONT_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

struct balance_member {
	bool up;
	bool drained;    /* up, but the operator said no new sessions (DRAIN) */
	bool backup;
	int sessions;    /* current sessions, counting connection attempts */
	int maxconn;     /* 0 = no limit */
};

enum balance_verdict {
	BALANCE_PICKED,
	BALANCE_NONE_UP,     /* no server passes its check */
	BALANCE_AMBIGUOUS,   /* single: more than one server claims to be primary */
	BALANCE_FULL,        /* servers are up but all at maxconn: queue */
};

/*
 * Picks a member for a new session or a retry. Members in `exclude` (a bit
 * per index: servers already tried) are skipped while another choice exists.
 * Backups are considered only when no other member is UP. A drained member
 * gets nothing new, yet still counts as a primary for `single`. `cursor` is the
 * listener's round-robin position. On BALANCE_PICKED, *picked is the index.
 */
enum balance_verdict balance_pick(enum conf_balance mode,
                                  const struct balance_member *members, int n,
                                  uint32_t exclude, unsigned *cursor, int *picked);

const char *balance_verdict_name(enum balance_verdict verdict);

#endif
