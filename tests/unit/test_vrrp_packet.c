/*
 * vrrp/packet.c: adverts against fixed bytes, and each discard rule of RFC
 * 3768 section 7.1.
 *
 * The two fixtures are real datagrams captured with tshark on a test bridge
 * (198.18.145.0/24), which decoded both with "Checksum [correct]":
 * - KEEPALIVED: Debian's keepalived 2.2.7, VRID 51, priority 150, auth_type
 *   PASS "s3cret", VIP 198.18.145.222, from 198.18.145.12;
 * - PGFRONT: pgfront, VRID 51, priority 101, no authentication, same VIP,
 *   from 198.18.145.11.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "vrrp/packet.h"

static const uint8_t KEEPALIVED[] = {
	/* IPv4: TOS 0xc0, length 40, TTL 255, protocol 112, .12 -> 224.0.0.18 */
	0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x83, 0x73,
	0xc6, 0x12, 0x91, 0x0c, 0xe0, 0x00, 0x00, 0x12,
	/* VRRP: v2 advert, VRID 51, prio 150, 1 address, auth 1, int 1, sum 0xb3be */
	0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0xb3, 0xbe,
	0xc6, 0x12, 0x91, 0xde,
	's', '3', 'c', 'r', 'e', 't', 0x00, 0x00,
};

static const uint8_t PGFRONT[] = {
	0x45, 0x00, 0x00, 0x28, 0xec, 0xe7, 0x40, 0x00, 0xff, 0x70, 0x57, 0x4d,
	0xc6, 0x12, 0x91, 0x0b, 0xe0, 0x00, 0x00, 0x12,
	0x21, 0x33, 0x65, 0x01, 0x00, 0x01, 0x21, 0xd9,
	0xc6, 0x12, 0x91, 0xde,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

#define IP_HDR 20

static struct vrrp_advert adv;       /* 1KB of addresses: off the stack */
static struct vrrp_rx rx;

static struct in_addr ip4(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return a;
}

static void fill(struct vrrp_advert *a, int vrid, int prio, int auth, const char *pass)
{
	memset(a, 0, sizeof *a);
	a->vrid = vrid;
	a->priority = prio;
	a->advert_int = 1;
	a->auth_type = auth;
	if (pass)
		memcpy(a->auth_data, pass, strlen(pass));
	a->naddrs = 1;
	a->addrs[0] = ip4("198.18.145.222");
}

static struct vrrp_expect expect_pass(const char *pass)
{
	struct vrrp_expect e = { .vrid = 51, .advert_int = 1, .auth_type = VRRP_AUTH_PASS };

	memcpy(e.auth_data, pass, strlen(pass));
	return e;
}

static const struct vrrp_expect expect_none = { .vrid = 51, .advert_int = 1 };

static void test_encode_matches_pgfront_capture(void **state)
{
	uint8_t buf[64];
	size_t n;

	(void)state;
	fill(&adv, 51, 101, VRRP_AUTH_NONE, "ignored!");   /* zeroed: no auth */
	n = vrrp_advert_encode(&adv, buf, sizeof buf);
	assert_int_equal(n, sizeof PGFRONT - IP_HDR);
	assert_memory_equal(buf, PGFRONT + IP_HDR, n);
}

static void test_encode_matches_keepalived(void **state)
{
	uint8_t buf[64];
	size_t n;

	(void)state;
	fill(&adv, 51, 150, VRRP_AUTH_PASS, "s3cret");
	n = vrrp_advert_encode(&adv, buf, sizeof buf);
	assert_int_equal(n, 20);
	assert_memory_equal(buf, KEEPALIVED + IP_HDR, n);
	assert_int_equal(buf[6] << 8 | buf[7], 0xb3be);
}

static void test_encode_limits(void **state)
{
	uint8_t buf[64];

	(void)state;
	fill(&adv, 51, 100, VRRP_AUTH_NONE, NULL);
	assert_int_equal(vrrp_advert_encode(&adv, buf, 19), 0);   /* one byte short */
	adv.naddrs = 3;
	adv.addrs[1] = ip4("198.18.145.223");
	adv.addrs[2] = ip4("198.18.145.224");
	assert_int_equal(vrrp_advert_encode(&adv, buf, sizeof buf), 28);
	assert_int_equal(buf[3], 3);
	assert_int_equal(vrrp_checksum(buf, 28), 0);   /* a correct sum sums to zero */
	adv.naddrs = 256;
	assert_int_equal(vrrp_advert_encode(&adv, buf, sizeof buf), 0);
}

static void test_checksum(void **state)
{
	/* RFC 1071 section 3's example: the sum of these words is 0xddf2. */
	static const uint8_t words[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[] = { 0x01 };

	(void)state;
	assert_int_equal(vrrp_checksum(words, sizeof words), (uint16_t)~0xddf2);
	assert_int_equal(vrrp_checksum(odd, 1), (uint16_t)~0x0100);
	assert_int_equal(vrrp_checksum(KEEPALIVED + IP_HDR, 20), 0);
	assert_int_equal(vrrp_checksum(PGFRONT + IP_HDR, 20), 0);
}

static void test_decode_keepalived(void **state)
{
	struct vrrp_expect e = expect_pass("s3cret");
	enum vrrp_discard why = VRRP_DISCARD_COUNT;

	(void)state;
	assert_true(vrrp_advert_decode(KEEPALIVED, sizeof KEEPALIVED, &e, &rx, &why));
	assert_int_equal(why, VRRP_DISCARD_COUNT);          /* untouched */
	assert_int_equal(rx.src.s_addr, ip4("198.18.145.12").s_addr);
	assert_int_equal(rx.dst.s_addr, ip4("224.0.0.18").s_addr);
	assert_int_equal(rx.ttl, 255);
	assert_int_equal(rx.adv.vrid, 51);
	assert_int_equal(rx.adv.priority, 150);
	assert_int_equal(rx.adv.advert_int, 1);
	assert_int_equal(rx.adv.auth_type, VRRP_AUTH_PASS);
	assert_int_equal(rx.adv.naddrs, 1);
	assert_int_equal(rx.adv.addrs[0].s_addr, ip4("198.18.145.222").s_addr);
	assert_int_equal(rx.checksum, 0xb3be);
	assert_int_equal(rx.checksum_want, 0xb3be);
}

static void test_decode_pgfront(void **state)
{
	enum vrrp_discard why;

	(void)state;
	assert_true(vrrp_advert_decode(PGFRONT, sizeof PGFRONT, &expect_none, &rx, &why));
	assert_int_equal(rx.adv.priority, 101);
	assert_int_equal(rx.src.s_addr, ip4("198.18.145.11").s_addr);
}

/* A datagram built around any advert, with a valid checksum unless told. */
static size_t datagram(uint8_t *out, size_t size, const struct vrrp_advert *a, int ttl)
{
	size_t n;

	memcpy(out, PGFRONT, IP_HDR);
	out[8] = (uint8_t)ttl;
	n = vrrp_advert_encode(a, out + IP_HDR, size - IP_HDR);
	assert_int_not_equal(n, 0);
	out[2] = (uint8_t)((IP_HDR + n) >> 8);
	out[3] = (uint8_t)(IP_HDR + n);
	return IP_HDR + n;
}

static void expect_discard(const uint8_t *pkt, size_t len, const struct vrrp_expect *e,
                           enum vrrp_discard want)
{
	enum vrrp_discard why = VRRP_DISCARD_COUNT;

	assert_false(vrrp_advert_decode(pkt, len, e, &rx, &why));
	assert_int_equal(why, want);
}

static void test_discard_ttl(void **state)
{
	uint8_t pkt[64];

	(void)state;
	memcpy(pkt, PGFRONT, sizeof PGFRONT);
	pkt[8] = 64;
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_TTL);
	assert_int_equal(rx.ttl, 64);
	/* TTL comes first in 7.1: a bad checksum as well is still a TTL discard. */
	pkt[IP_HDR + 7] ^= 0xff;
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_TTL);
}

static void test_discard_version_and_type(void **state)
{
	uint8_t pkt[64];

	(void)state;
	memcpy(pkt, PGFRONT, sizeof PGFRONT);
	pkt[IP_HDR] = 0x31;                         /* VRRPv3 */
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_VERSION);
	assert_int_equal(rx.version, 3);
	pkt[IP_HDR] = 0x22;                         /* v2, type 2 */
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_TYPE);
	assert_int_equal(rx.type, 2);
}

static void test_discard_truncated(void **state)
{
	uint8_t pkt[64];

	(void)state;
	/* Shorter than the IP header says. */
	expect_discard(PGFRONT, sizeof PGFRONT - 4, &expect_none, VRRP_DISCARD_TRUNCATED);
	/* Not even an IP header. */
	expect_discard(PGFRONT, 12, &expect_none, VRRP_DISCARD_TRUNCATED);
	/* Consistent IP length, but the count claims a second address. */
	memcpy(pkt, PGFRONT, sizeof PGFRONT);
	pkt[IP_HDR + 3] = 2;
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_TRUNCATED);
	/* Only the fixed part, no addresses or authentication. */
	memcpy(pkt, PGFRONT, IP_HDR + 8);
	pkt[3] = IP_HDR + 8;
	expect_discard(pkt, IP_HDR + 8, &expect_none, VRRP_DISCARD_TRUNCATED);
	/* An IP header with nothing after it. */
	pkt[3] = IP_HDR;
	expect_discard(pkt, IP_HDR, &expect_none, VRRP_DISCARD_TRUNCATED);
	/* A bad IHL. */
	memcpy(pkt, PGFRONT, sizeof PGFRONT);
	pkt[0] = 0x44;
	expect_discard(pkt, sizeof PGFRONT, &expect_none, VRRP_DISCARD_TRUNCATED);
}

static void test_discard_checksum(void **state)
{
	uint8_t pkt[64];

	(void)state;
	memcpy(pkt, KEEPALIVED, sizeof KEEPALIVED);
	pkt[IP_HDR + 7] ^= 0x01;
	expect_discard(pkt, sizeof KEEPALIVED, &expect_none, VRRP_DISCARD_CHECKSUM);
	assert_int_equal(rx.checksum, 0xb3bf);
	assert_int_equal(rx.checksum_want, 0xb3be);
	/* A changed byte elsewhere under an unchanged sum. */
	memcpy(pkt, KEEPALIVED, sizeof KEEPALIVED);
	pkt[IP_HDR + 2] = 0x97;
	expect_discard(pkt, sizeof KEEPALIVED, &expect_none, VRRP_DISCARD_CHECKSUM);
}

static void test_discard_vrid_auth_interval(void **state)
{
	struct vrrp_expect e = expect_pass("s3cret");
	uint8_t pkt[64];
	size_t n;

	(void)state;
	e.vrid = 52;
	expect_discard(KEEPALIVED, sizeof KEEPALIVED, &e, VRRP_DISCARD_VRID);
	assert_int_equal(rx.adv.vrid, 51);
	/* We expect no authentication; it sends a password. */
	expect_discard(KEEPALIVED, sizeof KEEPALIVED, &expect_none, VRRP_DISCARD_AUTH);
	/* Another password. */
	e = expect_pass("s3cre7");
	expect_discard(KEEPALIVED, sizeof KEEPALIVED, &e, VRRP_DISCARD_AUTH);
	/* A password that is a prefix of ours is another password. */
	e = expect_pass("s3cret1");
	expect_discard(KEEPALIVED, sizeof KEEPALIVED, &e, VRRP_DISCARD_AUTH);
	/* We expect a password; it sends none. */
	e = expect_pass("s3cret");
	expect_discard(PGFRONT, sizeof PGFRONT, &e, VRRP_DISCARD_AUTH);
	/* Type 2 (IP Authentication Header, gone from RFC 3768). */
	fill(&adv, 51, 100, 2, "s3cret");
	n = datagram(pkt, sizeof pkt, &adv, 255);
	expect_discard(pkt, n, &e, VRRP_DISCARD_AUTH);
	/* advert_int 3 against our 1. */
	fill(&adv, 51, 100, VRRP_AUTH_NONE, NULL);
	adv.advert_int = 3;
	n = datagram(pkt, sizeof pkt, &adv, 255);
	expect_discard(pkt, n, &expect_none, VRRP_DISCARD_INTERVAL);
	assert_int_equal(rx.adv.advert_int, 3);
}

static void test_no_auth_ignores_data(void **state)
{
	uint8_t pkt[64];
	enum vrrp_discard why;

	(void)state;
	/* 5.3.10: with type 0 the receiver does not look at the data. */
	memcpy(pkt, PGFRONT, sizeof PGFRONT);
	memcpy(pkt + sizeof PGFRONT - 8, "garbage!", 8);
	pkt[IP_HDR + 6] = pkt[IP_HDR + 7] = 0;
	{
		uint16_t sum = vrrp_checksum(pkt + IP_HDR, 20);
		pkt[IP_HDR + 6] = (uint8_t)(sum >> 8);
		pkt[IP_HDR + 7] = (uint8_t)sum;
	}
	assert_true(vrrp_advert_decode(pkt, sizeof PGFRONT, &expect_none, &rx, &why));
}

static void test_many_addresses_and_padding(void **state)
{
	static uint8_t pkt[IP_HDR + VRRP_ADVERT_LEN(VRRP_MAX_ADDRS) + 8];
	enum vrrp_discard why;
	size_t n;

	(void)state;
	fill(&adv, 51, 100, VRRP_AUTH_NONE, NULL);
	adv.naddrs = VRRP_MAX_ADDRS;
	for (int i = 0; i < VRRP_MAX_ADDRS; i++)
		adv.addrs[i].s_addr = htonl(0xc6120000u | (uint32_t)i);
	n = datagram(pkt, sizeof pkt, &adv, 255);
	assert_int_equal(n, IP_HDR + 16 + 4 * 255);
	assert_true(vrrp_advert_decode(pkt, n, &expect_none, &rx, &why));
	assert_int_equal(rx.adv.naddrs, 255);
	assert_int_equal(rx.adv.addrs[254].s_addr, htonl(0xc61200feu));
}

/*
 * RFC 3768 5.3.8: the checksum covers "the entire VRRP message", i.e. the
 * whole IP payload, not only the length the address count declares. These
 * are PGFRONT with 4 bytes appended inside the IP datagram (IP length 44;
 * its header checksum is not looked at by the decoder, the kernel did).
 */
static const uint8_t TRAILING_UNCOVERED[] = {
	0x45, 0x00, 0x00, 0x2c, 0xec, 0xe7, 0x40, 0x00, 0xff, 0x70, 0x57, 0x49,
	0xc6, 0x12, 0x91, 0x0b, 0xe0, 0x00, 0x00, 0x12,
	/* PGFRONT's advert and sum 0x21d9, over its 20 declared bytes only */
	0x21, 0x33, 0x65, 0x01, 0x00, 0x01, 0x21, 0xd9,
	0xc6, 0x12, 0x91, 0xde,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xde, 0xad, 0xbe, 0xef,                    /* not under the sum */
};

static const uint8_t TRAILING_COVERED[] = {
	0x45, 0x00, 0x00, 0x2c, 0xec, 0xe7, 0x40, 0x00, 0xff, 0x70, 0x57, 0x49,
	0xc6, 0x12, 0x91, 0x0b, 0xe0, 0x00, 0x00, 0x12,
	/* the same, its sum 0x843b over all 24 bytes received */
	0x21, 0x33, 0x65, 0x01, 0x00, 0x01, 0x84, 0x3b,
	0xc6, 0x12, 0x91, 0xde,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xde, 0xad, 0xbe, 0xef,
};

static void test_checksum_covers_the_received_payload(void **state)
{
	enum vrrp_discard why = VRRP_DISCARD_COUNT;

	(void)state;
	assert_int_equal(vrrp_checksum(TRAILING_COVERED + IP_HDR, 24), 0);
	/* The bytes after the advert are outside the sender's sum: refused. */
	expect_discard(TRAILING_UNCOVERED, sizeof TRAILING_UNCOVERED, &expect_none,
	               VRRP_DISCARD_CHECKSUM);
	assert_int_equal(rx.checksum, 0x21d9);
	assert_int_equal(rx.checksum_want, 0x843b);
	assert_int_equal(rx.vrrp_len, 24);
	/* Summed over all it carries, it is a valid advert, read as declared. */
	assert_true(vrrp_advert_decode(TRAILING_COVERED, sizeof TRAILING_COVERED, &expect_none,
	                               &rx, &why));
	assert_int_equal(rx.adv.priority, 101);
	assert_int_equal(rx.adv.naddrs, 1);
	/* Bytes the kernel delivered past the IP length (link padding) are not VRRP. */
	{
		uint8_t padded[sizeof PGFRONT + 6];

		memcpy(padded, PGFRONT, sizeof PGFRONT);
		memset(padded + sizeof PGFRONT, 0xaa, 6);
		assert_true(vrrp_advert_decode(padded, sizeof padded, &expect_none, &rx, &why));
		assert_int_equal(rx.vrrp_len, 20);
	}
}

static void test_same_addrs(void **state)
{
	struct in_addr ours[2] = { ip4("198.18.145.222"), ip4("198.18.145.223") };

	(void)state;
	fill(&adv, 51, 100, VRRP_AUTH_NONE, NULL);
	assert_true(vrrp_advert_same_addrs(&adv, ours, 1));
	assert_false(vrrp_advert_same_addrs(&adv, ours, 2));
	adv.naddrs = 2;
	adv.addrs[0] = ours[1];
	adv.addrs[1] = ours[0];
	assert_true(vrrp_advert_same_addrs(&adv, ours, 2));      /* any order */
	adv.addrs[1] = ours[1];
	assert_false(vrrp_advert_same_addrs(&adv, ours, 2));     /* one twice, one missing */
	adv.addrs[1] = ip4("198.18.145.1");
	assert_false(vrrp_advert_same_addrs(&adv, ours, 2));
}

static void test_garp(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	static const uint8_t want[VRRP_ARP_LEN] = {
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
		0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 0xc6, 0x12, 0x91, 0xde,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x91, 0xde,
	};
	uint8_t out[VRRP_ARP_LEN];

	(void)state;
	memset(out, 0xee, sizeof out);
	assert_int_equal(vrrp_garp_build(out, mac, ip4("198.18.145.222")), VRRP_ARP_LEN);
	assert_memory_equal(out, want, sizeof want);
}

static void test_discard_names(void **state)
{
	(void)state;
	for (int r = 0; r < VRRP_DISCARD_COUNT; r++)
		assert_string_not_equal(vrrp_discard_name((enum vrrp_discard)r), "unknown");
	assert_string_equal(vrrp_discard_name(VRRP_DISCARD_COUNT), "unknown");
	assert_string_equal(vrrp_discard_name(VRRP_DISCARD_TTL), "ttl");
	assert_string_equal(vrrp_state_name(VRRP_STATE_MASTER), "MASTER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_matches_pgfront_capture),
		cmocka_unit_test(test_encode_matches_keepalived),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_decode_keepalived),
		cmocka_unit_test(test_decode_pgfront),
		cmocka_unit_test(test_discard_ttl),
		cmocka_unit_test(test_discard_version_and_type),
		cmocka_unit_test(test_discard_truncated),
		cmocka_unit_test(test_discard_checksum),
		cmocka_unit_test(test_discard_vrid_auth_interval),
		cmocka_unit_test(test_no_auth_ignores_data),
		cmocka_unit_test(test_many_addresses_and_padding),
		cmocka_unit_test(test_checksum_covers_the_received_payload),
		cmocka_unit_test(test_same_addrs),
		cmocka_unit_test(test_garp),
		cmocka_unit_test(test_discard_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
