/*
 * A TCP proxy whose sessions are spliced in the kernel: after accept and
 * connect, both sockets go into a sockmap whose verdict program
 * (splice.bpf.c) sends each side's bytes out on the other. The proxy only
 * watches for EOF and errors: EPOLLRDHUP, not EPOLLIN, since the kernel
 * signals the socket readable after every segment it redirects, and
 * waking for each would be a user-space relay's cost again. No health checks, no counters, no timeouts:
 * it exists to measure what kernel splicing would give pgfront (../README.md).
 *
 *   splice_proxy LISTEN_HOST LISTEN_PORT SERVER_HOST SERVER_PORT
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tcp.h"

#define MAX_FD 65536

static int peer_fd[MAX_FD];     /* -1: not a session's socket */
static int socks_map, peer_map;
static uint32_t next_slot;

static uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof c;

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len);
	return c;
}

static void close_session(int fd)
{
	int other = peer_fd[fd];
	uint64_t c1 = cookie_of(fd), c2 = cookie_of(other);

	bpf_map_delete_elem(peer_map, &c1);
	bpf_map_delete_elem(peer_map, &c2);
	close(fd);
	close(other);
	peer_fd[fd] = peer_fd[other] = -1;
}

/* Bytes the verdict program passed (they came before the splice): relay
 * them by hand. Returns false when the session was closed. */
static int relay_passed(int fd)
{
	char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n > 0) {
			if (send(peer_fd[fd], buf, (size_t)n, MSG_NOSIGNAL) != n) {
				close_session(fd);
				return 0;
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close_session(fd);
			return 0;
		}
		return 1;
	}
}

static void splice_pair(int a, int b)
{
	uint32_t slot_a = next_slot, slot_b = next_slot + 1;
	uint64_t fd_a = (uint64_t)a, fd_b = (uint64_t)b;
	uint64_t cookie_a = cookie_of(a), cookie_b = cookie_of(b);

	next_slot = (next_slot + 2) % MAX_FD;
	if (bpf_map_update_elem(socks_map, &slot_a, &fd_a, BPF_ANY) ||
	    bpf_map_update_elem(socks_map, &slot_b, &fd_b, BPF_ANY) ||
	    bpf_map_update_elem(peer_map, &cookie_a, &slot_b, BPF_ANY) ||
	    bpf_map_update_elem(peer_map, &cookie_b, &slot_a, BPF_ANY))
		die("sockmap update");
}

int main(int argc, char **argv)
{
	struct sockaddr_in server;
	struct bpf_object *obj;
	int listener, ep, one = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: %s LISTEN_HOST LISTEN_PORT SERVER_HOST SERVER_PORT\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < MAX_FD; i++)
		peer_fd[i] = -1;
	server = ipv4_address(argv[3], argv[4]);
	obj = bpf_object__open_file("splice.bpf.o", NULL);
	if (!obj || bpf_object__load(obj))
		die("splice.bpf.o");
	socks_map = bpf_object__find_map_fd_by_name(obj, "socks");
	peer_map = bpf_object__find_map_fd_by_name(obj, "peer");
	if (bpf_prog_attach(bpf_program__fd(bpf_object__find_program_by_name(obj, "splice_verdict")),
	                    socks_map, BPF_SK_SKB_VERDICT, 0))
		die("attach");
	listener = listen_on(argv[1], argv[2]);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &(struct epoll_event){ .events = EPOLLIN, .data.fd = listener });
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, client, srv;

			if (fd != listener) {
				if (peer_fd[fd] >= 0)
					relay_passed(fd);
				continue;
			}
			if ((client = accept(listener, NULL, NULL)) < 0)
				continue;
			srv = socket(AF_INET, SOCK_STREAM, 0);
			if (client >= MAX_FD || srv >= MAX_FD ||
			    connect(srv, (struct sockaddr *)&server, sizeof server)) {
				close(client);
				close(srv);
				continue;
			}
			setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			peer_fd[client] = srv;
			peer_fd[srv] = client;
			splice_pair(client, srv);
			epoll_ctl(ep, EPOLL_CTL_ADD, client,
			          &(struct epoll_event){ .events = EPOLLRDHUP, .data.fd = client });
			epoll_ctl(ep, EPOLL_CTL_ADD, srv,
			          &(struct epoll_event){ .events = EPOLLRDHUP, .data.fd = srv });
			relay_passed(client);
		}
	}
}
