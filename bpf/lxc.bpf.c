// SPDX-License-Identifier: GPL-2.0
/* tc programs on the host side of each pod veth: from_container (tc ingress: packets the
 * pod sends) and to_container (tc egress: packets delivered to the pod). */
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
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_FROM_ENDPOINT, .ifindex = skb->ifindex };
	__u64 now = lumen_now();
	__u16 rev_nat_id = 0;

	int r = lumen_parse(skb, &p);
	if (r == LUMEN_PARSE_PASS)
		return TC_ACT_OK;
	if (r > 0)
		return lumen_drop(&p, &t, r);

	/* Anti-spoofing: the source must be the endpoint behind this very veth. */
	struct lumen_endpoint *ep = bpf_map_lookup_elem(&lumen_endpoints, &p.saddr);
	if (!ep || ep->ifindex != skb->ifindex)
		return lumen_drop(&p, &t, LUMEN_DROP_INVALID_SOURCE);
	__u32 ep_id = ep->endpoint_id;
	__u32 ep_flags = ep->flags;
	t.endpoint_id = ep_id;
	t.src_identity = ep->identity;

	if (p.has_ports && lumen_feature(LUMEN_FEAT_TC_LB)) {
		struct lumen_svc_val *fe = lumen_lb_frontend(p.daddr, p.dport, p.proto);
		if (fe) {
			struct lumen_lb_choice c = {};
			int created = 0;

			t.svc_addr = p.daddr;
			t.svc_port = p.dport;
			t.flags |= LUMEN_EV_F_TRANSLATED;
			if (fe->flags & LUMEN_SVC_F_NODEPORT)
				t.flags |= LUMEN_EV_F_NODEPORT;
			r = lumen_lb_conn(&p, fe, &c, &created, now);
			if (r)
				return lumen_drop(&p, &t, r);
			r = lumen_nat_dst(skb, &p, c.addr, c.port);
			if (r)
				return lumen_drop(&p, &t, r);
			rev_nat_id = c.rev_nat_id;
			lumen_count(LUMEN_CNT_TC_TRANSLATED);
		}
	}
	return lumen_endpoint_pass(skb, &p, &t, ep_id, ep_flags, LUMEN_DIR_EGRESS, rev_nat_id, now);
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_TO_ENDPOINT, .ifindex = skb->ifindex };
	__u64 now = lumen_now();

	int r = lumen_parse(skb, &p);
	if (r == LUMEN_PARSE_PASS)
		return TC_ACT_OK;
	if (r > 0)
		return lumen_drop(&p, &t, r);

	struct lumen_endpoint *ep = bpf_map_lookup_elem(&lumen_endpoints, &p.daddr);
	if (!ep)
		return lumen_drop(&p, &t, LUMEN_DROP_UNKNOWN_ENDPOINT);
	__u32 ep_id = ep->endpoint_id;
	__u32 ep_flags = ep->flags;
	t.endpoint_id = ep_id;
	t.dst_identity = ep->identity;
	return lumen_endpoint_pass(skb, &p, &t, ep_id, ep_flags, LUMEN_DIR_INGRESS, 0, now);
}
