/*
 * A TCP proxy that relays through io_uring instead of epoll: each socket
 * has one buffer and one request at a time, a recv into the buffer or the
 * send of what it holds to the peer, the next recv submitted when the send
 * has completed (pgfront's one-buffer-per-direction backpressure). One
 * io_uring_enter per loop both submits and waits, for every session at
 * once. The question it answers (../README.md): how much of a user-space
 * relay's cost is the system calls themselves?
 *
 * Not a product: connect is blocking, and there are no checks, counters
 * or timeouts.
 *
 *   uring_proxy LISTEN_HOST LISTEN_PORT SERVER_HOST SERVER_PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tcp.h"

#define BUF_SIZE 16384
#define MAX_FD 65536

enum op { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CANCEL };

/* user_data: op, the generation of the fd (a completion for a closed
 * session is recognised and dropped), the fd whose buffer it is. */
#define UD(op, gen, fd) (((uint64_t)(op) << 60) | ((uint64_t)(gen) << 32) | (uint64_t)(fd))
#define UD_OP(u)  ((int)((u) >> 60))
#define UD_GEN(u) ((uint32_t)(((u) >> 32) & 0xfffffff))
#define UD_FD(u)  ((int)((u) & 0xffffffff))

struct side {
	int peer;                   /* -1: not a session's socket */
	uint32_t gen;
	uint32_t off, len;          /* what the buffer holds for the peer */
	char *buf;
};

static struct io_uring ring;
static struct side sides[MAX_FD];
static struct sockaddr_in server;
static int listener;

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe) {
		io_uring_submit(&ring);
		sqe = io_uring_get_sqe(&ring);
	}
	if (!sqe)
		die("no sqe");
	return sqe;
}

static void arm_accept(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_ACCEPT, 0, 0));
}

static void arm_recv(int fd)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_recv(sqe, fd, sides[fd].buf, BUF_SIZE, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_RECV, sides[fd].gen, fd));
}

static void arm_send(int fd)
{
	struct side *s = &sides[fd];
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_send(sqe, s->peer, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, UD(OP_SEND, s->gen, fd));
}

static void close_one(int fd)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0, 0));
	io_uring_submit(&ring);     /* cancelled before the fd number is reused */
	close(fd);
	sides[fd].gen = (sides[fd].gen + 1) & 0xfffffff;
	sides[fd].peer = -1;
	free(sides[fd].buf);
	sides[fd].buf = NULL;
}

static void close_session(int fd)
{
	int other = sides[fd].peer;

	close_one(fd);
	if (other >= 0)
		close_one(other);
}

static void accepted(int client)
{
	int srv = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (client >= MAX_FD || srv < 0 || srv >= MAX_FD ||
	    connect(srv, (struct sockaddr *)&server, sizeof server)) {
		close(client);
		if (srv >= 0)
			close(srv);
		return;
	}
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	sides[client].peer = srv;
	sides[srv].peer = client;
	sides[client].buf = malloc(BUF_SIZE);
	sides[srv].buf = malloc(BUF_SIZE);
	if (!sides[client].buf || !sides[srv].buf)
		die("malloc");
	arm_recv(client);
	arm_recv(srv);
}

static int is_live(uint64_t user_data)
{
	int fd = UD_FD(user_data);

	return sides[fd].peer >= 0 && UD_GEN(user_data) == sides[fd].gen;
}

static void received(int fd, int res)
{
	if (res <= 0) {             /* EOF or an error */
		close_session(fd);
		return;
	}
	sides[fd].off = 0;
	sides[fd].len = (uint32_t)res;
	arm_send(fd);
}

static void sent(int fd, int res)
{
	struct side *s = &sides[fd];

	if (res < 0) {
		close_session(fd);
		return;
	}
	s->off += (uint32_t)res;
	if (s->off < s->len)
		arm_send(fd);
	else
		arm_recv(fd);
}

int main(int argc, char **argv)
{
	struct io_uring_params params = { .flags = IORING_SETUP_SINGLE_ISSUER |
	                                           IORING_SETUP_DEFER_TASKRUN };
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: %s LISTEN_HOST LISTEN_PORT SERVER_HOST SERVER_PORT\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < MAX_FD; i++)
		sides[i].peer = -1;
	server = ipv4_address(argv[3], argv[4]);
	listener = listen_on(argv[1], argv[2]);
	if ((err = io_uring_queue_init_params(1024, &ring, &params)) < 0) {
		errno = -err;
		die("io_uring_queue_init");
	}
	arm_accept();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		io_uring_submit_and_wait(&ring, 1);
		io_uring_for_each_cqe(&ring, head, cqe) {
			int op = UD_OP(cqe->user_data);

			seen++;
			if (op == OP_ACCEPT) {
				if (cqe->res >= 0)
					accepted(cqe->res);
				if (!(cqe->flags & IORING_CQE_F_MORE))
					arm_accept();
			} else if ((op == OP_RECV || op == OP_SEND) && is_live(cqe->user_data)) {
				if (op == OP_RECV)
					received(UD_FD(cqe->user_data), cqe->res);
				else
					sent(UD_FD(cqe->user_data), cqe->res);
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
}
