/*
 * The VRRPv2 codec and the gratuitous ARP frame. Layout (RFC 3768 5.1):
 *
 *    0                   1                   2                   3
 *   |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
 *   |   Auth Type   |   Adver Int   |          Checksum             |
 *   |                         IP Address (1..n)                     |
 *   |                     Authentication Data (1)                   |
 *   |                     Authentication Data (2)                   |
 */
#include <arpa/inet.h>
#include <string.h>

#include "vrrp/packet.h"

#define IPV4_MIN_HEADER 20

/* RFC 1071's running sum of 16-bit words, not yet folded: ranges that start
 * at an even offset add up. At most 64 KiB, so 32 bits never overflow. */
static uint32_t sum_words(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t vrrp_checksum(const void *data, size_t len)
{
	return fold(sum_words(data, len));
}

size_t vrrp_advert_encode(const struct vrrp_advert *adv, uint8_t *buf, size_t size)
{
	size_t len = VRRP_ADVERT_LEN(adv->naddrs);
	uint16_t sum;

	if (adv->naddrs < 0 || adv->naddrs > VRRP_MAX_ADDRS || size < len)
		return 0;
	buf[0] = VRRP_VERSION << 4 | VRRP_TYPE_ADVERT;
	buf[1] = (uint8_t)adv->vrid;
	buf[2] = (uint8_t)adv->priority;
	buf[3] = (uint8_t)adv->naddrs;
	buf[4] = (uint8_t)adv->auth_type;
	buf[5] = (uint8_t)adv->advert_int;
	buf[6] = buf[7] = 0;
	for (int i = 0; i < adv->naddrs; i++)
		memcpy(buf + VRRP_FIXED_LEN + 4 * i, &adv->addrs[i].s_addr, 4);
	/* 5.3.10: with no authentication the field is zero, whatever was set. */
	if (adv->auth_type == VRRP_AUTH_NONE)
		memset(buf + len - VRRP_AUTH_LEN, 0, VRRP_AUTH_LEN);
	else
		memcpy(buf + len - VRRP_AUTH_LEN, adv->auth_data, VRRP_AUTH_LEN);
	sum = vrrp_checksum(buf, len);
	buf[6] = (uint8_t)(sum >> 8);
	buf[7] = (uint8_t)sum;
	return len;
}

static bool refuse(enum vrrp_discard *why, enum vrrp_discard reason)
{
	*why = reason;
	return false;
}

/* The IPv4 header: where the VRRP message starts and how long it is. */
static bool read_ip(const uint8_t *ip, size_t len, struct vrrp_rx *rx, size_t *offset)
{
	size_t ihl, total;

	if (len < IPV4_MIN_HEADER || ip[0] >> 4 != 4)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = (size_t)(ip[2] << 8 | ip[3]);
	if (ihl < IPV4_MIN_HEADER || total < ihl || total > len)
		return false;
	rx->ttl = ip[8];
	memcpy(&rx->src.s_addr, ip + 12, 4);
	memcpy(&rx->dst.s_addr, ip + 16, 4);
	rx->vrrp_len = total - ihl;
	*offset = ihl;
	return true;
}

static void read_fields(const uint8_t *v, struct vrrp_rx *rx)
{
	struct vrrp_advert *adv = &rx->adv;
	size_t len = VRRP_ADVERT_LEN(v[3]);

	adv->vrid = v[1];
	adv->priority = v[2];
	adv->naddrs = v[3];
	adv->auth_type = v[4];
	adv->advert_int = v[5];
	rx->checksum = (uint16_t)(v[6] << 8 | v[7]);
	for (int i = 0; i < adv->naddrs; i++)
		memcpy(&adv->addrs[i].s_addr, v + VRRP_FIXED_LEN + 4 * i, 4);
	memcpy(adv->auth_data, v + len - VRRP_AUTH_LEN, VRRP_AUTH_LEN);
	/*
	 * What the sender should have written: the sum with the field zeroed,
	 * over "the entire VRRP message" (5.3.8), i.e. every byte the IP header
	 * says follows it, not only the bytes the address count declares:
	 * bytes past the advert are covered too, or a sender could append
	 * anything to a valid advert (keepalived sums the received length too).
	 */
	rx->checksum_want = fold(sum_words(v, 6) + sum_words(v + VRRP_FIXED_LEN,
	                                                     rx->vrrp_len - VRRP_FIXED_LEN));
}

static bool auth_matches(const struct vrrp_advert *adv, const struct vrrp_expect *want)
{
	if (adv->auth_type != want->auth_type)
		return false;
	/* 5.3.10: without authentication the data is not looked at. */
	return want->auth_type == VRRP_AUTH_NONE ||
	       memcmp(adv->auth_data, want->auth_data, VRRP_AUTH_LEN) == 0;
}

/* Section 7.1's checks, in its order; the type (5.3.2) after the version. */
bool vrrp_advert_decode(const uint8_t *ip, size_t len, const struct vrrp_expect *want,
                        struct vrrp_rx *rx, enum vrrp_discard *why)
{
	const uint8_t *v;
	size_t offset;

	memset(rx, 0, sizeof *rx);
	if (!read_ip(ip, len, rx, &offset))
		return refuse(why, VRRP_DISCARD_TRUNCATED);
	if (rx->ttl != VRRP_TTL)
		return refuse(why, VRRP_DISCARD_TTL);
	v = ip + offset;
	if (rx->vrrp_len < 1)
		return refuse(why, VRRP_DISCARD_TRUNCATED);
	rx->version = v[0] >> 4;
	rx->type = v[0] & 0x0f;
	if (rx->version != VRRP_VERSION)
		return refuse(why, VRRP_DISCARD_VERSION);
	if (rx->type != VRRP_TYPE_ADVERT)
		return refuse(why, VRRP_DISCARD_TYPE);
	if (rx->vrrp_len < VRRP_FIXED_LEN || rx->vrrp_len < VRRP_ADVERT_LEN(v[3]))
		return refuse(why, VRRP_DISCARD_TRUNCATED);
	read_fields(v, rx);
	if (rx->checksum != rx->checksum_want)
		return refuse(why, VRRP_DISCARD_CHECKSUM);
	if (rx->adv.vrid != want->vrid)
		return refuse(why, VRRP_DISCARD_VRID);
	if (!auth_matches(&rx->adv, want))
		return refuse(why, VRRP_DISCARD_AUTH);
	if (rx->adv.advert_int != want->advert_int)
		return refuse(why, VRRP_DISCARD_INTERVAL);
	return true;
}

bool vrrp_advert_same_addrs(const struct vrrp_advert *adv, const struct in_addr *addrs, int n)
{
	if (adv->naddrs != n)
		return false;
	/* Both lists are free of duplicates (conf refuses them), so one way suffices... */
	for (int i = 0; i < n; i++) {
		bool found = false;

		for (int j = 0; j < adv->naddrs && !found; j++)
			found = adv->addrs[j].s_addr == addrs[i].s_addr;
		if (!found)
			return false;
	}
	/* ...unless the advert repeats one: then it lacks another of ours. */
	for (int i = 0; i < adv->naddrs; i++)
		for (int j = i + 1; j < adv->naddrs; j++)
			if (adv->addrs[i].s_addr == adv->addrs[j].s_addr)
				return false;
	return true;
}

size_t vrrp_garp_build(uint8_t out[VRRP_ARP_LEN], const uint8_t mac[6], struct in_addr ip)
{
	static const uint8_t head[8] = {
		0x00, 0x01,     /* hardware: Ethernet */
		0x08, 0x00,     /* protocol: IPv4 */
		6, 4,           /* their lengths */
		0x00, 0x01,     /* a request, which every host on the link reads */
	};

	memcpy(out, head, sizeof head);
	memcpy(out + 8, mac, 6);
	memcpy(out + 14, &ip.s_addr, 4);
	memset(out + 18, 0, 6);          /* target hardware: unknown, as a request says */
	memcpy(out + 24, &ip.s_addr, 4);
	return VRRP_ARP_LEN;
}
