/* Connection tracking on lumen_ct. Each local endpoint keeps its own view of a
 * connection (scope EGRESS when it opened it, INGRESS when it was opened towards it), so
 * pod-to-pod traffic on one node is tracked, reported and policed once per side.
 *
 * Offers: lumen_ct_lookup() -> LUMEN_CT_NEW / _ESTABLISHED / _REPLY / _RELATED,
 *         lumen_ct_create(), lumen_ct_account() -> which LUMEN_EV_F_* report is due,
 *         lumen_ct_expired(), lumen_ct_fresh_syn(), lumen_revision_now(),
 *         struct lumen_ct_decision (the cached identity/verdict of an endpoint view).
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

/* fwd_scope: this point's own view (EGRESS at from-endpoint, INGRESS at to-endpoint);
 * rev_scope: the view whose replies pass here. */
static __always_inline int lumen_ct_lookup(const struct lumen_pkt *p, __u8 fwd_scope, __u8 rev_scope,
					   struct lumen_ct_key *key, struct lumen_ct_entry **entry,
					   __u64 now)
{
	struct lumen_ct_entry *e;

	lumen_ct_key_of(key, p->saddr, p->daddr, p->sport, p->dport, p->proto, fwd_scope);
	e = bpf_map_lookup_elem(&lumen_ct, key);
	if (e && !lumen_ct_expired(e, p->proto, now) && !lumen_ct_fresh_syn(e, p)) {
		*entry = e;
		return LUMEN_CT_ESTABLISHED;
	}

	struct lumen_ct_key rkey;
	lumen_ct_key_of(&rkey, p->daddr, p->saddr, p->dport, p->sport, p->proto, rev_scope);
	e = bpf_map_lookup_elem(&lumen_ct, &rkey);
	if (e && !lumen_ct_expired(e, p->proto, now)) {
		*entry = e;
		return LUMEN_CT_REPLY;
	}

	if (p->icmp_err) {
		/* The inner packet is one that went the other way: it is in rev_scope as sent. */
		lumen_ct_key_of(&rkey, p->inner_saddr, p->inner_daddr, p->inner_sport,
				p->inner_dport, p->inner_proto, rev_scope);
		e = bpf_map_lookup_elem(&lumen_ct, &rkey);
		if (e && !lumen_ct_expired(e, p->inner_proto, now)) {
			*entry = e;
			return LUMEN_CT_RELATED;
		}
	}
	*entry = 0;
	return LUMEN_CT_NEW;
}

static __always_inline __u32 lumen_revision_now(void)
{
	__u32 k = 0;
	__u32 *v = bpf_map_lookup_elem(&lumen_revision, &k);
	return v ? *v : 0;
}

/* What an endpoint view decided about its peer, valid while lumen_revision stays at rev. */
struct lumen_ct_decision {
	__u32 rev;
	__u32 remote_identity;
	__u32 rule_id;
	__u8 verdict; /* LUMEN_VERDICT_*; 0 = nothing decided */
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
	e->verdict = d->verdict;
}

/* Creates (or resets) the entry for a new connection; 0 or LUMEN_DROP_CT_FULL. */
static __always_inline int lumen_ct_create(const struct lumen_ct_key *key, const struct lumen_pkt *p,
					   __u16 rev_nat_id, __u8 flags, __u64 now,
					   const struct lumen_ct_decision *d)
{
	struct lumen_ct_entry e = {
		.last_seen_ns = now,
		.last_report_ns = now,
		.tx_packets = 1,
		.tx_bytes = p->len,
		.rev_nat_id = rev_nat_id,
		.tx_tcp_flags = p->tcp_flags,
		.flags = flags,
		.verdict = d->verdict,
		.policy_rev = d->rev,
		.remote_identity = d->remote_identity,
		.rule_id = d->rule_id,
	};
	if (p->tcp_flags & (TCP_FIN | TCP_RST))
		e.flags |= LUMEN_CT_F_CLOSING;
	if (bpf_map_update_elem(&lumen_ct, key, &e, BPF_ANY))
		return LUMEN_DROP_CT_FULL;
	return 0;
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
