/* Address and port rewrites with incremental checksum updates. The TCP/UDP checksum goes
 * through bpf_l4_csum_replace (it knows CHECKSUM_PARTIAL/COMPLETE skbs: only the
 * pseudo-header part changes for a partial checksum); the IPv4 header checksum is updated
 * here (RFC 1624) and the new bytes are written directly, which saves three helper calls
 * per rewrite on the hot path.
 *
 * Offers: lumen_nat_dst(), lumen_nat_src() -> 0 or LUMEN_DROP_CSUM_REWRITE.
 */
#ifndef LUMEN_NAT_H
#define LUMEN_NAT_H

#include "common.h"
#include "parse.h"

#define IP_CSUM_OFF  (ETH_HLEN + 10)

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
 * sits in memory, so the raw (network order) values are used as they are. */
static __always_inline __u16 lumen_csum_replace4(__u16 check, __be32 from, __be32 to)
{
	__u32 s = (__u16)~check;
	s += (__u16)~(from & 0xffff) + (__u16)~(from >> 16);
	s += (to & 0xffff) + (to >> 16);
	return ~lumen_csum_fold(s);
}

static __always_inline int lumen_nat_rewrite(struct __sk_buff *skb, struct lumen_pkt *p,
					     int dst, __be32 addr, __be16 port)
{
	__be32 old_addr = dst ? p->daddr : p->saddr;
	__be16 old_port = dst ? p->dport : p->sport;
	int addr_changes = old_addr != addr;
	int port_changes = p->has_ports && old_port != port;
	__u64 flags = 0;
	int csum_off = lumen_l4_csum_off(p, &flags);

	if (!addr_changes && !port_changes)
		return 0;
	if (csum_off >= 0) {
		if (addr_changes &&
		    bpf_l4_csum_replace(skb, csum_off, old_addr, addr, flags | BPF_F_PSEUDO_HDR | sizeof(addr)))
			return LUMEN_DROP_CSUM_REWRITE;
		if (port_changes && bpf_l4_csum_replace(skb, csum_off, old_port, port, flags | sizeof(port)))
			return LUMEN_DROP_CSUM_REWRITE;
	}

	/* The helpers may have moved the data: take fresh pointers. */
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > end)
		return LUMEN_DROP_CSUM_REWRITE;
	if (addr_changes) {
		iph->check = lumen_csum_replace4(iph->check, old_addr, addr);
		if (dst)
			iph->daddr = addr;
		else
			iph->saddr = addr;
	}
	if (port_changes) {
		__u32 off = p->l4_off & 0x7f; /* 14 + at most 60 bytes of IP header */
		__be16 *ports = data + off;
		if ((void *)(ports + 2) > end)
			return LUMEN_DROP_CSUM_REWRITE;
		ports[dst ? 1 : 0] = port;
	}
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
