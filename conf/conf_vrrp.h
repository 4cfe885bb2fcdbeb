/*
 * [vrrp NAME]: one VRRPv2 instance (RFC 3768), as conf_load() fills it.
 * Included by conf/conf.h, which defines CONF_NAME_MAX and CONF_PATH_MAX;
 * include that one.
 *
 * The keys follow keepalived.conf's vrrp_instance, so that a seed file
 * translates line by line (README, "From keepalived.conf").
 */
#ifndef PGFRONT_CONF_VRRP_H
#define PGFRONT_CONF_VRRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define CONF_MAX_VRRP 8
#define CONF_VRRP_MAX_VIPS 16     /* keepalived advertises at most 20 */
#define CONF_VRRP_MAX_PEERS 8
#define CONF_IFNAME_MAX 16        /* IFNAMSIZ, the NUL included */
#define CONF_VRRP_PASS_MAX 8      /* RFC 3768 5.3.10: 8 bytes of authentication data */

enum conf_vrrp_auth {
	CONF_VRRP_AUTH_NONE,      /* RFC 3768 5.3.6: type 0 */
	CONF_VRRP_AUTH_PASS,      /* type 1, a clear-text password */
};

struct conf_vip {
	struct in_addr addr;
	int prefix;               /* 1..32, default 32 */
};

struct conf_vrrp {
	char name[CONF_NAME_MAX];
	char interface[CONF_IFNAME_MAX];
	bool start_master;        /* state = MASTER: MASTER at once, with priority 255 only */
	int vrid;                 /* 1..255 */
	int priority;             /* 1..255; 255 = the address owner */
	int advert_int;           /* whole seconds, 1..255 */
	struct conf_vip vips[CONF_VRRP_MAX_VIPS];
	int nvips;
	bool preempt;
	uint64_t preempt_delay_us;
	enum conf_vrrp_auth auth_type;
	char auth_pass[CONF_VRRP_PASS_MAX + 1];
	struct in_addr unicast_src;                    /* 0: the interface's own address */
	struct in_addr unicast_peers[CONF_VRRP_MAX_PEERS];
	int npeers;                                    /* 0: multicast to 224.0.0.18 */
	int garp_repeat;          /* gratuitous ARPs per VIP in each burst */
	uint64_t garp_delay_us;   /* second burst after this; 0 = none */
	uint64_t garp_refresh_us; /* a burst this often while MASTER; 0 = off */
	char notify[CONF_PATH_MAX];                    /* "" = none */
	uint64_t notify_timeout_us;   /* then SIGTERM, then SIGKILL */
	int track_listener;       /* index into conf.listeners; -1 = none */
	char track_listener_name[CONF_NAME_MAX];
	int track_weight;         /* -254..254, not 0 */
	int line;                 /* of its section header */
};

const char *conf_vrrp_auth_name(enum conf_vrrp_auth auth);

#endif
