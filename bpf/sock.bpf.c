// SPDX-License-Identifier: GPL-2.0
/* cgroup socket LB: connect4/sendmsg4 rewrite a frontend address to a backend before a
 * packet exists (no per-packet NAT for these sockets), recvmsg4/getpeername4 show the
 * frontend back to the application (lumen_sock_peer for connected sockets, lumen_sock
 * for unconnected UDP). */
#include "common.h"
#include "maps.h"
#include "lb.h"
#include "events.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void lumen_sock_drop(__be32 vip, __be16 vport, __u8 proto, __u8 reason)
{
	struct lumen_pkt p = { .daddr = vip, .dport = vport, .proto = proto };
	struct lumen_trace t = {
		.obs_point = LUMEN_OBS_SOCK,
		.flags = LUMEN_EV_F_SOCK_LB | LUMEN_EV_F_TRANSLATED,
		.svc_addr = vip,
		.svc_port = vport,
	};
	lumen_drop(&p, &t, reason);
}

static __always_inline struct lumen_sock_peer *lumen_sock_peer_slot(__u64 cookie)
{
	__u32 idx = cookie & (LUMEN_SOCK_PEER_SLOTS - 1);
	return bpf_map_lookup_elem(&lumen_sock_peer, &idx);
}

static __always_inline int lumen_sock_xlate(struct bpf_sock_addr *ctx, int udp_send)
{
	if (!lumen_feature(LUMEN_FEAT_SOCK_LB))
		return 1;
	__u8 proto = ctx->protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 1;
	__be32 vip = ctx->user_ip4;
	__be16 vport = (__be16)ctx->user_port;
	struct lumen_svc_val *fe = lumen_lb_frontend(vip, vport, proto);
	if (!fe) {
		if (!udp_send) {
			/* A socket connected again elsewhere must not keep showing a frontend. */
			__u64 cookie = bpf_get_socket_cookie(ctx);
			struct lumen_sock_peer *sp = lumen_sock_peer_slot(cookie);
			if (sp && sp->cookie == cookie)
				sp->cookie = 0;
		}
		return 1;
	}

	__u64 now = lumen_now();
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct lumen_lb_choice c = {};
	struct lumen_sock_key fkey = { .cookie = cookie, .addr = vip, .port = vport,
				       .proto = proto, .kind = LUMEN_SOCK_FWD };
	int chosen = 0;

	if (udp_send) {
		/* Unconnected UDP: later datagrams of this socket to this frontend keep the
		 * backend, like packets of an established connection. */
		struct lumen_sock_val *v = bpf_map_lookup_elem(&lumen_sock, &fkey);
		if (v) {
			struct lumen_backend *b = bpf_map_lookup_elem(&lumen_backends, &v->backend_id);
			if (b) {
				c.backend_id = v->backend_id;
				c.addr = b->addr;
				c.port = b->port;
				c.rev_nat_id = v->rev_nat_id;
				chosen = 1;
			}
		}
	}
	if (!chosen) {
		struct lumen_lb_req rq = { .client = bpf_get_netns_cookie(ctx), .now = now, .vip = vip,
					   .vport = vport, .proto = proto, .client_kind = LUMEN_AFF_NETNS_COOKIE };
		int r = lumen_lb_select(&rq, fe, &c);
		if (r) {
			lumen_sock_drop(vip, vport, proto, r);
			return 0; /* connect()/sendmsg() fail with EPERM */
		}
		if (udp_send) {
			struct lumen_sock_val fv = { .addr = c.addr, .port = c.port,
						     .rev_nat_id = c.rev_nat_id, .backend_id = c.backend_id };
			bpf_map_update_elem(&lumen_sock, &fkey, &fv, BPF_ANY);
		}
	}

	/* The reverse translation: a connecting socket has one peer and takes its cookie's
	 * slot; unconnected UDP keeps one entry per (socket, backend). */
	if (udp_send) {
		struct lumen_sock_key rkey = { .cookie = cookie, .addr = c.addr, .port = c.port,
					       .proto = proto, .kind = LUMEN_SOCK_REV };
		struct lumen_sock_val rv = { .addr = vip, .port = vport, .rev_nat_id = c.rev_nat_id,
					     .backend_id = c.backend_id };
		bpf_map_update_elem(&lumen_sock, &rkey, &rv, BPF_ANY);
	} else {
		struct lumen_sock_peer *sp = lumen_sock_peer_slot(cookie);
		if (sp) {
			sp->cookie = cookie;
			sp->backend_addr = c.addr;
			sp->backend_port = c.port;
			sp->proto = proto;
			sp->pad = 0;
			sp->addr = vip;
			sp->port = vport;
			sp->rev_nat_id = c.rev_nat_id;
		}
	}
	ctx->user_ip4 = c.addr;
	ctx->user_port = c.port;
	lumen_count(LUMEN_CNT_SOCK_TRANSLATED);
	return 1;
}

static __always_inline void lumen_sock_rev(struct bpf_sock_addr *ctx, __u8 proto)
{
	if (!lumen_feature(LUMEN_FEAT_SOCK_LB))
		return;
	__u64 cookie = bpf_get_socket_cookie(ctx);
	__be32 addr = ctx->user_ip4;
	__be16 port = (__be16)ctx->user_port;
	struct lumen_sock_peer *sp = lumen_sock_peer_slot(cookie);
	if (sp && sp->cookie == cookie && sp->backend_addr == addr && sp->backend_port == port && sp->proto == proto) {
		ctx->user_ip4 = sp->addr;
		ctx->user_port = sp->port;
		return;
	}
	struct lumen_sock_key key = { .cookie = cookie, .addr = addr, .port = port, .proto = proto,
				      .kind = LUMEN_SOCK_REV };
	struct lumen_sock_val *v = bpf_map_lookup_elem(&lumen_sock, &key);
	if (!v)
		return;
	ctx->user_ip4 = v->addr;
	ctx->user_port = v->port;
}

SEC("cgroup/connect4")
int lumen_connect4(struct bpf_sock_addr *ctx)
{
	return lumen_sock_xlate(ctx, 0);
}

SEC("cgroup/sendmsg4")
int lumen_sendmsg4(struct bpf_sock_addr *ctx)
{
	return lumen_sock_xlate(ctx, 1);
}

SEC("cgroup/recvmsg4")
int lumen_recvmsg4(struct bpf_sock_addr *ctx)
{
	lumen_sock_rev(ctx, IPPROTO_UDP);
	return 1;
}

SEC("cgroup/getpeername4")
int lumen_getpeername4(struct bpf_sock_addr *ctx)
{
	lumen_sock_rev(ctx, ctx->protocol);
	return 1;
}
