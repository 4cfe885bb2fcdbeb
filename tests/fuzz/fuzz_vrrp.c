/*
 * libFuzzer target: vrrp_advert_decode() on whole IPv4 datagrams, as the raw
 * socket hands them over. Checked besides crashes:
 * - what was read lies within the datagram (the IP total length, the count
 *   of addresses);
 * - an advert that passes sums to zero and re-encodes to the same bytes;
 * - the rules that depend on the receiver (VRID, auth, interval) are the
 *   last: an advert refused only by them passes when the receiver expects
 *   what it carries;
 * - whatever passes, encoded again and wrapped in a fresh IP header,
 *   decodes to the same advert.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrrp/packet.h"

#define IP_HDR 20

/* Large (1 KiB of addresses each): off the stack. */
static struct vrrp_rx rx, rx2;
static uint8_t buf[IP_HDR + VRRP_ADVERT_LEN(VRRP_MAX_ADDRS)];

static const struct vrrp_expect keepalived = {
	.vrid = 51, .advert_int = 1, .auth_type = VRRP_AUTH_PASS,
	.auth_data = { 's', '3', 'c', 'r', 'e', 't' },
};

static bool has_duplicates(const struct vrrp_advert *adv)
{
	for (int i = 0; i < adv->naddrs; i++)
		for (int j = i + 1; j < adv->naddrs; j++)
			if (adv->addrs[i].s_addr == adv->addrs[j].s_addr)
				return true;
	return false;
}

static struct vrrp_expect expect_of(const struct vrrp_advert *adv)
{
	struct vrrp_expect e = {
		.vrid = adv->vrid, .advert_int = adv->advert_int, .auth_type = adv->auth_type,
	};

	memcpy(e.auth_data, adv->auth_data, VRRP_AUTH_LEN);
	return e;
}

/*
 * The advert re-encoded is the datagram's VRRP part (no auth data: zeroed).
 * Its checksum is the received one only when nothing follows the advert:
 * the received sum covers trailing bytes too.
 */
static void check_reencode(const uint8_t *v, size_t vrrp_len, const struct vrrp_advert *adv)
{
	uint8_t out[VRRP_ADVERT_LEN(VRRP_MAX_ADDRS)];
	size_t len = vrrp_advert_encode(adv, out, sizeof out);
	size_t auth = adv->auth_type != VRRP_AUTH_NONE ? 0 : VRRP_AUTH_LEN;

	if (len != VRRP_ADVERT_LEN(adv->naddrs) || len > vrrp_len)
		abort();
	if (memcmp(out, v, 6) != 0 || memcmp(out + 8, v + 8, len - 8 - auth) != 0)
		abort();
	if (len == vrrp_len && auth == 0 && memcmp(out + 6, v + 6, 2) != 0)
		abort();
}

/* Encode adv, wrap it in a valid header, decode: the same advert comes back. */
static void check_roundtrip(const struct vrrp_advert *adv)
{
	size_t len = vrrp_advert_encode(adv, buf + IP_HDR, sizeof buf - IP_HDR);
	struct vrrp_expect want = expect_of(adv);
	enum vrrp_discard why;

	memset(buf, 0, IP_HDR);
	buf[0] = 0x45;
	buf[2] = (uint8_t)((IP_HDR + len) >> 8);
	buf[3] = (uint8_t)(IP_HDR + len);
	buf[8] = VRRP_TTL;
	buf[9] = VRRP_PROTO;
	if (!vrrp_advert_decode(buf, IP_HDR + len, &want, &rx2, &why))
		abort();
	if (rx2.adv.vrid != adv->vrid || rx2.adv.priority != adv->priority ||
	    rx2.adv.naddrs != adv->naddrs || rx2.adv.advert_int != adv->advert_int ||
	    rx2.adv.auth_type != adv->auth_type ||
	    memcmp(rx2.adv.addrs, adv->addrs, sizeof adv->addrs[0] * (size_t)adv->naddrs) != 0)
		abort();
	if (adv->auth_type != VRRP_AUTH_NONE &&
	    memcmp(rx2.adv.auth_data, adv->auth_data, VRRP_AUTH_LEN) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum vrrp_discard why = VRRP_DISCARD_COUNT;
	struct vrrp_expect own;
	size_t ihl;
	bool ok = vrrp_advert_decode(data, size, &keepalived, &rx, &why);

	if (!ok && (unsigned)why >= VRRP_DISCARD_COUNT)
		abort();
	if (ok && why != VRRP_DISCARD_COUNT)
		abort();
	if (!ok && (why == VRRP_DISCARD_TRUNCATED || why == VRRP_DISCARD_TTL ||
	            why == VRRP_DISCARD_VERSION || why == VRRP_DISCARD_TYPE))
		return 0;
	/* Read as far as the checksum: the header and every address were there. */
	ihl = (size_t)(data[0] & 0x0f) * 4;
	if (rx.vrrp_len > size - ihl || rx.adv.naddrs < 0 || rx.adv.naddrs > VRRP_MAX_ADDRS ||
	    VRRP_ADVERT_LEN(rx.adv.naddrs) > rx.vrrp_len)
		abort();
	if (!ok && why == VRRP_DISCARD_CHECKSUM) {
		if (rx.checksum == rx.checksum_want)
			abort();
		return 0;
	}
	/* The sum covers every byte the IP header says follows it (5.3.8), not
	 * only the advert the address count declares. */
	if (rx.checksum != rx.checksum_want || vrrp_checksum(data + ihl, rx.vrrp_len) != 0)
		abort();
	own = expect_of(&rx.adv);
	if (!vrrp_advert_decode(data, size, &own, &rx2, &why))
		abort();
	check_reencode(data + ihl, rx.vrrp_len, &rx.adv);
	check_roundtrip(&rx.adv);
	if (vrrp_advert_same_addrs(&rx.adv, rx.adv.addrs, rx.adv.naddrs) ==
	    has_duplicates(&rx.adv))
		abort();
	return 0;
}
