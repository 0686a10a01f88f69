/* Flow events and drop accounting. Events are aggregated by the caller (conntrack
 * decides when a report is due); every drop is counted and reported.
 *
 * Offers: struct lumen_trace, lumen_emit(), lumen_count_drop(), lumen_count().
 */
#ifndef LUMEN_EVENTS_H
#define LUMEN_EVENTS_H

#include "common.h"
#include "maps.h"
#include "parse.h"

/* Wake the reader only once this much is queued: a wakeup per event is an irq_work (an
 * IPI, a VM exit under virtualisation) on the packet path. The reader also polls on a
 * short timer, so a quiet ring is still drained promptly. */
#ifndef LUMEN_EVENTS_WAKEUP_BYTES
#define LUMEN_EVENTS_WAKEUP_BYTES (32 * 1024)
#endif

/* What the caller learned about a packet, beyond its tuple. */
struct lumen_trace {
	__u64 packets;
	__u64 bytes;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 endpoint_id;
	__u32 ifindex;
	__u32 rule_id;
	__be32 svc_addr;
	__be16 svc_port;
	__u16 flags;
	__u8 verdict;
	__u8 drop_reason;
	__u8 obs_point;
};

static __always_inline void lumen_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&lumen_counters, &idx);
	if (c)
		*c += 1;
}

static __always_inline void lumen_count_drop(__u32 reason, __u32 len)
{
	struct lumen_drop_count *c = bpf_map_lookup_elem(&lumen_drops, &reason);
	if (c) {
		c->packets += 1;
		c->bytes += len;
	}
}

LUMEN_OUTLINE void lumen_emit(const struct lumen_pkt *p, const struct lumen_trace *t)
{
	if (!lumen_feature(LUMEN_FEAT_EVENTS))
		return;
	struct lumen_flow_event *ev = bpf_ringbuf_reserve(&lumen_events, sizeof(*ev), 0);
	if (!ev) {
		lumen_count(LUMEN_CNT_EVENTS_LOST);
		return;
	}
	ev->time_ns = bpf_ktime_get_ns();
	ev->packets = t->packets;
	ev->bytes = t->bytes;
	ev->saddr = p->saddr;
	ev->daddr = p->daddr;
	ev->sport = p->sport;
	ev->dport = p->dport;
	ev->proto = p->proto;
	ev->verdict = t->verdict;
	ev->drop_reason = t->drop_reason;
	ev->obs_point = t->obs_point;
	ev->src_identity = t->src_identity;
	ev->dst_identity = t->dst_identity;
	ev->endpoint_id = t->endpoint_id;
	ev->ifindex = t->ifindex;
	ev->rule_id = t->rule_id;
	ev->svc_addr = t->svc_addr;
	ev->svc_port = t->svc_port;
	ev->tcp_flags = p->tcp_flags;
	ev->pad = 0;
	ev->flags = t->flags;
	ev->pad2 = 0;
	/* Wake only when this record crosses the threshold: above it, a reader that is
	 * behind is already awake or due on its timer. */
	__u64 queued = bpf_ringbuf_query(&lumen_events, BPF_RB_AVAIL_DATA);
	__u64 rec = sizeof(*ev) + 8;
	int crossing = queued >= LUMEN_EVENTS_WAKEUP_BYTES && queued < LUMEN_EVENTS_WAKEUP_BYTES + rec;
	bpf_ringbuf_submit(ev, crossing ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	lumen_count(LUMEN_CNT_EVENTS_EMITTED);
}

/* Counts and reports a drop; returns TC_ACT_SHOT for the caller to return. */
LUMEN_OUTLINE int lumen_drop(const struct lumen_pkt *p, struct lumen_trace *t, __u8 reason)
{
	lumen_count_drop(reason, p->len);
	t->verdict = LUMEN_VERDICT_DROPPED;
	t->drop_reason = reason;
	t->packets = 1;
	t->bytes = p->len;
	lumen_emit(p, t);
	return TC_ACT_SHOT;
}

#endif
