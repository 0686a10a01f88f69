/* Address and port rewrites with incremental checksum updates (RFC 1624), written
 * straight into the packet: no helper call on the hot path.
 *
 * The L4 checksum depends on how the skb carries it (skb->ip_summed, read through
 * bpf_cast_to_kern_ctx): CHECKSUM_PARTIAL (locally sent, offloaded) holds only the
 * pseudo-header sum, so an address change is applied uncomplemented and a port change
 * not at all; NONE/UNNECESSARY hold the full checksum. CHECKSUM_COMPLETE also needs
 * skb->csum adjusted, which only bpf_l4_csum_replace can do: those skbs take the helper.
 *
 * Offers: lumen_nat_dst(), lumen_nat_src() -> 0 or LUMEN_DROP_CSUM_REWRITE.
 */
#ifndef LUMEN_NAT_H
#define LUMEN_NAT_H

#include "common.h"
#include "parse.h"
#include <bpf/bpf_core_read.h>

#define IP_CSUM_OFF  (ETH_HLEN + 10)

#ifndef CHECKSUM_NONE
#define CHECKSUM_NONE        0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_COMPLETE    2
#define CHECKSUM_PARTIAL     3
#endif
#define LUMEN_CSUM_MANGLED_0 0xffff

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline __u32 lumen_skb_ip_summed(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	return BPF_CORE_READ_BITFIELD(kskb, ip_summed);
}

static __always_inline int lumen_l4_csum_off(const struct lumen_pkt *p, __u64 *flags)
{
	if (p->proto == IPPROTO_TCP) {
		*flags = 0;
		return p->l4_off + 16;
	}
	if (p->proto == IPPROTO_UDP) {
		/* UDP checksum 0 means "none": keep it 0 instead of inventing one. */
		*flags = BPF_F_MARK_MANGLED_0;
		return p->l4_off + 6;
	}
	return -1;
}

static __always_inline __u16 lumen_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Ones-complement arithmetic is byte-order neutral as long as every word is taken as it
 * sits in memory, so the raw (network order) values are used as they are. The sum of
 * what leaves minus what comes in: */
static __always_inline __u32 lumen_csum_delta4(__be32 from, __be32 to)
{
	return (__u16)~(from & 0xffff) + (__u16)~(from >> 16) + (to & 0xffff) + (to >> 16);
}

static __always_inline __u32 lumen_csum_delta2(__be16 from, __be16 to)
{
	return (__u16)~from + (__u16)to;
}

/* A checksum field holding ~sum (IPv4 header; L4 outside CHECKSUM_PARTIAL). */
static __always_inline __u16 lumen_csum_apply(__u16 check, __u32 delta)
{
	return ~lumen_csum_fold((__u16)~check + delta);
}

/* CHECKSUM_COMPLETE skbs: the helper also keeps skb->csum right. */
LUMEN_OUTLINE int lumen_l4_csum_helper(struct __sk_buff *skb, const struct lumen_pkt *p, __be32 old_addr,
				       __be32 addr, __u32 old_port_new_port)
{
	__u64 flags = 0;
	int off = lumen_l4_csum_off(p, &flags);
	__be16 old_port = old_port_new_port >> 16, port = old_port_new_port & 0xffff;

	if (off < 0)
		return 0;
	if (old_addr != addr && bpf_l4_csum_replace(skb, off, old_addr, addr, flags | BPF_F_PSEUDO_HDR | sizeof(addr)))
		return LUMEN_DROP_CSUM_REWRITE;
	if (old_port != port && bpf_l4_csum_replace(skb, off, old_port, port, flags | sizeof(port)))
		return LUMEN_DROP_CSUM_REWRITE;
	return 0;
}

static __always_inline int lumen_nat_rewrite(struct __sk_buff *skb, struct lumen_pkt *p, int dst, __be32 addr, __be16 port)
{
	__be32 old_addr = dst ? p->daddr : p->saddr;
	__be16 old_port = dst ? p->dport : p->sport;
	int addr_changes = old_addr != addr;
	int port_changes = p->has_ports && old_port != port;

	if (!addr_changes && !port_changes)
		return 0;
	if (!port_changes)
		port = old_port;

	__u32 summed = lumen_skb_ip_summed(skb);
	if (summed == CHECKSUM_COMPLETE &&
	    lumen_l4_csum_helper(skb, p, old_addr, addr, ((__u32)old_port << 16) | port))
		return LUMEN_DROP_CSUM_REWRITE;

	/* The helper may have moved the data: take fresh pointers either way. */
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > end)
		return LUMEN_DROP_CSUM_REWRITE;
	__u32 l4 = p->l4_off & 0x7f; /* 14 + at most 60 bytes of IP header */
	__be16 *ports = data + l4;
	if ((void *)(ports + 4) > end) /* ports and the UDP checksum; TCP's is checked below */
		return LUMEN_DROP_CSUM_REWRITE;

	if (summed != CHECKSUM_COMPLETE && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
		__u16 *check = p->proto == IPPROTO_TCP ? (void *)ports + 16 : (void *)ports + 6;
		if ((void *)(check + 1) > end)
			return LUMEN_DROP_CSUM_REWRITE;
		__u16 c = *check;
		int udp = p->proto == IPPROTO_UDP;
		if (!(udp && c == 0)) {
			__u32 delta = addr_changes ? lumen_csum_delta4(old_addr, addr) : 0;
			if (summed == CHECKSUM_PARTIAL) {
				/* The field holds the pseudo-header sum itself; ports are payload. */
				c = lumen_csum_fold(c + delta);
			} else {
				if (port_changes)
					delta += lumen_csum_delta2(old_port, port);
				c = lumen_csum_apply(c, delta);
			}
			if (udp && c == 0)
				c = LUMEN_CSUM_MANGLED_0;
			*check = c;
		}
	}
	if (addr_changes) {
		iph->check = lumen_csum_apply(iph->check, lumen_csum_delta4(old_addr, addr));
		if (dst)
			iph->daddr = addr;
		else
			iph->saddr = addr;
	}
	if (port_changes)
		ports[dst ? 1 : 0] = port;
	if (dst) {
		p->daddr = addr;
		if (p->has_ports)
			p->dport = port;
	} else {
		p->saddr = addr;
		if (p->has_ports)
			p->sport = port;
	}
	return 0;
}

static __always_inline int lumen_nat_dst(struct __sk_buff *skb, struct lumen_pkt *p,
					 __be32 addr, __be16 port)
{
	return lumen_nat_rewrite(skb, p, 1, addr, port);
}

static __always_inline int lumen_nat_src(struct __sk_buff *skb, struct lumen_pkt *p,
					 __be32 addr, __be16 port)
{
	return lumen_nat_rewrite(skb, p, 0, addr, port);
}

#endif
