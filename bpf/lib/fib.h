/* Forwarding a packet ourselves: FIB lookup in the current namespace, then a redirect
 * to the egress device (with the neighbour resolved by the kernel when it is not known
 * yet). Used where the host stack would refuse the packet: a NodePort reply reverse-NATed
 * on the pod veth carries the node's own address as source, a martian on ingress.
 *
 * Offers: lumen_fib_redirect() -> TC_ACT_REDIRECT, or TC_ACT_SHOT after reporting the drop.
 */
#ifndef LUMEN_FIB_H
#define LUMEN_FIB_H

#include "common.h"
#include "parse.h"
#include "events.h"

#define TC_ACT_REDIRECT 7
#define AF_INET 2
#define IP_TTL_OFF (ETH_HLEN + 8)

/* struct bpf_fib_lookup (UAPI, fixed layout) spelled out here: vmlinux.h marks its types
 * preserve_access_index, and clang 14 emits CO-RE relocations for the zero-fill of the
 * anonymous unions that libbpf resolves to offset 0 -- overwriting `family`. */
struct lumen_fib_params {
	__u8 family;
	__u8 l4_protocol;
	__be16 sport;
	__be16 dport;
	__u16 tot_len;
	__u32 ifindex;
	__u32 tos;
	__be32 ipv4_src;
	__u32 ipv4_src_rest[3];
	__be32 ipv4_dst;
	__u32 ipv4_dst_rest[3];
	__be16 h_vlan_proto;
	__be16 h_vlan_tci;
	__u8 smac[6];
	__u8 dmac[6];
};

_Static_assert(sizeof(struct lumen_fib_params) == 64, "struct bpf_fib_lookup is 64 bytes");

LUMEN_OUTLINE int lumen_fib_redirect(struct __sk_buff *skb, struct lumen_pkt *p, struct lumen_trace *t)
{
	struct lumen_fib_params fib = {
		.family = AF_INET,
		.l4_protocol = p->proto,
		.sport = p->sport,
		.dport = p->dport,
		.tot_len = p->len - ETH_HLEN,
		.ifindex = skb->ifindex,
		.ipv4_src = p->saddr,
		.ipv4_dst = p->daddr,
	};
	long r = bpf_fib_lookup(skb, (struct bpf_fib_lookup *)&fib, sizeof(fib), 0);
	if (r != BPF_FIB_LKUP_RET_SUCCESS && r != BPF_FIB_LKUP_RET_NO_NEIGH)
		return lumen_drop(p, t, LUMEN_DROP_NO_ROUTE);

	/* We forward instead of the stack: age the packet like it would. */
	__u8 ttl;
	if (bpf_skb_load_bytes(skb, IP_TTL_OFF, &ttl, 1) == 0 && ttl > 1) {
		__u16 old = 0, new = 0;
		bpf_skb_load_bytes(skb, IP_TTL_OFF, &old, 2);
		new = old;
		((__u8 *)&new)[0] = ttl - 1;
		bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, new, 2);
		bpf_skb_store_bytes(skb, IP_TTL_OFF, &new, 2, 0);
	}

	if (r == BPF_FIB_LKUP_RET_NO_NEIGH)
		return bpf_redirect_neigh(fib.ifindex, 0, 0, 0);
	if (bpf_skb_store_bytes(skb, 0, fib.dmac, 6, 0) || bpf_skb_store_bytes(skb, 6, fib.smac, 6, 0))
		return lumen_drop(p, t, LUMEN_DROP_CSUM_REWRITE);
	return bpf_redirect(fib.ifindex, 0);
}

#endif
