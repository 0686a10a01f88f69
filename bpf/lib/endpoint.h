/* The part both pod-veth programs share once the endpoint is known: conntrack view of
 * the endpoint, remote identity, policy for non-reply packets, reverse NAT of replies,
 * accounting and aggregated flow events.
 *
 * Offers: lumen_endpoint_pass().
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

/* Reverse NAT of a reply: the source becomes the frontend the client addressed. */
static __always_inline int lumen_rev_nat_reply(struct __sk_buff *skb, struct lumen_pkt *p,
					       struct lumen_trace *t, const struct lumen_ct_entry *e)
{
	struct lumen_rev_nat *rn = lumen_rev_nat_lookup(e->rev_nat_id);
	if (!rn)
		return 0;
	t->svc_addr = rn->addr;
	t->svc_port = rn->port;
	t->flags |= LUMEN_EV_F_TRANSLATED;
	if (e->flags & LUMEN_CT_F_NODEPORT)
		t->flags |= LUMEN_EV_F_NODEPORT;
	return lumen_nat_src(skb, p, rn->addr, rn->port);
}

/* dir: LUMEN_DIR_EGRESS at from-container (the endpoint sends), LUMEN_DIR_INGRESS at
 * to-container. rev_nat_id: set when this packet was just load balanced.
 *
 * The remote identity and the policy verdict of a connection are remembered in its
 * conntrack entry together with lumen_revision; while the revision stands, established
 * packets reuse them instead of the ipcache and policy lookups. Any policy, ipcache or
 * endpoint write bumps the revision, so every packet is still judged by current policy. */
static __always_inline int lumen_endpoint_pass(struct __sk_buff *skb, struct lumen_pkt *p,
					       struct lumen_trace *t, __u32 ep_id, __u32 ep_flags,
					       __u8 dir, __u16 rev_nat_id, __u64 now)
{
	__u8 fwd_scope = dir == LUMEN_DIR_EGRESS ? LUMEN_CT_EGRESS : LUMEN_CT_INGRESS;
	__u8 rev_scope = dir == LUMEN_DIR_EGRESS ? LUMEN_CT_INGRESS : LUMEN_CT_EGRESS;
	struct lumen_ct_key key;
	struct lumen_ct_entry *e;
	struct lumen_ct_decision d = { .rev = lumen_revision_now() };
	__u16 report;
	int r;

	int st = lumen_ct_lookup(p, fwd_scope, rev_scope, &key, &e, now);
	/* An ICMP error may come from a router, not the peer: look its source up. */
	int cached = e && st != LUMEN_CT_RELATED && lumen_ct_cached(e, d.rev);
	d.remote_identity = cached ? e->remote_identity
				   : lumen_identity_of(dir == LUMEN_DIR_EGRESS ? p->daddr : p->saddr);
	if (dir == LUMEN_DIR_EGRESS)
		t->dst_identity = d.remote_identity;
	else
		t->src_identity = d.remote_identity;

	if (st == LUMEN_CT_REPLY || st == LUMEN_CT_RELATED) {
		/* Replies (and ICMP errors about a tracked connection) need no policy. */
		t->flags |= LUMEN_EV_F_REPLY;
		if (st == LUMEN_CT_RELATED)
			t->flags |= LUMEN_EV_F_RELATED;
		report = lumen_ct_account(e, p, 1, now, &t->packets, &t->bytes);
		int redirect = 0;
		if (st == LUMEN_CT_REPLY && e->rev_nat_id) {
			r = lumen_rev_nat_reply(skb, p, t, e);
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

	if (st == LUMEN_CT_ESTABLISHED && cached) {
		d.verdict = e->verdict;
		d.rule_id = e->rule_id;
	} else {
		d.verdict = LUMEN_VERDICT_FORWARDED;
		__u32 enforce = dir == LUMEN_DIR_EGRESS ? LUMEN_EP_F_ENFORCE_EGRESS : LUMEN_EP_F_ENFORCE_INGRESS;
		if (ep_flags & enforce) {
			__be16 port = p->proto == IPPROTO_ICMP ? 0 : p->dport;
			if (lumen_policy_check(ep_id, dir, d.remote_identity, p->proto, port, &d.rule_id) != LUMEN_POLICY_ALLOW)
				d.verdict = (ep_flags & LUMEN_EP_F_AUDIT) ? LUMEN_VERDICT_AUDIT : LUMEN_VERDICT_DROPPED;
		}
		if (st == LUMEN_CT_ESTABLISHED)
			lumen_ct_remember(e, &d);
	}
	t->rule_id = d.rule_id;
	if (d.verdict == LUMEN_VERDICT_DROPPED)
		return lumen_drop(p, t, LUMEN_DROP_POLICY_DENIED);
	t->verdict = d.verdict;

	if (st == LUMEN_CT_NEW) {
		r = lumen_ct_create(&key, p, rev_nat_id, 0, now, &d);
		if (r)
			return lumen_drop(p, t, r);
		t->packets = 1;
		t->bytes = p->len;
		report = LUMEN_EV_F_NEW;
	} else {
		report = lumen_ct_account(e, p, 0, now, &t->packets, &t->bytes);
		/* Entries pre-created by the NodePort path have seen no packet here yet. */
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
