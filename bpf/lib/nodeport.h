/* NodePort on the node uplink. A request to <node address>:<nodePort> is load balanced
 * at from-netdev (DNAT). A local backend gets the client address (its endpoint view is
 * pre-created with the rev-NAT id, so the pod's veth reverse-translates the reply). A
 * remote backend additionally needs SNAT to the node address so the reply comes back
 * here; that SNAT happens at to-netdev after the kernel forwarded the DNATed packet,
 * because a packet with our own address as source would be a martian on ingress.
 * Replies: from-netdev restores the client as destination (NAT_REV), to-netdev restores
 * the frontend as source (NAT_FWD seen reversed).
 *
 * Offers: lumen_nodeport_in(), lumen_nodeport_reply_in(), lumen_nodeport_out().
 */
#ifndef LUMEN_NODEPORT_H
#define LUMEN_NODEPORT_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "nat.h"
#include "conntrack.h"
#include "identity.h"
#include "events.h"
#include "lb.h"

#ifndef LUMEN_NAT_PROBES
#define LUMEN_NAT_PROBES 32
#endif

/* Picks a NAT port for client -> backend that no live connection to the same backend
 * uses and records the reverse translation. Returns the port (network order) or 0. */
static __always_inline __be16 lumen_nat_alloc(const struct lumen_pkt *p, __be32 baddr, __be16 bport,
					      __u16 rev_nat_id, __u64 now)
{
	__u32 lo = lumen_cfg.nat_port_min, hi = lumen_cfg.nat_port_max;
	if (hi < lo)
		return 0;
	__u32 range = hi - lo + 1;
	__u32 start = bpf_get_prandom_u32();
	struct lumen_ct_key rkey;

	for (int i = 0; i < LUMEN_NAT_PROBES; i++) {
		__be16 port = bpf_htons((__u16)(lo + (start + i) % range));
		lumen_ct_key_of(&rkey, baddr, lumen_cfg.node_addr, bport, port, p->proto, LUMEN_CT_NAT_REV);
		struct lumen_ct_entry *old = bpf_map_lookup_elem(&lumen_ct, &rkey);
		if (old && !lumen_ct_expired(old, p->proto, now))
			continue;
		struct lumen_ct_entry rev = {
			.last_seen_ns = now,
			.last_report_ns = now,
			.nat_addr = p->saddr,
			.nat_port = p->sport,
			.rev_nat_id = rev_nat_id,
			.flags = LUMEN_CT_F_NODEPORT | LUMEN_CT_F_SEEN_REPLY,
		};
		if (bpf_map_update_elem(&lumen_ct, &rkey, &rev, BPF_ANY))
			return 0;
		return port;
	}
	return 0;
}

/* Reply from a remote backend to node:nat_port -> destination back to the client.
 * Returns 1 when the packet was one of ours. */
static __always_inline int lumen_nodeport_reply_in(struct __sk_buff *skb, struct lumen_pkt *p,
						   struct lumen_trace *t, __u64 now, int *verdict)
{
	if (p->daddr != lumen_cfg.node_addr)
		return 0;
	struct lumen_ct_key key;
	lumen_ct_key_of(&key, p->saddr, p->daddr, p->sport, p->dport, p->proto, LUMEN_CT_NAT_REV);
	struct lumen_ct_entry *e = bpf_map_lookup_elem(&lumen_ct, &key);
	if (!e || lumen_ct_expired(e, p->proto, now))
		return 0;
	__u16 report = lumen_ct_account(e, p, 1, now, &t->packets, &t->bytes);
	int r = lumen_nat_dst(skb, p, e->nat_addr, e->nat_port);
	if (r) {
		*verdict = lumen_drop(p, t, r);
		return 1;
	}
	t->flags |= LUMEN_EV_F_REPLY | LUMEN_EV_F_NODEPORT | LUMEN_EV_F_SNAT;
	t->verdict = LUMEN_VERDICT_FORWARDED;
	if (report) {
		t->src_identity = lumen_identity_of(p->saddr);
		t->dst_identity = lumen_identity_of(p->daddr);
		t->flags |= report;
		lumen_emit(p, t);
	}
	*verdict = TC_ACT_OK;
	return 1;
}

/* Request to a NodePort frontend. */
static __always_inline int lumen_nodeport_in(struct __sk_buff *skb, struct lumen_pkt *p,
					     struct lumen_trace *t, const struct lumen_svc_val *fe, __u64 now)
{
	struct lumen_lb_choice c = {};
	int created = 0, r;

	t->svc_addr = p->daddr;
	t->svc_port = p->dport;
	t->flags |= LUMEN_EV_F_TRANSLATED | LUMEN_EV_F_NODEPORT;
	t->src_identity = lumen_identity_of(p->saddr);
	r = lumen_lb_conn(p, fe, &c, &created, now);
	if (r)
		return lumen_drop(p, t, r);

	struct lumen_endpoint *local = bpf_map_lookup_elem(&lumen_endpoints, &c.addr);
	t->dst_identity = local ? local->identity : lumen_identity_of(c.addr);
	__be32 client = p->saddr;
	__be16 client_port = p->sport;
	struct lumen_ct_key key;

	if (local) {
		/* The pod's veth sees client -> backend as a connection towards it; give that
		 * view the frontend now so its reply is translated back on the veth. */
		lumen_ct_view_key(&key, c.addr, c.port, client, client_port, p->proto);
		struct lumen_ct_entry *e = bpf_map_lookup_elem(&lumen_ct, &key);
		if (!e || (e->flags & LUMEN_CT_F_INDEX) || lumen_ct_expired(e, p->proto, now) || lumen_ct_fresh_syn(e, p)) {
			struct lumen_ct_entry ne = {
				.last_seen_ns = now,
				.last_report_ns = now,
				.rev_nat_id = c.rev_nat_id,
				.svc_addr = p->daddr,
				.svc_port = p->dport,
				.flags = LUMEN_CT_F_NODEPORT | LUMEN_CT_F_REV_NAT,
			};
			if (bpf_map_update_elem(&lumen_ct, &key, &ne, BPF_ANY))
				return lumen_drop(p, t, LUMEN_DROP_CT_FULL);
		}
	} else {
		t->flags |= LUMEN_EV_F_SNAT;
		lumen_ct_key_of(&key, client, c.addr, client_port, c.port, p->proto, LUMEN_CT_NAT_FWD);
		struct lumen_ct_entry *e = bpf_map_lookup_elem(&lumen_ct, &key);
		if (!e || lumen_ct_expired(e, p->proto, now) || lumen_ct_fresh_syn(e, p)) {
			__be16 nat_port = lumen_nat_alloc(p, c.addr, c.port, c.rev_nat_id, now);
			if (!nat_port)
				return lumen_drop(p, t, LUMEN_DROP_NAT_PORTS_EXHAUSTED);
			struct lumen_ct_entry ne = {
				.last_seen_ns = now,
				.last_report_ns = now,
				.nat_addr = lumen_cfg.node_addr,
				.nat_port = nat_port,
				.rev_nat_id = c.rev_nat_id,
				.svc_addr = p->daddr,
				.svc_port = p->dport,
				.flags = LUMEN_CT_F_NODEPORT | LUMEN_CT_F_SEEN_REPLY,
			};
			if (bpf_map_update_elem(&lumen_ct, &key, &ne, BPF_ANY))
				return lumen_drop(p, t, LUMEN_DROP_CT_FULL);
		}
	}

	r = lumen_nat_dst(skb, p, c.addr, c.port);
	if (r)
		return lumen_drop(p, t, r);
	lumen_count(LUMEN_CNT_TC_TRANSLATED);
	if (created) {
		t->verdict = LUMEN_VERDICT_FORWARDED;
		t->flags |= LUMEN_EV_F_NEW;
		t->packets = 1;
		t->bytes = p->len;
		lumen_emit(p, t);
	}
	return TC_ACT_OK;
}

/* Leaving through the uplink: SNAT of requests to remote backends, and the frontend
 * restored as source of their replies. */
static __always_inline int lumen_nodeport_out(struct __sk_buff *skb, struct lumen_pkt *p,
					      struct lumen_trace *t, __u64 now)
{
	struct lumen_ct_key key;
	struct lumen_ct_entry *e;
	__u16 report;
	int r;

	lumen_ct_key_of(&key, p->saddr, p->daddr, p->sport, p->dport, p->proto, LUMEN_CT_NAT_FWD);
	e = bpf_map_lookup_elem(&lumen_ct, &key);
	if (e && !lumen_ct_expired(e, p->proto, now)) {
		report = lumen_ct_account(e, p, 0, now, &t->packets, &t->bytes);
		t->src_identity = lumen_identity_of(p->saddr);
		r = lumen_nat_src(skb, p, e->nat_addr, e->nat_port);
		if (r)
			return lumen_drop(p, t, r);
		t->flags |= LUMEN_EV_F_NODEPORT | LUMEN_EV_F_SNAT;
		goto out;
	}

	lumen_ct_key_of(&key, p->daddr, p->saddr, p->dport, p->sport, p->proto, LUMEN_CT_NAT_FWD);
	e = bpf_map_lookup_elem(&lumen_ct, &key);
	if (!e || lumen_ct_expired(e, p->proto, now))
		return TC_ACT_OK;
	report = lumen_ct_account(e, p, 1, now, &t->packets, &t->bytes);
	t->src_identity = lumen_identity_of(p->saddr);
	/* The frontend was stored with the translation: no rev-NAT lookup per reply. */
	t->svc_addr = e->svc_addr;
	t->svc_port = e->svc_port;
	r = lumen_nat_src(skb, p, e->svc_addr, e->svc_port);
	if (r)
		return lumen_drop(p, t, r);
	t->flags |= LUMEN_EV_F_REPLY | LUMEN_EV_F_NODEPORT | LUMEN_EV_F_TRANSLATED;
out:
	t->verdict = LUMEN_VERDICT_FORWARDED;
	if (report) {
		t->dst_identity = lumen_identity_of(p->daddr);
		t->flags |= report;
		lumen_emit(p, t);
	}
	return TC_ACT_OK;
}

#endif
