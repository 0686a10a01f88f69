/* Service load balancing shared by the tc and socket paths: frontend lookup, backend
 * choice (random among active backends, terminating only when no active one is left,
 * local-only for externalTrafficPolicy=Local, ClientIP affinity), and the per-connection
 * memory of the choice in lumen_ct (scope SERVICE) so a connection keeps its backend.
 *
 * Offers: lumen_lb_frontend(), struct lumen_lb_req, lumen_lb_select(), lumen_lb_conn() (uplink).
 */
#ifndef LUMEN_LB_H
#define LUMEN_LB_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "conntrack.h"

/* Slots examined for a local backend when the frontend is externalTrafficPolicy=Local. */
#ifndef LUMEN_LB_LOCAL_PROBES
#define LUMEN_LB_LOCAL_PROBES 16
#endif

struct lumen_lb_choice {
	__u32 backend_id;
	__be32 addr;
	__be16 port;
	__u16 rev_nat_id;
};

static __always_inline struct lumen_svc_val *lumen_lb_frontend(__be32 addr, __be16 port, __u8 proto)
{
	struct lumen_svc_key key = { .addr = addr, .port = port, .proto = proto };
	return bpf_map_lookup_elem(&lumen_services, &key);
}

/* Slots carry their backend's address, so choosing one is a single lookup. */
static __always_inline struct lumen_svc_val *lumen_lb_slot(__be32 addr, __be16 port, __u8 proto, __u16 slot)
{
	struct lumen_svc_key key = { .addr = addr, .port = port, .proto = proto, .slot = slot };
	return bpf_map_lookup_elem(&lumen_services, &key);
}

static __always_inline int lumen_is_local(__be32 addr)
{
	return bpf_map_lookup_elem(&lumen_endpoints, &addr) != 0;
}

struct lumen_local_pick {
	__be32 vip;
	__be16 vport;
	__u8 proto;
	__u16 count;
	__u16 active;
	__u32 start;
	__u32 seen_active;
	__u32 seen_term;
	struct lumen_lb_choice pick_active;
	struct lumen_lb_choice pick_term;
};

static long lumen_lb_local_step(__u64 i, void *ctx)
{
	struct lumen_local_pick *lp = ctx;

	if (i >= lp->count)
		return 1;
	__u16 slot = (lp->start + i) % lp->count + 1;
	struct lumen_svc_val *s = lumen_lb_slot(lp->vip, lp->vport, lp->proto, slot);
	if (!s)
		return 0;
	__be32 addr = s->backend_addr;
	__be16 port = s->backend_port;
	if (!addr) {
		/* A writer that left the copy out: the backend by id. */
		struct lumen_backend *b = bpf_map_lookup_elem(&lumen_backends, &s->backend_id);
		if (!b)
			return 0;
		addr = b->addr;
		port = b->port;
	}
	if (!lumen_is_local(addr))
		return 0;
	/* Slots 1..active hold the active backends (see lumen_svc_val). */
	struct lumen_lb_choice *pick;
	__u32 seen;
	if (slot <= lp->active) {
		seen = ++lp->seen_active;
		pick = &lp->pick_active;
	} else {
		seen = ++lp->seen_term;
		pick = &lp->pick_term;
	}
	if (bpf_get_prandom_u32() % seen == 0) {
		pick->backend_id = s->backend_id;
		pick->addr = addr;
		pick->port = port;
	}
	return 0;
}

/* externalTrafficPolicy=Local: uniform choice (reservoir) among the local backends in a
 * bounded window of slots, active ones first. bpf_loop keeps the verifier's work to
 * one pass over the step instead of one per iteration and outcome. */
static __always_inline int lumen_lb_pick_local(__be32 vip, __be16 vport, __u8 proto,
					       const struct lumen_svc_val *fe, struct lumen_lb_choice *out)
{
	struct lumen_local_pick lp = {
		.vip = vip, .vport = vport, .proto = proto, .count = fe->count, .active = fe->active,
		.start = bpf_get_prandom_u32(),
	};

	bpf_loop(LUMEN_LB_LOCAL_PROBES, lumen_lb_local_step, &lp, 0);
	if (!lp.seen_active && !lp.seen_term)
		return -1;
	const struct lumen_lb_choice *pick = lp.seen_active ? &lp.pick_active : &lp.pick_term;
	out->backend_id = pick->backend_id;
	out->addr = pick->addr;
	out->port = pick->port;
	return 0;
}

/* What a new connection asks the LB (one argument: a BPF call takes five). */
struct lumen_lb_req {
	__u64 client;     /* address or netns cookie, see LUMEN_AFF_* */
	__u64 now;
	__be32 vip;
	__be16 vport;
	__u8 proto;
	__u8 client_kind; /* LUMEN_AFF_* */
};

/* Chooses a backend for a new connection. Returns 0, or LUMEN_DROP_NO_SERVICE_BACKENDS. */
LUMEN_OUTLINE int lumen_lb_select(const struct lumen_lb_req *rq, const struct lumen_svc_val *fe,
				  struct lumen_lb_choice *out)
{
	struct lumen_affinity_key akey = {};
	struct lumen_backend *b;
	__be32 vip = rq->vip;
	__be16 vport = rq->vport;
	__u8 proto = rq->proto;
	__u64 now = rq->now;
	__u32 id;

	out->rev_nat_id = fe->rev_nat_id;
	if (fe->flags & LUMEN_SVC_F_AFFINITY) {
		akey.client = rq->client;
		akey.rev_nat_id = fe->rev_nat_id;
		akey.kind = rq->client_kind;
		struct lumen_affinity_val *a = bpf_map_lookup_elem(&lumen_affinity, &akey);
		if (a && now - a->last_used_ns <= (__u64)fe->affinity_timeout * NSEC_PER_SEC) {
			id = a->backend_id;
			b = bpf_map_lookup_elem(&lumen_backends, &id);
			if (b && b->state == LUMEN_BACKEND_ACTIVE &&
			    (!(fe->flags & LUMEN_SVC_F_LOCAL) || lumen_is_local(b->addr))) {
				a->last_used_ns = now;
				out->backend_id = id;
				out->addr = b->addr;
				out->port = b->port;
				return 0;
			}
		}
	}

	if (fe->count == 0)
		return LUMEN_DROP_NO_SERVICE_BACKENDS;
	if (fe->flags & LUMEN_SVC_F_LOCAL) {
		if (lumen_lb_pick_local(vip, vport, proto, fe, out))
			return LUMEN_DROP_NO_SERVICE_BACKENDS;
	} else {
		/* The agent keeps active backends in slots 1..active; terminating ones after. */
		__u16 n = fe->active ? fe->active : fe->count;
		__u32 k = bpf_get_prandom_u32() % n;
		if (k < LUMEN_SVC_INLINE) {
			/* One of the first slots: its copy is in the frontend already. */
			const __u32 *ids = &fe->inline_id0;
			const __be32 *addrs = &fe->inline_addr0;
			const __be16 *ports = &fe->inline_port0;
			out->backend_id = ids[k];
			out->addr = addrs[k];
			out->port = ports[k];
		} else {
			struct lumen_svc_val *s = lumen_lb_slot(vip, vport, proto, k + 1);
			if (!s)
				return LUMEN_DROP_NO_SERVICE_BACKENDS;
			out->backend_id = s->backend_id;
			out->addr = s->backend_addr;
			out->port = s->backend_port;
		}
		if (!out->addr) {
			/* A writer that left the copies out: the backend by id, as before them. */
			b = bpf_map_lookup_elem(&lumen_backends, &out->backend_id);
			if (!b)
				return LUMEN_DROP_NO_SERVICE_BACKENDS;
			out->addr = b->addr;
			out->port = b->port;
		}
	}

	if (fe->flags & LUMEN_SVC_F_AFFINITY) {
		struct lumen_affinity_val av = { .last_used_ns = now, .backend_id = out->backend_id };
		bpf_map_update_elem(&lumen_affinity, &akey, &av, BPF_ANY);
	}
	return 0;
}

/* NodePort on the uplink: the backend of this client->frontend connection, remembered in
 * lumen_ct (scope SERVICE) so later packets and retransmits keep it even if the backend
 * turns terminating or leaves the service. *created says whether this packet opened it.
 * (Pod veths keep the choice in the endpoint's own view instead: flag DNAT.)
 * Returns 0 or a drop reason. */
static __always_inline int lumen_lb_conn(const struct lumen_pkt *p, const struct lumen_svc_val *fe,
					 struct lumen_lb_choice *out, int *created, __u64 now)
{
	struct lumen_ct_key key;
	lumen_ct_key_of(&key, p->saddr, p->daddr, p->sport, p->dport, p->proto, LUMEN_CT_SERVICE);
	struct lumen_ct_entry *e = bpf_map_lookup_elem(&lumen_ct, &key);
	if (e && !lumen_ct_expired(e, p->proto, now) && !lumen_ct_fresh_syn(e, p)) {
		e->last_seen_ns = now;
		if ((p->tcp_flags & (TCP_FIN | TCP_RST)) && !(e->flags & LUMEN_CT_F_CLOSING))
			e->flags |= LUMEN_CT_F_CLOSING;
		out->backend_id = e->backend_id;
		out->addr = e->nat_addr;
		out->port = e->nat_port;
		out->rev_nat_id = e->rev_nat_id;
		*created = 0;
		return 0;
	}

	struct lumen_lb_req rq = { .client = p->saddr, .now = now, .vip = p->daddr, .vport = p->dport,
				   .proto = p->proto, .client_kind = LUMEN_AFF_CLIENT_ADDR };
	int r = lumen_lb_select(&rq, fe, out);
	if (r)
		return r;
	struct lumen_ct_entry ne = {
		.last_seen_ns = now,
		.last_report_ns = now,
		.backend_id = out->backend_id,
		.nat_addr = out->addr,
		.nat_port = out->port,
		.rev_nat_id = out->rev_nat_id,
		/* The SERVICE view only needs the SYN timeout until the endpoint view sees a
		 * reply; mark it replied so it lives as long as the connection it serves. */
		.flags = LUMEN_CT_F_SEEN_REPLY,
	};
	if (fe->flags & LUMEN_SVC_F_NODEPORT)
		ne.flags |= LUMEN_CT_F_NODEPORT;
	if (bpf_map_update_elem(&lumen_ct, &key, &ne, BPF_ANY))
		return LUMEN_DROP_CT_FULL;
	*created = 1;
	return 0;
}

#endif
