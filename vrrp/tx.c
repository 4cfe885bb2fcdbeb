/*
 * What a MASTER sends and holds: adverts (to 224.0.0.18, or to each unicast
 * peer), the VIPs on the interface, and the gratuitous ARPs that move the
 * switches' and hosts' tables to this balancer (garp_repeat at once, again
 * after garp_delay, then every garp_refresh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vrrp/internal.h"

void vrrp_tx_advert(struct vrrp_instance *in, int priority)
{
	static struct vrrp_advert adv;   /* 1KB of addresses: not on the stack */
	uint8_t msg[VRRP_ADVERT_LEN(CONF_VRRP_MAX_VIPS)];
	struct in_addr group = { .s_addr = htonl(VRRP_GROUP) };
	size_t len;
	int rc = 0;

	memset(&adv, 0, sizeof adv);
	adv.vrid = in->c.vrid;
	adv.priority = priority;
	adv.advert_int = in->c.advert_int;
	adv.auth_type = in->expect.auth_type;
	memcpy(adv.auth_data, in->expect.auth_data, VRRP_AUTH_LEN);
	adv.naddrs = in->c.nvips;
	for (int i = 0; i < in->c.nvips; i++)
		adv.addrs[i] = in->c.vips[i].addr;
	len = vrrp_advert_encode(&adv, msg, sizeof msg);
	if (in->c.npeers == 0)
		rc = vrrp_sock_send(in->fd, &in->ifc, group, msg, len);
	for (int i = 0; i < in->c.npeers; i++) {
		int one = vrrp_sock_send(in->fd, &in->ifc, in->c.unicast_peers[i], msg, len);
		rc = rc ? rc : one;
	}
	if (rc < 0)
		log_limited(&in->send_rl, LOG_LEVEL_WARNING, "vrrp %s: sending an advert: %s",
		            in->c.name, strerror(-rc));
	else
		in->view.adverts_sent++;
}

static void vip_text(const struct conf_vip *vip, char *buf, size_t size)
{
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &vip->addr, addr, sizeof addr);
	snprintf(buf, size, "%s/%d", addr, vip->prefix);
}

/* Asks for the VIPs to be added or removed; the answers come to vrrp_tx_vip_done(). */
void vrrp_tx_vips(struct vrrp_instance *in, bool add)
{
	in->vips_on = add;
	if (add)
		in->vip_adds_pending += in->c.nvips;
	for (int i = 0; i < in->c.nvips; i++)
		vrrp_nlq_submit(in, add ? VRRP_NL_ADD : VRRP_NL_DEL, i);
}

/* At start no instance is MASTER: a VIP on the interface was left by a crash. */
void vrrp_tx_remove_stale(struct vrrp_instance *in)
{
	for (int i = 0; i < in->c.nvips; i++)
		vrrp_nlq_submit(in, VRRP_NL_STALE, i);
}

void vrrp_tx_vip_done(struct vrrp_instance *in, enum vrrp_nl_kind kind, int vip, int error)
{
	char text[INET_ADDRSTRLEN + 4];
	bool add = kind == VRRP_NL_ADD;

	vip_text(&in->c.vips[vip], text, sizeof text);
	if (error == -ECANCELED) {
		log_debug("vrrp %s: request to %s %s superseded", in->c.name,
		          add ? "add" : "remove", text);
	} else if (kind == VRRP_NL_STALE) {
		if (error == 0)
			log_notice("vrrp %s: removed %s from %s, found there at start while not MASTER",
			           in->c.name, text, in->c.interface);
		else if (error != -EADDRNOTAVAIL)
			log_err("vrrp %s: cannot remove %s from %s: %s", in->c.name, text,
			        in->c.interface, strerror(-error));
		return;
	} else if (error == 0 || (add && error == -EEXIST) || (!add && error == -EADDRNOTAVAIL)) {
		/* Already there (added) or already gone (removed): the goal is reached. */
		log_info("vrrp %s: %s %s %s", in->c.name, text, add ? "added to" : "removed from",
		         in->c.interface);
	} else {
		log_err("vrrp %s: cannot %s %s %s %s: %s", in->c.name, add ? "add" : "remove",
		        text, add ? "to" : "from", in->c.interface, strerror(-error));
	}
	/* The VIPs are in place: now the gratuitous ARPs, unless MASTER was left meanwhile. */
	if (add && --in->vip_adds_pending == 0 && in->vips_on &&
	    in->fsm.state == VRRP_STATE_MASTER)
		vrrp_tx_garp_start(in);
}

static void garp_burst(struct vrrp_instance *in)
{
	uint8_t frame[VRRP_ARP_LEN];
	int failed = 0, rc = 0;

	for (int i = 0; i < in->c.nvips; i++) {
		vrrp_garp_build(frame, in->ifc.mac, in->c.vips[i].addr);
		for (int k = 0; k < in->c.garp_repeat; k++) {
			int one = vrrp_arp_send(in->vrrp->arp_fd, in->ifc.index, frame, sizeof frame);
			if (one < 0) {
				failed++;
				rc = one;
			}
		}
	}
	if (failed)
		log_limited(&in->send_rl, LOG_LEVEL_WARNING, "vrrp %s: %d gratuitous ARP(s) not sent: %s",
		            in->c.name, failed, strerror(-rc));
}

static void garp_again_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	garp_burst(w->data);
}

void vrrp_tx_garp_start(struct vrrp_instance *in)
{
	struct ev_loop *loop = in->vrrp->loop;
	double refresh = (double)in->c.garp_refresh_us / 1e6;

	garp_burst(in);
	ev_timer_stop(loop, &in->garp_again);
	ev_timer_stop(loop, &in->garp_refresh);
	if (in->c.garp_delay_us) {
		ev_timer_init(&in->garp_again, garp_again_cb, (double)in->c.garp_delay_us / 1e6, 0.);
		in->garp_again.data = in;
		ev_timer_start(loop, &in->garp_again);
	}
	if (in->c.garp_refresh_us) {
		ev_timer_init(&in->garp_refresh, garp_again_cb, refresh, refresh);
		in->garp_refresh.data = in;
		ev_timer_start(loop, &in->garp_refresh);
	}
}

void vrrp_tx_garp_stop(struct vrrp_instance *in)
{
	ev_timer_stop(in->vrrp->loop, &in->garp_again);
	ev_timer_stop(in->vrrp->loop, &in->garp_refresh);
}
