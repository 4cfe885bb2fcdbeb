/*
 * vrrp — a VRRPv2 speaker (RFC 3768) that floats the balancers' virtual IPs,
 * replacing keepalived. This header is what the rest of pgfront sees: start
 * and stop, the tracked-listener input, and read-only views for the stats
 * page. The state machine, packets and netlink are vrrp/'s own.
 */
#ifndef PGFRONT_VRRP_H
#define PGFRONT_VRRP_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

struct ev_loop;
struct vrrp;

enum vrrp_state {
	VRRP_STATE_INIT,
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
};

/* Why a received advertisement was discarded (RFC 3768 section 7.1), one counter each. */
enum vrrp_discard {
	VRRP_DISCARD_TTL,          /* IP TTL not 255 */
	VRRP_DISCARD_VERSION,      /* not version 2 */
	VRRP_DISCARD_TYPE,         /* not an ADVERTISEMENT */
	VRRP_DISCARD_TRUNCATED,    /* shorter than its own header says */
	VRRP_DISCARD_CHECKSUM,
	VRRP_DISCARD_VRID,         /* another router's VRID on our interface: counted, ignored */
	VRRP_DISCARD_AUTH,         /* auth type or password mismatch */
	VRRP_DISCARD_INTERVAL,     /* advert_int differs from ours */
	VRRP_DISCARD_COUNT,
};

/* What the stats page may show of one [vrrp] instance. */
struct vrrp_view {
	const char *name;               /* the section's name, e.g. VI_01 */
	const char *interface;
	int vrid;
	enum vrrp_state state;
	int priority_configured;
	int priority_advertised;        /* after track_listener weights */
	double since;                   /* ev_now() of the last transition */
	uint64_t transitions;
	char master[64];                /* current MASTER's primary address, "" unknown */
	uint64_t adverts_sent;
	uint64_t adverts_received;
	uint64_t discards[VRRP_DISCARD_COUNT];
	bool vip_mismatch;              /* last valid advert listed other VIPs */
	const struct conf_vip *vips;    /* its virtual_ipaddress, while it runs */
	int nvips;
};

/* One transition of one instance, as its log line says it. */
struct vrrp_change {
	int instance;                   /* for vrrp_view() */
	enum vrrp_state from, to;
};

/*
 * Told of every transition, after the VIPs were added or removed. It may be
 * called from inside any vrrp_ function (vrrp_listener_health(), vrrp_stop()
 * included) and from vrrp's own watchers: what it does to other modules
 * should be deferred to the loop.
 */
typedef void vrrp_change_fn(void *arg, const struct vrrp_change *change);
void vrrp_set_change_cb(struct vrrp *vrrp, vrrp_change_fn *fn, void *arg);

/*
 * Starts every [vrrp] instance of conf (copied: conf need not outlive them). Returns NULL
 * with err filled on failure (e.g. "pgfront needs CAP_NET_RAW and
 * CAP_NET_ADMIN for [vrrp VI_01]"); with no [vrrp] section, returns an empty
 * struct that needs no privilege.
 */
struct vrrp *vrrp_start(struct ev_loop *loop, const struct conf *conf,
                        char *err, size_t errlen);

/* Tells the instances tracking `listener` whether it has an UP server. */
/* grace: seconds a loss stays out of the priority (the listener's
 * hold_when_down: its clients wait for a new primary meanwhile). */
void vrrp_listener_health(struct vrrp *vrrp, int listener, bool has_up_server, double grace);

/* Sends priority 0 so a backup takes over at once, removes the VIPs, stops. */
void vrrp_stop(struct vrrp *vrrp);

/*
 * A switch of user (setuid) clears the capabilities, yet every transition
 * adds or removes VIPs, which takes CAP_NET_ADMIN. Call vrrp_before_setuid()
 * just before the switch and vrrp_after_setuid() just after: with [vrrp]
 * instances, CAP_NET_ADMIN (alone) is kept. Both do nothing without them.
 */
void vrrp_before_setuid(const struct vrrp *vrrp);
int vrrp_after_setuid(const struct vrrp *vrrp, char *err, size_t errlen);

/*
 * After a reload: the instances run on as they started ([vrrp] changes need a
 * restart, and say so in the log), but follow their tracked listener by name
 * into the new conf, whose listener indexes vrrp_listener_health() then uses.
 * conf need not outlive the call: vrrp/ keeps copies of what it uses.
 */
void vrrp_reload(struct vrrp *vrrp, const struct conf *conf);

int vrrp_count(const struct vrrp *vrrp);
const struct vrrp_view *vrrp_view(const struct vrrp *vrrp, int instance);
const char *vrrp_state_name(enum vrrp_state state);
const char *vrrp_discard_name(enum vrrp_discard reason);

#endif
