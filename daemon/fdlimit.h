/*
 * fdlimit — the process' open-files budget: what global maxconn and the rest
 * of the configuration need, the limit raised toward it, and how many client
 * sessions fit when it cannot be.
 */
#ifndef PGFRONT_FDLIMIT_H
#define PGFRONT_FDLIMIT_H

#include "conf/conf.h"

/*
 * Raises RLIMIT_NOFILE's soft limit as far as conf needs (within the hard
 * limit) and returns how many client sessions fit in it: global maxconn,
 * or fewer (logged) when the limit is short.
 */
int fdlimit_apply(const struct conf *conf);

#endif
