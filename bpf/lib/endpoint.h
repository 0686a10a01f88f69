/* The part both pod-veth programs share once the packet's view of its endpoint was looked
 * up: the endpoint itself (cached in the view), the remote identity, policy for non-reply
 * packets, reverse NAT of NodePort replies, accounting and aggregated flow events.
 *
 * Offers: struct lumen_view, lumen_view_lookup(), lumen_view_endpoint(),
 *         lumen_endpoint_pass().
 */
#ifndef LUMEN_ENDPOINT_H
#define LUMEN_ENDPOINT_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "nat.h"
#include "conntrack.h"
#include "identity.h"
#include "policy.h"
#include "events.h"
#include "lb.h"
#include "fib.h"

/* One packet's place in conntrack, as seen from its endpoint. */
struct lumen_view {
	struct lumen_ct_key key;   /* where a new connection's view is created */
	struct lumen_ct_entry *e;  /* the live view (or related entry) unless st is NEW */
	int st;                    /* LUMEN_CT_* */
};

/* from_local: the packet leaves the endpoint (from-container) rather than reaching it. */
static __always_inline void lumen_view_lookup(struct lumen_view *v, const struct lumen_pkt *p, int from_local, __u64 now)
{
	if (from_local)
		lumen_ct_view_key(&v->key, p->saddr, p->sport, p->daddr, p->dport, p->proto);
	else
		lumen_ct_view_key(&v->key, p->daddr, p->dport, p->saddr, p->sport, p->proto);
	v->e = bpf_map_lookup_elem(&lumen_ct, &v->key);
	v->st = lumen_ct_classify(v->e, p, from_local, now);
	if (v->st == LUMEN_CT_NEW && p->icmp_err) {
		struct lumen_ct_entry *rel = lumen_ct_related(p, from_local, now);
		if (rel) {
			v->e = rel;
			v->st = LUMEN_CT_RELATED;
		}
	}
}

/* The local endpoint from the view's cache (valid at this revision and veth), else from
 * lumen_endpoints. Returns 0, or -1 when the address is no endpoint of ours. */
static __always_inline int lumen_view_endpoint(const struct lumen_view *v, struct lumen_ct_decision *d,
					       __be32 local_addr, __u32 ifindex)
{
	const struct lumen_ct_entry *e = v->e;

	if ((v->st == LUMEN_CT_ESTABLISHED || v->st == LUMEN_CT_REPLY) && lumen_ct_cached(e, d->rev) &&
	    e->ifindex == ifindex) {
		d->ifindex = e->ifindex;
		d->endpoint_id = e->endpoint_id;
		d->local_identity = e->local_identity;
		d->ep_flags = e->ep_flags;
		return 0;
	}
	struct lumen_endpoint *ep = bpf_map_lookup_elem(&lumen_endpoints, &local_addr);
	if (!ep)
		return -1;
	d->ifindex = ep->ifindex;
	d->endpoint_id = ep->endpoint_id;
	d->local_identity = ep->identity;
	d->ep_flags = ep->flags;
	return 0;
}

/* dir: LUMEN_DIR_EGRESS at from-container (the endpoint sends), LUMEN_DIR_INGRESS at
 * to-container. o: how a new connection was translated (its view is created at v->key).
 *
 * The remote identity and the policy verdict of a connection are remembered in its view
 * together with lumen_revision; while the revision stands, established packets reuse them
 * instead of the ipcache and policy lookups. Any policy, ipcache or endpoint write bumps
 * the revision, so every packet is still judged by current policy. */
static __always_inline int lumen_endpoint_pass(struct __sk_buff *skb, struct lumen_pkt *p, struct lumen_trace *t,
					       struct lumen_view *v, struct lumen_ct_decision *d,
					       const struct lumen_ct_origin *o, __u8 dir, __u64 now)
{
	struct lumen_ct_entry *e = v->e;
	int st = v->st;
	__u16 report;
	int r;

	/* An ICMP error may come from a router, not the peer: look its source up. */
	int cached = (st == LUMEN_CT_ESTABLISHED || st == LUMEN_CT_REPLY) && lumen_ct_cached(e, d->rev);
	if (cached) {
		d->remote_identity = e->remote_identity;
	} else if (!d->remote_known) {
		/* A translated view's peer is its backend, whatever the packet shows now. */
		__be32 remote = dir == LUMEN_DIR_EGRESS ? p->daddr : p->saddr;
		if (st != LUMEN_CT_NEW && st != LUMEN_CT_RELATED && (e->flags & LUMEN_CT_F_DNAT))
			remote = e->nat_addr;
		d->remote_identity = lumen_identity_of(remote);
	}
	if (dir == LUMEN_DIR_EGRESS)
		t->dst_identity = d->remote_identity;
	else
		t->src_identity = d->remote_identity;

	if (st == LUMEN_CT_REPLY || st == LUMEN_CT_RELATED) {
		/* Replies (and ICMP errors about a tracked connection) need no policy. */
		t->flags |= LUMEN_EV_F_REPLY;
		if (st == LUMEN_CT_RELATED)
			t->flags |= LUMEN_EV_F_RELATED;
		report = lumen_ct_account(e, p, 1, now, &t->packets, &t->bytes);
		int redirect = 0;
		if (st == LUMEN_CT_REPLY && (e->flags & LUMEN_CT_F_REV_NAT)) {
			t->svc_addr = e->svc_addr;
			t->svc_port = e->svc_port;
			t->flags |= LUMEN_EV_F_TRANSLATED;
			if (e->flags & LUMEN_CT_F_NODEPORT)
				t->flags |= LUMEN_EV_F_NODEPORT;
			r = lumen_nat_src(skb, p, e->svc_addr, e->svc_port);
			if (r)
				return lumen_drop(p, t, r);
			/* A NodePort reply now has the node address as source: forward it
			 * ourselves, the stack would drop it as a martian. */
			redirect = dir == LUMEN_DIR_EGRESS && (e->flags & LUMEN_CT_F_NODEPORT);
		}
		int verdict = TC_ACT_OK;
		if (redirect) {
			verdict = lumen_fib_redirect(skb, p, t);
			if (verdict == TC_ACT_SHOT)
				return verdict;
		}
		t->verdict = LUMEN_VERDICT_FORWARDED;
		if (report) {
			t->flags |= report;
			lumen_emit(p, t);
		}
		return verdict;
	}

	if (cached) {
		d->verdict = e->verdict;
		d->rule_id = e->rule_id;
	} else {
		d->verdict = LUMEN_VERDICT_FORWARDED;
		d->rule_id = 0;
		__u32 enforce = dir == LUMEN_DIR_EGRESS ? LUMEN_EP_F_ENFORCE_EGRESS : LUMEN_EP_F_ENFORCE_INGRESS;
		if (d->ep_flags & enforce) {
			struct lumen_policy_query q = {
				.endpoint_id = d->endpoint_id, .identity = d->remote_identity, .direction = dir,
				.proto = p->proto, .port = p->proto == IPPROTO_ICMP ? 0 : p->dport,
			};
			if (lumen_policy_check(&q, &d->rule_id) != LUMEN_POLICY_ALLOW)
				d->verdict = (d->ep_flags & LUMEN_EP_F_AUDIT) ? LUMEN_VERDICT_AUDIT : LUMEN_VERDICT_DROPPED;
		}
		if (st == LUMEN_CT_ESTABLISHED)
			lumen_ct_remember(e, d);
	}
	t->rule_id = d->rule_id;
	if (d->verdict == LUMEN_VERDICT_DROPPED)
		return lumen_drop(p, t, LUMEN_DROP_POLICY_DENIED);
	t->verdict = d->verdict;

	if (st == LUMEN_CT_NEW) {
		r = lumen_ct_create(&v->key, st == LUMEN_CT_NEW ? v->e : 0, p, o, d);
		/* The translated tuple leads replies back to the view (keyed by the frontend). */
		if (!r && (o->flags & LUMEN_CT_F_DNAT))
			r = lumen_ct_create_index(p, o->svc_addr, o->svc_port, now);
		if (r)
			return lumen_drop(p, t, r);
		t->packets = 1;
		t->bytes = p->len;
		report = LUMEN_EV_F_NEW;
	} else {
		report = lumen_ct_account(e, p, 0, now, &t->packets, &t->bytes);
		/* Views pre-created by the NodePort path have seen no packet here yet. */
		if (t->packets == 1)
			report |= LUMEN_EV_F_NEW;
		if (e->flags & LUMEN_CT_F_NODEPORT)
			t->flags |= LUMEN_EV_F_NODEPORT;
	}
	if (report) {
		t->flags |= report;
		lumen_emit(p, t);
	}
	return TC_ACT_OK;
}

#endif
