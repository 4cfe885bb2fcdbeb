/*
 * What conf/ keeps of a [vrrp] section while reading it: the line of each
 * key, so that a duplicate is named with its first line and the checks made
 * once the file is read point at the line to fix. Included by conf/state.h.
 */
#ifndef PGFRONT_CONF_VRRP_STATE_H
#define PGFRONT_CONF_VRRP_STATE_H

#include <stdbool.h>

struct conf_state;

/* The keys of [vrrp], in the order of conf/vrrp_keys.c's table. */
enum conf_vrrp_key {
	CONF_VK_INTERFACE,
	CONF_VK_STATE,
	CONF_VK_VIRTUAL_ROUTER_ID,
	CONF_VK_PRIORITY,
	CONF_VK_ADVERT_INT,
	CONF_VK_VIRTUAL_IPADDRESS,
	CONF_VK_PREEMPT,
	CONF_VK_PREEMPT_DELAY,
	CONF_VK_AUTH_TYPE,
	CONF_VK_AUTH_PASS,
	CONF_VK_UNICAST_SRC,
	CONF_VK_UNICAST_PEER,
	CONF_VK_GARP_REPEAT,
	CONF_VK_GARP_DELAY,
	CONF_VK_GARP_REFRESH,
	CONF_VK_NOTIFY,
	CONF_VK_NOTIFY_TIMEOUT,
	CONF_VK_TRACK_LISTENER,
	CONF_VK_TRACK_WEIGHT,
	CONF_VK_COUNT,
};

struct conf_raw_vrrp {
	char title[80];                 /* "[vrrp NAME]": CONF_TITLE_MAX, checked */
	int line[CONF_VK_COUNT];        /* of each key; 0 = not given */
	bool ok[CONF_VK_COUNT];         /* its value was valid */
};

/* vrrp_keys.c: a "[vrrp NAME]" header; 0, or -1 after recording an error. */
int conf_vrrp_open(struct conf_state *st, const char *name);
/* A key in a [vrrp] section; false if it is not a [vrrp] key at all. */
bool conf_vrrp_key(struct conf_state *st, const char *name, const char *value);
/* Whether name is a key of [vrrp] (to say where a misplaced key belongs). */
bool conf_vrrp_key_known(const char *name);

/* vrrp_resolve.c: required keys, keys that need each other, names of
 * listeners, and clashes between instances, once the whole file is read. */
void conf_vrrp_resolve(struct conf_state *st);

#endif
