// SPDX-License-Identifier: GPL-2.0
/* tc programs on the host side of each pod veth: from_container (tc ingress: packets the
 * pod sends) and to_container (tc egress: packets delivered to the pod).
 *
 * Every packet costs one conntrack lookup (its endpoint's view) in the steady state: the
 * view caches the endpoint, the peer's identity, the policy verdict and, for a connection
 * the tc LB translated, its backend. Only a new connection looks up the frontend,
 * endpoint, ipcache and policy maps. */
#include "common.h"
#include "maps.h"
#include "parse.h"
#include "nat.h"
#include "lb.h"
#include "events.h"
#include "endpoint.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	/* Read once: clang may otherwise address the field through a moved ctx pointer,
	 * which the verifier refuses. */
	__u32 ifindex = skb->ifindex;
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_FROM_ENDPOINT, .ifindex = ifindex };
	struct lumen_ct_origin o = { .flags = LUMEN_CT_F_OUTBOUND };
	struct lumen_view v;
	int r;

	r = lumen_parse(skb, &p);
	if (r == LUMEN_PARSE_PASS)
		return TC_ACT_OK;
	if (r > 0)
		return lumen_drop(&p, &t, r);

	__u64 now = lumen_now();
	struct lumen_ct_decision d = { .now = now, .rev = lumen_revision_now() };
	lumen_view_lookup(&v, &p, 1, now);

	/* Anti-spoofing: the source must be the endpoint behind this very veth. */
	if (lumen_view_endpoint(&v, &d, p.saddr, ifindex) || d.ifindex != ifindex)
		return lumen_drop(&p, &t, LUMEN_DROP_INVALID_SOURCE);
	t.endpoint_id = d.endpoint_id;
	t.src_identity = d.local_identity;

	if (v.st == LUMEN_CT_ESTABLISHED && (v.e->flags & LUMEN_CT_F_DNAT)) {
		/* A connection the tc LB translated: its view holds the backend. */
		t.svc_addr = p.daddr;
		t.svc_port = p.dport;
		t.flags |= LUMEN_EV_F_TRANSLATED;
		r = lumen_nat_dst(skb, &p, v.e->nat_addr, v.e->nat_port);
		if (r)
			return lumen_drop(&p, &t, r);
		lumen_count(LUMEN_CNT_TC_TRANSLATED);
	} else if (v.st == LUMEN_CT_NEW) {
		/* Pod addresses are never frontends: a local peer needs no service lookup, and
		 * its identity is at hand. */
		struct lumen_endpoint *peer = bpf_map_lookup_elem(&lumen_endpoints, &p.daddr);
		struct lumen_svc_val *fe = 0;
		if (peer) {
			d.remote_identity = peer->identity;
			d.remote_known = 1;
		} else if (p.has_ports && lumen_feature(LUMEN_FEAT_TC_LB)) {
			fe = lumen_lb_frontend(p.daddr, p.dport, p.proto);
		}
		if (fe) {
			struct lumen_lb_choice c = {};

			t.svc_addr = p.daddr;
			t.svc_port = p.dport;
			t.flags |= LUMEN_EV_F_TRANSLATED;
			if (fe->flags & LUMEN_SVC_F_NODEPORT) {
				t.flags |= LUMEN_EV_F_NODEPORT;
				o.flags |= LUMEN_CT_F_NODEPORT;
			}
			struct lumen_lb_req rq = { .client = p.saddr, .now = now, .vip = p.daddr, .vport = p.dport,
						   .proto = p.proto, .client_kind = LUMEN_AFF_CLIENT_ADDR };
			r = lumen_lb_select(&rq, fe, &c);
			if (r)
				return lumen_drop(&p, &t, r);
			o.flags |= LUMEN_CT_F_DNAT;
			o.backend_id = c.backend_id;
			o.nat_addr = c.addr;
			o.nat_port = c.port;
			o.rev_nat_id = c.rev_nat_id;
			o.svc_addr = p.daddr;
			o.svc_port = p.dport;
			r = lumen_nat_dst(skb, &p, c.addr, c.port);
			if (r)
				return lumen_drop(&p, &t, r);
			lumen_count(LUMEN_CNT_TC_TRANSLATED);
		}
	}
	return lumen_endpoint_pass(skb, &p, &t, &v, &d, &o, LUMEN_DIR_EGRESS, now);
}

/* A reply of a connection the tc LB translated at this endpoint arrives from the backend
 * and finds the view's INDEX: restore the frontend as source and continue on the view
 * (keyed by the frontend). A stale index (its view gone or reused) is ignored. */
static __always_inline int lumen_to_container_index(struct __sk_buff *skb, struct lumen_pkt *p, struct lumen_trace *t,
						    struct lumen_view *v, __u64 now)
{
	struct lumen_ct_entry *idx = v->e;
	struct lumen_ct_key key;

	lumen_ct_view_key(&key, p->daddr, p->dport, idx->svc_addr, idx->svc_port, p->proto);
	struct lumen_ct_entry *e = bpf_map_lookup_elem(&lumen_ct, &key);
	if (!e || !(e->flags & LUMEN_CT_F_DNAT) || e->nat_addr != p->saddr || e->nat_port != p->sport ||
	    lumen_ct_expired(e, p->proto, now))
		return 0;
	t->svc_addr = idx->svc_addr;
	t->svc_port = idx->svc_port;
	t->flags |= LUMEN_EV_F_TRANSLATED;
	if (e->flags & LUMEN_CT_F_NODEPORT)
		t->flags |= LUMEN_EV_F_NODEPORT;
	int r = lumen_nat_src(skb, p, idx->svc_addr, idx->svc_port);
	if (r)
		return r;
	v->key = key;
	v->e = e;
	v->st = LUMEN_CT_REPLY;
	return 0;
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_TO_ENDPOINT, .ifindex = ifindex };
	struct lumen_ct_origin o = {};
	struct lumen_view v;
	int r;

	r = lumen_parse(skb, &p);
	if (r == LUMEN_PARSE_PASS)
		return TC_ACT_OK;
	if (r > 0)
		return lumen_drop(&p, &t, r);

	__u64 now = lumen_now();
	struct lumen_ct_decision d = { .now = now, .rev = lumen_revision_now() };
	lumen_view_lookup(&v, &p, 0, now);
	if (v.st == LUMEN_CT_NEW && v.e && (v.e->flags & LUMEN_CT_F_INDEX) && p.has_ports) {
		r = lumen_to_container_index(skb, &p, &t, &v, now);
		if (r)
			return lumen_drop(&p, &t, r);
	}

	if (lumen_view_endpoint(&v, &d, p.daddr, ifindex))
		return lumen_drop(&p, &t, LUMEN_DROP_UNKNOWN_ENDPOINT);
	t.endpoint_id = d.endpoint_id;
	t.dst_identity = d.local_identity;
	return lumen_endpoint_pass(skb, &p, &t, &v, &d, &o, LUMEN_DIR_INGRESS, now);
}
