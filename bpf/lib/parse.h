/* Packet parsing into a flat tuple the rest of the datapath works on.
 *
 * Offers: struct lumen_pkt, lumen_parse() -> LUMEN_PARSE_OK, LUMEN_PARSE_PASS (not IPv4
 *         but harmless: ARP) or a drop reason (> 0).
 */
#ifndef LUMEN_PARSE_H
#define LUMEN_PARSE_H

#include "common.h"

#define LUMEN_PARSE_OK   0
#define LUMEN_PARSE_PASS (-1)

/* Longest header run we read: Ethernet + IPv4 with options + ICMP + inner IPv4 with
 * options + inner ports. */
#define LUMEN_PARSE_PULL (ETH_HLEN + 60 + 8 + 60 + 8)

#define ICMP_ECHOREPLY      0
#define ICMP_DEST_UNREACH   3
#define ICMP_ECHO           8
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAMETERPROB  12

struct lumen_pkt {
	__be32 saddr;
	__be32 daddr;
	__be16 sport; /* ICMP echo: identifier in both ports, so a reply reverses cleanly */
	__be16 dport;
	__u8 proto;
	__u8 tcp_flags;
	__u8 has_ports; /* addresses and ports may be rewritten */
	__u8 icmp_err;  /* inner_* hold the tuple the ICMP error is about */
	__u16 l4_off;
	__u16 pad;
	__u32 len;
	__be32 inner_saddr;
	__be32 inner_daddr;
	__be16 inner_sport;
	__be16 inner_dport;
	__u8 inner_proto;
};

static __always_inline void lumen_parse_icmp_inner(void *inner, void *end, struct lumen_pkt *p)
{
	struct iphdr *iph = inner;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return;
	__u32 hlen = iph->ihl * 4;
	__u16 *ports = inner + hlen;
	if ((void *)(ports + 2) > end)
		return;
	p->inner_saddr = iph->saddr;
	p->inner_daddr = iph->daddr;
	p->inner_proto = iph->protocol;
	if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP ||
	    iph->protocol == IPPROTO_SCTP) {
		p->inner_sport = ports[0];
		p->inner_dport = ports[1];
	}
	p->icmp_err = 1;
}

/* Header bytes the parser reads, as far as the linear part tells; the worst case when it
 * does not even hold the IPv4 header. */
static __always_inline __u32 lumen_parse_need(void *data, void *end)
{
	struct iphdr *iph = data + ETH_HLEN;

	if ((void *)(iph + 1) > end)
		return LUMEN_PARSE_PULL;
	__u32 l3 = ETH_HLEN + iph->ihl * 4;
	switch (iph->protocol) {
	case IPPROTO_TCP:
		return l3 + sizeof(struct tcphdr);
	case IPPROTO_ICMP:
		return l3 + sizeof(struct icmphdr) + 60 + 8; /* an error quotes an IPv4 header + ports */
	default:
		return l3 + 12; /* UDP, SCTP common header */
	}
}

static __always_inline int lumen_parse(struct __sk_buff *skb, struct lumen_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	/* Headers may sit in paged data (GRO, some drivers): make linear what we read and no
	 * more. A locally sent TCP segment keeps its payload in page frags and is a clone (the
	 * socket keeps it for retransmits): pulling payload bytes would copy its head on every
	 * packet. */
	__u32 linear = end - data;
	if (linear < skb->len) {
		__u32 need = lumen_parse_need(data, end);
		if (linear < need) {
			bpf_skb_pull_data(skb, skb->len < need ? skb->len : need);
			data = (void *)(long)skb->data;
			end = (void *)(long)skb->data_end;
		}
	}
	p->len = skb->len;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return LUMEN_DROP_MALFORMED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return LUMEN_PARSE_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return LUMEN_DROP_UNSUPPORTED_L3;

	struct iphdr *iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > end)
		return LUMEN_DROP_MALFORMED;
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->proto = iph->protocol;
	if (iph->version != 4 || iph->ihl < 5)
		return LUMEN_DROP_MALFORMED;
	__u32 hlen = iph->ihl * 4;
	__u32 tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || tot > skb->len - ETH_HLEN)
		return LUMEN_DROP_MALFORMED;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return LUMEN_DROP_FRAGMENT;

	void *l4 = (void *)iph + hlen;
	p->l4_off = ETH_HLEN + hlen;
	switch (iph->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;
		if ((void *)(th + 1) > end || th->doff < 5 || hlen + th->doff * 4 > tot)
			return LUMEN_DROP_MALFORMED;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->has_ports = 1;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;
		if ((void *)(uh + 1) > end || hlen + sizeof(*uh) > tot)
			return LUMEN_DROP_MALFORMED;
		p->sport = uh->source;
		p->dport = uh->dest;
		p->has_ports = 1;
		break;
	}
	case IPPROTO_SCTP: {
		__be16 *ports = l4;
		if ((void *)(ports + 6) > end || hlen + 12 > tot)
			return LUMEN_DROP_MALFORMED;
		p->sport = ports[0];
		p->dport = ports[1];
		break;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = l4;
		if ((void *)(ih + 1) > end || hlen + sizeof(*ih) > tot)
			return LUMEN_DROP_MALFORMED;
		if (ih->type == ICMP_ECHO || ih->type == ICMP_ECHOREPLY) {
			p->sport = ih->un.echo.id;
			p->dport = ih->un.echo.id;
		} else if (ih->type == ICMP_DEST_UNREACH || ih->type == ICMP_TIME_EXCEEDED ||
			   ih->type == ICMP_PARAMETERPROB) {
			lumen_parse_icmp_inner((void *)(ih + 1), end, p);
		}
		break;
	}
	default:
		return LUMEN_DROP_UNSUPPORTED_L4;
	}
	return LUMEN_PARSE_OK;
}

#endif
