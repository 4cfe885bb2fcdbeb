/*
 * The [stats] section: where the stats page listens and who may use it.
 * Plain data, part of struct conf; conf/stats_keys.c reads and checks it.
 * conf/conf.h includes this file where struct conf needs it: include that.
 */
#ifndef PGFRONT_CONF_STATS_H
#define PGFRONT_CONF_STATS_H

#include <stdbool.h>

#define CONF_STATS_USER_MAX 64       /* the user of `auth`, as HTTP Basic sends it */
#define CONF_STATS_PASSWORD_MAX 128
#define CONF_STATS_REFRESH_MAX 86400 /* seconds */

struct conf_stats {
	bool enabled;                        /* a [stats] section was given */
	struct conf_addr bind;
	char uri[CONF_PATH_MAX];             /* the page; ";csv", ";json" are appended */
	unsigned refresh_s;                  /* HTML auto-refresh in seconds; 0 = off */
	char user[CONF_STATS_USER_MAX];      /* empty: no authentication */
	char password[CONF_STATS_PASSWORD_MAX];
	bool admin;                          /* admin actions allowed (auth is then set) */
	char tls_cert_file[CONF_PATH_MAX];   /* both set: HTTPS */
	char tls_key_file[CONF_PATH_MAX];
	int line;                            /* of the [stats] header */
};

#endif
