/*
 * vrrp/rtnetlink.c's reading side: acknowledgements are read from what the
 * socket holds, never waited for. A non-blocking AF_UNIX datagram pair
 * stands in for the kernel, with NLMSG_ERROR messages built here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrrp/net.h"

struct acks {
	int n;
	uint32_t seq[8];
	int error[8];
};

static void record(void *arg, uint32_t seq, int error)
{
	struct acks *a = arg;

	assert_true(a->n < 8);
	a->seq[a->n] = seq;
	a->error[a->n] = error;
	a->n++;
}

/* Appends one message of type with seq (an nlmsgerr carrying error for NLMSG_ERROR). */
static size_t put(uint8_t *buf, size_t off, uint16_t type, uint32_t seq, int error)
{
	struct nlmsghdr nh = { .nlmsg_type = type, .nlmsg_seq = seq };
	struct nlmsgerr e = { .error = error };

	nh.nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof e : 0);
	memcpy(buf + off, &nh, sizeof nh);
	if (type == NLMSG_ERROR)
		memcpy(buf + off + NLMSG_HDRLEN, &e, sizeof e);
	return off + NLMSG_ALIGN(nh.nlmsg_len);
}

static void test_reads_every_ack_then_returns_without_waiting(void **state)
{
	uint8_t buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct acks acks = { 0 };
	int sv[2];
	size_t len;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	/* Nothing there: 0 at once (a blocking read would hang this test). */
	assert_int_equal(vrrp_nl_read_acks(sv[0], record, &acks), 0);
	assert_int_equal(acks.n, 0);
	/* Two answers in one datagram, with a message that is no answer between them. */
	memset(buf, 0, sizeof buf);
	len = put(buf, 0, NLMSG_ERROR, 7, 0);
	len = put(buf, len, NLMSG_DONE, 7, 0);
	len = put(buf, len, NLMSG_ERROR, 8, -EEXIST);
	assert_int_equal(send(sv[1], buf, len, 0), (ssize_t)len);
	/* And a third in another datagram. */
	len = put(buf, 0, NLMSG_ERROR, 9, -EADDRNOTAVAIL);
	assert_int_equal(send(sv[1], buf, len, 0), (ssize_t)len);
	assert_int_equal(vrrp_nl_read_acks(sv[0], record, &acks), 0);
	assert_int_equal(acks.n, 3);
	assert_int_equal(acks.seq[0], 7);
	assert_int_equal(acks.error[0], 0);
	assert_int_equal(acks.seq[1], 8);
	assert_int_equal(acks.error[1], -EEXIST);
	assert_int_equal(acks.seq[2], 9);
	assert_int_equal(acks.error[2], -EADDRNOTAVAIL);
	close(sv[0]);
	close(sv[1]);
}

static void test_short_error_message_is_no_answer(void **state)
{
	uint8_t buf[64] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr nh = { .nlmsg_len = NLMSG_LENGTH(2), .nlmsg_type = NLMSG_ERROR,
	                       .nlmsg_seq = 5 };
	struct acks acks = { 0 };
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(buf, 0, sizeof buf);
	memcpy(buf, &nh, sizeof nh);
	assert_int_equal(send(sv[1], buf, NLMSG_ALIGN(nh.nlmsg_len), 0),
	                 (ssize_t)NLMSG_ALIGN(nh.nlmsg_len));
	assert_int_equal(vrrp_nl_read_acks(sv[0], record, &acks), 0);
	assert_int_equal(acks.n, 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_read_error_is_returned(void **state)
{
	struct acks acks = { 0 };

	(void)state;
	assert_int_equal(vrrp_nl_read_acks(-1, record, &acks), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_every_ack_then_returns_without_waiting),
		cmocka_unit_test(test_short_error_message_is_no_answer),
		cmocka_unit_test(test_read_error_is_returned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
