/* Connection tracking on lumen_ct. Each local endpoint keeps its own view of a
 * connection, so pod-to-pod traffic on one node is tracked, reported and policed once per
 * side. A view is keyed by the tuple in canonical order (lumen_ct_view_key): a packet of
 * either direction finds it with one lookup, and the entry says which way it was opened.
 *
 * A connection the tc LB translated is viewed under the tuple the endpoint sent (to the
 * frontend; flag DNAT, the backend in nat_addr/nat_port), so its packets need no service
 * lookup; an INDEX entry under the translated tuple leads its replies back to that view.
 *
 * Offers: lumen_ct_view_key(), lumen_ct_classify() -> LUMEN_CT_NEW / _ESTABLISHED /
 *         _REPLY / _RELATED, lumen_ct_related(), lumen_ct_create(), lumen_ct_create_index(),
 *         lumen_ct_account() -> which LUMEN_EV_F_* report is due, lumen_ct_expired(),
 *         lumen_ct_fresh_syn(), lumen_ct_key_of(), lumen_revision_now(),
 *         struct lumen_ct_decision and lumen_ct_cached()/lumen_ct_remember() (the cached
 *         endpoint, identity and verdict of a view).
 */
#ifndef LUMEN_CONNTRACK_H
#define LUMEN_CONNTRACK_H

#include "common.h"
#include "maps.h"
#include "parse.h"

#define LUMEN_CT_NEW         0
#define LUMEN_CT_ESTABLISHED 1
#define LUMEN_CT_REPLY       2
#define LUMEN_CT_RELATED     3

static __always_inline __u64 lumen_ct_timeout(const struct lumen_ct_entry *e, __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return lumen_cfg.ct_timeout_other_ns;
	if (e->flags & LUMEN_CT_F_CLOSING)
		return lumen_cfg.ct_timeout_close_ns;
	if (!(e->flags & LUMEN_CT_F_SEEN_REPLY))
		return lumen_cfg.ct_timeout_syn_ns;
	return lumen_cfg.ct_timeout_tcp_ns;
}

static __always_inline int lumen_ct_expired(const struct lumen_ct_entry *e, __u8 proto, __u64 now)
{
	return now - e->last_seen_ns > lumen_ct_timeout(e, proto);
}

/* A bare SYN on a closing entry is a new connection reusing the tuple. */
static __always_inline int lumen_ct_fresh_syn(const struct lumen_ct_entry *e, const struct lumen_pkt *p)
{
	return p->proto == IPPROTO_TCP && (e->flags & LUMEN_CT_F_CLOSING) &&
	       (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

static __always_inline void lumen_ct_key_of(struct lumen_ct_key *k, __be32 saddr, __be32 daddr,
					    __be16 sport, __be16 dport, __u8 proto, __u8 scope)
{
	k->saddr = saddr;
	k->daddr = daddr;
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->scope = scope;
	k->pad = 0;
}

/* The view of the endpoint at local_addr:local_port of the connection between it and
 * peer_addr:peer_port, whichever way the packet goes. Any total order works for the
 * canonical form, as long as it is the same everywhere (agent/native/abi.ts has it too). */
static __always_inline void lumen_ct_view_key(struct lumen_ct_key *k, __be32 local_addr, __be16 local_port,
					      __be32 peer_addr, __be16 peer_port, __u8 proto)
{
	__u64 l = ((__u64)bpf_ntohl(local_addr) << 16) | bpf_ntohs(local_port);
	__u64 r = ((__u64)bpf_ntohl(peer_addr) << 16) | bpf_ntohs(peer_port);

	if (l <= r)
		lumen_ct_key_of(k, local_addr, peer_addr, local_port, peer_port, proto, LUMEN_CT_EP_LO);
	else
		lumen_ct_key_of(k, peer_addr, local_addr, peer_port, local_port, proto, LUMEN_CT_EP_HI);
}

/* What a live view entry makes of this packet; from_local: the local endpoint sent it. */
static __always_inline int lumen_ct_classify(const struct lumen_ct_entry *e, const struct lumen_pkt *p,
					     int from_local, __u64 now)
{
	if (!e || (e->flags & LUMEN_CT_F_INDEX) || lumen_ct_expired(e, p->proto, now))
		return LUMEN_CT_NEW;
	if (!!(e->flags & LUMEN_CT_F_OUTBOUND) != !!from_local)
		return LUMEN_CT_REPLY;
	if (lumen_ct_fresh_syn(e, p))
		return LUMEN_CT_NEW;
	return LUMEN_CT_ESTABLISHED;
}

/* An ICMP error about a tracked connection of this endpoint: the inner packet is one
 * the endpoint sent (from_local == 0: the error comes to it) or received. */
static __always_inline struct lumen_ct_entry *lumen_ct_related(const struct lumen_pkt *p, int from_local, __u64 now)
{
	struct lumen_ct_key k;
	struct lumen_ct_entry *e;

	if (from_local)
		lumen_ct_view_key(&k, p->inner_daddr, p->inner_dport, p->inner_saddr, p->inner_sport, p->inner_proto);
	else
		lumen_ct_view_key(&k, p->inner_saddr, p->inner_sport, p->inner_daddr, p->inner_dport, p->inner_proto);
	e = bpf_map_lookup_elem(&lumen_ct, &k);
	if (e && ((e->flags & LUMEN_CT_F_INDEX) || !lumen_ct_expired(e, p->inner_proto, now)))
		return e;
	return 0;
}

static __always_inline __u32 lumen_revision_now(void)
{
	__u32 k = 0;
	__u32 *v = bpf_map_lookup_elem(&lumen_revision, &k);
	return v ? *v : 0;
}

/* What an endpoint view decided about its endpoint and peer, valid while lumen_revision
 * stays at rev. */
struct lumen_ct_decision {
	__u64 now;
	__u32 rev;
	__u32 remote_identity;
	__u32 rule_id;
	__u32 ifindex;
	__u32 endpoint_id;
	__u32 local_identity;
	__u16 ep_flags;
	__u8 verdict; /* LUMEN_VERDICT_*; 0 = nothing decided */
	__u8 remote_known; /* remote_identity already found (a local peer) */
};

static __always_inline int lumen_ct_cached(const struct lumen_ct_entry *e, __u32 rev)
{
	return e->verdict != 0 && e->policy_rev == rev;
}

static __always_inline void lumen_ct_remember(struct lumen_ct_entry *e, const struct lumen_ct_decision *d)
{
	e->policy_rev = d->rev;
	e->remote_identity = d->remote_identity;
	e->rule_id = d->rule_id;
	e->ifindex = d->ifindex;
	e->endpoint_id = d->endpoint_id;
	e->local_identity = d->local_identity;
	e->ep_flags = d->ep_flags;
	e->verdict = d->verdict;
}

/* What a new view starts with beyond the packet: how it was translated. */
struct lumen_ct_origin {
	__u32 backend_id;
	__be32 nat_addr;
	__be16 nat_port;
	__u16 rev_nat_id;
	__be32 svc_addr;
	__be16 svc_port;
	__u8 flags; /* LUMEN_CT_F_* */
};

/* Writes a new entry at key. `old` is the entry the caller found there (a closed, expired
 * or index entry the tuple now reuses): it is rewritten in place, which spares the LRU a
 * free-node pop, the bucket lock and the old node's return. 0 or LUMEN_DROP_CT_FULL. */
static __always_inline int lumen_ct_put(const struct lumen_ct_key *key, struct lumen_ct_entry *old,
					const struct lumen_ct_entry *e)
{
	if (old) {
		*old = *e;
		return 0;
	}
	if (bpf_map_update_elem(&lumen_ct, key, e, BPF_ANY))
		return LUMEN_DROP_CT_FULL;
	return 0;
}

/* Creates (or resets) the view for a new connection at key; old: what the lookup of key
 * found (reused in place), or 0. 0 or LUMEN_DROP_CT_FULL. */
LUMEN_OUTLINE int lumen_ct_create(const struct lumen_ct_key *key, struct lumen_ct_entry *old,
				  const struct lumen_pkt *p, const struct lumen_ct_origin *o,
				  const struct lumen_ct_decision *d)
{
	__u64 now = d->now;
	struct lumen_ct_entry e = {
		.last_seen_ns = now,
		.last_report_ns = now,
		.tx_packets = 1,
		.tx_bytes = p->len,
		.backend_id = o->backend_id,
		.nat_addr = o->nat_addr,
		.nat_port = o->nat_port,
		.rev_nat_id = o->rev_nat_id,
		.tx_tcp_flags = p->tcp_flags,
		.flags = o->flags,
		.verdict = d->verdict,
		.policy_rev = d->rev,
		.remote_identity = d->remote_identity,
		.rule_id = d->rule_id,
		.svc_addr = o->svc_addr,
		.svc_port = o->svc_port,
		.ep_flags = d->ep_flags,
		.ifindex = d->ifindex,
		.endpoint_id = d->endpoint_id,
		.local_identity = d->local_identity,
	};
	if (p->tcp_flags & (TCP_FIN | TCP_RST))
		e.flags |= LUMEN_CT_F_CLOSING;
	return lumen_ct_put(key, old, &e);
}

/* The reply index of a DNAT view: under the translated tuple (local endpoint as sent,
 * backend), it names the frontend the view is keyed by. It has no life of its own: it is
 * valid while that view is, and is overwritten when the tuple is reused. */
LUMEN_OUTLINE int lumen_ct_create_index(const struct lumen_pkt *p, __be32 svc_addr, __be16 svc_port, __u64 now)
{
	struct lumen_ct_key k;
	struct lumen_ct_entry e = {
		.last_seen_ns = now,
		.svc_addr = svc_addr,
		.svc_port = svc_port,
		.flags = LUMEN_CT_F_INDEX | LUMEN_CT_F_OUTBOUND,
	};
	lumen_ct_view_key(&k, p->saddr, p->sport, p->daddr, p->dport, p->proto);
	return lumen_ct_put(&k, bpf_map_lookup_elem(&lumen_ct, &k), &e);
}

/* Counts the packet on its direction of the entry; returns the LUMEN_EV_F_* reason to
 * report it (0: aggregated, no event). */
static __always_inline __u16 lumen_ct_account(struct lumen_ct_entry *e, const struct lumen_pkt *p,
					      int reply, __u64 now, __u64 *packets, __u64 *bytes)
{
	__u16 report = 0;
	__u8 seen;

	e->last_seen_ns = now;
	if (reply) {
		*packets = __sync_fetch_and_add(&e->rx_packets, 1) + 1;
		*bytes = __sync_fetch_and_add(&e->rx_bytes, p->len) + p->len;
		seen = e->rx_tcp_flags;
		if ((seen | p->tcp_flags) != seen) {
			e->rx_tcp_flags = seen | p->tcp_flags;
			report = LUMEN_EV_F_TCP_FLAGS;
		}
		if (!(e->flags & LUMEN_CT_F_SEEN_REPLY)) {
			/* The first answer is worth an event even without TCP flags (UDP). */
			e->flags |= LUMEN_CT_F_SEEN_REPLY;
			report |= LUMEN_EV_F_REPLY;
		}
	} else {
		*packets = __sync_fetch_and_add(&e->tx_packets, 1) + 1;
		*bytes = __sync_fetch_and_add(&e->tx_bytes, p->len) + p->len;
		seen = e->tx_tcp_flags;
		if ((seen | p->tcp_flags) != seen) {
			e->tx_tcp_flags = seen | p->tcp_flags;
			report = LUMEN_EV_F_TCP_FLAGS;
		}
	}
	if ((p->tcp_flags & (TCP_FIN | TCP_RST)) && !(e->flags & LUMEN_CT_F_CLOSING))
		e->flags |= LUMEN_CT_F_CLOSING;
	if (!report && now - e->last_report_ns >= lumen_cfg.report_interval_ns)
		report = LUMEN_EV_F_PERIODIC;
	if (report)
		e->last_report_ns = now;
	return report;
}

#endif
