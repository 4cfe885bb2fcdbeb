/*
 * Receiving: every datagram on the raw socket goes through the pure decoder;
 * a refused one is counted under its reason and told in a rate-limited line
 * (anyone on the link can send them), a valid one becomes an ADVERTISEMENT
 * event. Another VRID is normal on a shared link: counted, logged at debug.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp/internal.h"

#define READS_PER_WAKEUP 32     /* then let the rest of the loop run */
#define RX_BUFFER 2048          /* more than the largest advert (1,056 + IP header) */

/* What the log line says after "discarded: ". */
static void describe(const struct vrrp_instance *in, enum vrrp_discard why,
                     const struct vrrp_rx *rx, char *buf, size_t size)
{
	switch (why) {
	case VRRP_DISCARD_TTL:
		snprintf(buf, size, "IP TTL %d, must be 255", rx->ttl);
		break;
	case VRRP_DISCARD_VERSION:
		snprintf(buf, size, "version %d, not 2", rx->version);
		break;
	case VRRP_DISCARD_TYPE:
		snprintf(buf, size, "type %d, not 1 (ADVERTISEMENT)", rx->type);
		break;
	case VRRP_DISCARD_TRUNCATED:
		snprintf(buf, size, "truncated (%zu bytes of VRRP)", rx->vrrp_len);
		break;
	case VRRP_DISCARD_CHECKSUM:
		snprintf(buf, size, "checksum 0x%04x, expected 0x%04x", rx->checksum,
		         rx->checksum_want);
		break;
	case VRRP_DISCARD_VRID:
		snprintf(buf, size, "VRID %d, ours is %d", rx->adv.vrid, in->c.vrid);
		break;
	case VRRP_DISCARD_AUTH:
		snprintf(buf, size, "authentication type %d or password does not match ours (%s)",
		         rx->adv.auth_type, conf_vrrp_auth_name(in->c.auth_type));
		break;
	case VRRP_DISCARD_INTERVAL:
		snprintf(buf, size, "advert_int %ds, ours is %ds", rx->adv.advert_int,
		         in->c.advert_int);
		break;
	default:
		snprintf(buf, size, "reason %d", (int)why);
		break;
	}
}

static void discard(struct vrrp_instance *in, enum vrrp_discard why, const struct vrrp_rx *rx)
{
	char text[160], from[INET_ADDRSTRLEN];

	in->view.discards[why]++;
	describe(in, why, rx, text, sizeof text);
	inet_ntop(AF_INET, &rx->src, from, sizeof from);
	if (why == VRRP_DISCARD_VRID)
		log_debug("vrrp %s: advert from %s ignored: %s", in->c.name, from, text);
	else
		log_limited(&in->discard_rl, LOG_LEVEL_WARNING, "vrrp %s: advert from %s discarded "
		            "(%s): %s", in->c.name, from, vrrp_discard_name(why), text);
}

/* RFC 3768 7.1: a list of addresses other than ours is logged, not dropped. */
static void check_addrs(struct vrrp_instance *in, const struct vrrp_rx *rx)
{
	struct in_addr ours[CONF_VRRP_MAX_VIPS];
	char from[INET_ADDRSTRLEN];
	bool same;

	for (int i = 0; i < in->c.nvips; i++)
		ours[i] = in->c.vips[i].addr;
	same = vrrp_advert_same_addrs(&rx->adv, ours, in->c.nvips);
	if (!same) {
		inet_ntop(AF_INET, &rx->src, from, sizeof from);
		log_limited(&in->discard_rl, LOG_LEVEL_WARNING, "vrrp %s: advert from %s lists %d "
		            "address(es) that differ from our virtual_ipaddress: check both "
		            "configurations", in->c.name, from, rx->adv.naddrs);
	}
	in->view.vip_mismatch = !same;
}

static void receive_one(struct vrrp_instance *in, const uint8_t *buf, size_t len)
{
	struct vrrp_rx rx;
	enum vrrp_discard why;

	if (!vrrp_advert_decode(buf, len, &in->expect, &rx, &why)) {
		/* Our own, looped back by a peer list that names us: not a fault. */
		if (rx.src.s_addr != in->ifc.primary.s_addr)
			discard(in, why, &rx);
		return;
	}
	if (rx.src.s_addr == in->ifc.primary.s_addr)
		return;
	in->view.adverts_received++;
	check_addrs(in, &rx);
	vrrp_inst_event(in, VRRP_EV_ADVERT, rx.adv.priority, rx.src);
}

void vrrp_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vrrp_instance *in = w->data;
	uint8_t buf[RX_BUFFER];

	(void)loop;
	(void)revents;
	for (int i = 0; i < READS_PER_WAKEUP && in->fd >= 0; i++) {
		ssize_t n = recv(in->fd, buf, sizeof buf, MSG_TRUNC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_limited(&in->send_rl, LOG_LEVEL_WARNING, "vrrp %s: receive: %s",
				            in->c.name, strerror(errno));
			return;
		}
		/* MSG_TRUNC returns the real length: a datagram larger than the buffer
		 * is no advert of ours, and is read as truncated. */
		receive_one(in, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf);
	}
}
