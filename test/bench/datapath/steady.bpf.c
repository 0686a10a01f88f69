// SPDX-License-Identifier: GPL-2.0
/* B5 harness: BPF_PROG_TEST_RUN runs a program `repeat` times on one skb, so a program
 * that rewrites the packet (the tc LB's DNAT) would see its own output from the second
 * run on and measure the untranslated path. bench_restore puts the frontend back into
 * the destination before every run, then tail-calls the measured program (slot 0 of
 * bench_next); the same harness tail-calling an empty program gives the cost to subtract.
 * Checksums are left as they come: the datapath updates them incrementally and never
 * verifies them. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_next SEC(".maps");

/* The datapath's policy revision (pinned by name, shared with the loaded datapath). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_revision SEC(".maps");

/* The frontend (network order), set before load. */
const volatile __u32 bench_daddr = 0;
const volatile __u16 bench_dport = 0;

static __always_inline int restore(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN;
	struct tcphdr *th = (void *)(iph + 1);

	if ((void *)(th + 1) > end)
		return 2;
	iph->daddr = bench_daddr;
	th->dest = bench_dport;
	bpf_tail_call(skb, &bench_next, 0);
	return 2; /* TC_ACT_SHOT: the tail call failed, the caller checks retval */
}

SEC("tc")
int bench_restore(struct __sk_buff *skb)
{
	return restore(skb);
}

/* The same, after moving the policy revision: the program finds its cached verdict stale
 * and decides again (identity and policy lookups), as after any policy write. */
SEC("tc")
int bench_restore_redecide(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u32 *rev = bpf_map_lookup_elem(&lumen_revision, &k);

	if (rev)
		__sync_fetch_and_add(rev, 1);
	return restore(skb);
}

SEC("tc")
int bench_noop(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
