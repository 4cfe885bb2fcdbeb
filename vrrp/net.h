/*
 * vrrp/'s contact with the kernel: the interface, its addresses (rtnetlink),
 * the raw IPPROTO_VRRP socket and the AF_PACKET socket for gratuitous ARP.
 * Like anet.c in Redis these never log: they return -1 (or -errno) and fill
 * the caller's err, and the instance decides what to say.
 */
#ifndef PGFRONT_VRRP_NET_H
#define PGFRONT_VRRP_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

struct vrrp_iface {
	int index;
	uint8_t mac[6];
	struct in_addr primary;      /* where adverts come from: unicast_src or the first own address */
};

/* Finds c's interface, its MAC and the address to send from (never a VIP). */
int vrrp_iface_lookup(const struct conf_vrrp *c, struct vrrp_iface *out,
                      char *err, size_t errlen);

/* rtnetlink.c: a non-blocking NETLINK_ROUTE socket for RTM_NEWADDR / RTM_DELADDR. */
int vrrp_nl_open(char *err, size_t errlen);
/* Asks to add or remove addr/prefix on ifindex, acknowledged under seq. 0, or -errno. */
int vrrp_nl_request(int fd, uint32_t seq, bool add, int ifindex, const struct conf_vip *vip);
/* One acknowledgement: error 0, or -errno (EEXIST, EADDRNOTAVAIL...). */
typedef void vrrp_nl_ack_fn(void *arg, uint32_t seq, int error);
/* Reads what the socket holds now, fn once per acknowledgement; never waits.
 * 0, or -errno (ENOBUFS: answers were lost). */
int vrrp_nl_read_acks(int fd, vrrp_nl_ack_fn *fn, void *arg);

/* sock.c: the raw VRRP socket, bound to the interface, joined to 224.0.0.18
 * unless the instance sends by unicast. */
int vrrp_sock_open(const struct conf_vrrp *c, const struct vrrp_iface *ifc,
                   char *err, size_t errlen);
/* Sends one VRRP message from src to dst on ifindex. 0, or -errno. */
int vrrp_sock_send(int fd, const struct vrrp_iface *ifc, struct in_addr dst,
                   const uint8_t *msg, size_t len);

/* An AF_PACKET socket that sends ARP frames. */
int vrrp_arp_open(char *err, size_t errlen);
/* Broadcasts one ARP payload (the kernel adds the Ethernet header). 0, or -errno. */
int vrrp_arp_send(int fd, int ifindex, const uint8_t *arp, size_t len);

#endif
