// SPDX-License-Identifier: GPL-2.0
/* tc programs on the node uplink: from_netdev (ingress) and to_netdev (egress) for
 * NodePort. Everything that is not NodePort traffic passes untouched: this is the
 * host's own interface. */
#include "common.h"
#include "maps.h"
#include "parse.h"
#include "lb.h"
#include "nodeport.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_FROM_NETDEV, .ifindex = skb->ifindex };
	__u64 now = lumen_now();
	int verdict;

	/* Malformed or foreign traffic is the host stack's business, not a Lumen drop. */
	if (lumen_parse(skb, &p) != LUMEN_PARSE_OK || !p.has_ports)
		return TC_ACT_OK;
	if (lumen_nodeport_reply_in(skb, &p, &t, now, &verdict))
		return verdict;
	struct lumen_svc_val *fe = lumen_lb_frontend(p.daddr, p.dport, p.proto);
	if (!fe || !(fe->flags & LUMEN_SVC_F_NODEPORT))
		return TC_ACT_OK;
	return lumen_nodeport_in(skb, &p, &t, fe, now);
}

SEC("tc")
int to_netdev(struct __sk_buff *skb)
{
	struct lumen_pkt p = {};
	struct lumen_trace t = { .obs_point = LUMEN_OBS_TO_NETDEV, .ifindex = skb->ifindex };

	if (lumen_parse(skb, &p) != LUMEN_PARSE_OK || !p.has_ports)
		return TC_ACT_OK;
	return lumen_nodeport_out(skb, &p, &t, lumen_now());
}
