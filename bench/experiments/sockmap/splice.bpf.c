/*
 * The verdict program of the sockmap experiment: every segment that arrives
 * on a socket of the map goes out on its peer's socket, without waking the
 * proxy. `peer` maps a socket's cookie to the slot of its peer in `socks`;
 * a socket with no peer keeps its data (SK_PASS) for the proxy to read.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} peer SEC(".maps");

SEC("sk_skb")
int splice_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u32 *slot = bpf_map_lookup_elem(&peer, &cookie);

	if (!slot)
		return SK_PASS;
	return bpf_sk_redirect_map(skb, &socks, *slot, 0);
}

char LICENSE[] SEC("license") = "GPL";
