/*
 * VRRPv2 advertisements (RFC 3768 section 5) and gratuitous ARP, as bytes.
 *
 * Pure: no sockets, no clock, no logging. The decoder takes a whole IPv4
 * datagram as a raw socket delivers it (header included: the TTL is in it)
 * and applies the receiver's checks of section 7.1 in the RFC's order, so a
 * unit test can feed it any bytes and see which rule, if any, refuses them.
 */
#ifndef PGFRONT_VRRP_PACKET_H
#define PGFRONT_VRRP_PACKET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrrp/vrrp.h"

#define VRRP_PROTO 112               /* RFC 3768 5.2.4: the IP protocol number */
#define VRRP_GROUP 0xe0000012u       /* 5.2.2: 224.0.0.18, host order */
#define VRRP_TTL 255                 /* 5.2.3: sent with, and required on receipt */
#define VRRP_VERSION 2               /* 5.3.1 */
#define VRRP_TYPE_ADVERT 1           /* 5.3.2: the only type */
#define VRRP_AUTH_LEN 8              /* 5.3.10 */
#define VRRP_FIXED_LEN 8             /* version/type .. checksum */
#define VRRP_MAX_ADDRS 255           /* 5.3.5: an 8-bit count */
#define VRRP_AUTH_NONE 0             /* 5.3.6 */
#define VRRP_AUTH_PASS 1
#define VRRP_PRIO_STOP 0             /* 5.3.4: the MASTER is leaving */
#define VRRP_PRIO_OWNER 255

/* The length of an advertisement carrying n addresses. */
#define VRRP_ADVERT_LEN(n) (VRRP_FIXED_LEN + 4 * (size_t)(n) + VRRP_AUTH_LEN)

struct vrrp_advert {
	int vrid;
	int priority;
	int advert_int;                  /* seconds */
	int auth_type;
	uint8_t auth_data[VRRP_AUTH_LEN];
	int naddrs;
	struct in_addr addrs[VRRP_MAX_ADDRS];
};

/* What the receiver expects of its own virtual router. */
struct vrrp_expect {
	int vrid;
	int advert_int;
	int auth_type;
	uint8_t auth_data[VRRP_AUTH_LEN];
};

/* One received datagram, as far as it could be read (for the log line). */
struct vrrp_rx {
	struct in_addr src, dst;
	int ttl;
	int version, type;
	uint16_t checksum;               /* as received */
	uint16_t checksum_want;          /* as computed */
	size_t vrrp_len;                 /* bytes after the IP header */
	struct vrrp_advert adv;
};

/* RFC 1071's sum, over len bytes. */
uint16_t vrrp_checksum(const void *data, size_t len);

/* Writes adv into buf (checksum computed); returns its length, 0 if buf is small. */
size_t vrrp_advert_encode(const struct vrrp_advert *adv, uint8_t *buf, size_t size);

/*
 * Reads an IPv4 datagram carrying VRRP. Returns true if it passes every check
 * against want; otherwise false with *why set. rx is filled as far as read.
 */
bool vrrp_advert_decode(const uint8_t *ip, size_t len, const struct vrrp_expect *want,
                        struct vrrp_rx *rx, enum vrrp_discard *why);

/* Whether adv lists exactly these addresses, in any order. */
bool vrrp_advert_same_addrs(const struct vrrp_advert *adv, const struct in_addr *addrs, int n);

#define VRRP_ARP_LEN 28

/* A gratuitous ARP request for ip from mac (RFC 5227 3: sender = target = ip). */
size_t vrrp_garp_build(uint8_t out[VRRP_ARP_LEN], const uint8_t mac[6], struct in_addr ip);

#endif
