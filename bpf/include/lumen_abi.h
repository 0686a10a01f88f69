/* The only definition of everything the datapath shares with user space: map keys and
 * values, the flow event, the load-time config, and the enums they carry.
 *
 * Offers:
 *   - reserved identities and identity ranges
 *   - enum lumen_verdict, lumen_drop_reason, lumen_obs_point, lumen_counter
 *   - flag bits: LUMEN_EV_F_*, LUMEN_SVC_F_*, LUMEN_EP_F_*, LUMEN_CT_F_*
 *   - the revision counter lumen_revision[0] (bumped on policy/ipcache/endpoint writes)
 *   - structs: lumen_svc_key/val, lumen_backend, lumen_rev_nat, lumen_ct_key/entry,
 *     lumen_ipcache_key/val, lumen_endpoint, lumen_policy_key/val, lumen_affinity_key/val,
 *     lumen_sock_key/val, lumen_sock_peer, lumen_drop_count, lumen_flow_event, lumen_config
 *
 * Layouts are checked against the TypeScript codecs by bpf/tests/layout.test.ts (from the
 * objects' BTF and from the host-compiled abi-dump); never edit one side alone.
 * Types: __u8.. come from vmlinux.h (BPF) or linux/types.h (host abi-dump).
 * Byte order: fields named *addr / *port hold network byte order; all others host order.
 */
#ifndef LUMEN_ABI_H
#define LUMEN_ABI_H

/* Reserved identities (mirrored in src/shared/flow/datapath.ts). */
#define LUMEN_ID_UNKNOWN        0
#define LUMEN_ID_HOST           1
#define LUMEN_ID_WORLD          2
#define LUMEN_ID_UNMANAGED      3
#define LUMEN_ID_HEALTH         4
#define LUMEN_ID_INIT           5
#define LUMEN_ID_REMOTE_NODE    6
#define LUMEN_ID_KUBE_APISERVER 7
#define LUMEN_ID_CLUSTER_MIN    256
#define LUMEN_ID_CIDR_MIN       16777216 /* 1 << 24: allocated by each agent locally */

enum lumen_verdict {
	LUMEN_VERDICT_FORWARDED = 1,
	LUMEN_VERDICT_DROPPED   = 2,
	LUMEN_VERDICT_AUDIT     = 3, /* policy would deny; endpoint is in audit mode */
};

/* Stable numbering: append only, never renumber (flows are stored with these). */
enum lumen_drop_reason {
	LUMEN_DROP_NONE                = 0,
	LUMEN_DROP_POLICY_DENIED       = 1,
	LUMEN_DROP_NO_SERVICE_BACKENDS = 2,
	LUMEN_DROP_CT_FULL             = 3,
	LUMEN_DROP_MALFORMED           = 4,
	LUMEN_DROP_UNSUPPORTED_L3      = 5,
	LUMEN_DROP_UNSUPPORTED_L4      = 6,
	LUMEN_DROP_FRAGMENT            = 7,
	LUMEN_DROP_INVALID_SOURCE      = 8,
	LUMEN_DROP_UNKNOWN_ENDPOINT    = 9,
	LUMEN_DROP_NAT_PORTS_EXHAUSTED = 10,
	LUMEN_DROP_CSUM_REWRITE        = 11,
	LUMEN_DROP_NO_ROUTE            = 12, /* FIB lookup found no way to forward a reply */
	LUMEN_DROP_MAX                 = 32, /* size of the drop counter array */
};

enum lumen_obs_point {
	LUMEN_OBS_FROM_ENDPOINT = 1, /* tc ingress on the host side of a pod veth */
	LUMEN_OBS_TO_ENDPOINT   = 2, /* tc egress on the host side of a pod veth */
	LUMEN_OBS_FROM_NETDEV   = 3, /* tc ingress on the node uplink */
	LUMEN_OBS_TO_NETDEV     = 4, /* tc egress on the node uplink */
	LUMEN_OBS_SOCK          = 5, /* cgroup socket hooks */
};

/* Per-CPU counters that are not drops (lumen_counters). */
enum lumen_counter {
	LUMEN_CNT_EVENTS_LOST     = 0, /* ring buffer full: event not emitted */
	LUMEN_CNT_EVENTS_EMITTED  = 1,
	LUMEN_CNT_SOCK_TRANSLATED = 2, /* connect/sendmsg rewritten by socket LB */
	LUMEN_CNT_TC_TRANSLATED   = 3, /* packets DNATed by tc LB (pod veth or uplink) */
	LUMEN_CNT_MAX             = 8,
};

/* lumen_flow_event.flags */
#define LUMEN_EV_F_REPLY      0x0001 /* packet is in the reply direction of its connection */
#define LUMEN_EV_F_NEW        0x0002 /* first packet of a connection at this point */
#define LUMEN_EV_F_TRANSLATED 0x0004 /* svc_addr/svc_port hold the service address */
#define LUMEN_EV_F_TCP_FLAGS  0x0008 /* emitted because new TCP flags were seen */
#define LUMEN_EV_F_PERIODIC   0x0010 /* emitted because the report interval passed */
#define LUMEN_EV_F_NODEPORT   0x0020 /* translated by the NodePort path */
#define LUMEN_EV_F_SNAT       0x0040 /* source rewritten to the node address */
#define LUMEN_EV_F_RELATED    0x0080 /* ICMP error for a tracked connection */
#define LUMEN_EV_F_SOCK_LB    0x0100 /* translated by the socket LB (obs point SOCK) */

/* lumen_svc_val.flags (slot 0) */
#define LUMEN_SVC_F_NODEPORT  0x0001 /* frontend is <node address>:<nodePort> */
#define LUMEN_SVC_F_LOCAL     0x0002 /* externalTrafficPolicy=Local: local backends only */
#define LUMEN_SVC_F_AFFINITY  0x0004 /* sessionAffinity=ClientIP, see affinity_timeout */

/* lumen_backend.state */
#define LUMEN_BACKEND_ACTIVE      0
#define LUMEN_BACKEND_TERMINATING 1

/* lumen_endpoint.flags */
#define LUMEN_EP_F_ENFORCE_INGRESS 0x0001
#define LUMEN_EP_F_ENFORCE_EGRESS  0x0002
#define LUMEN_EP_F_AUDIT           0x0004 /* would-deny passes with verdict AUDIT */

/* lumen_ct_key.scope: which view of a connection an entry is.
 * Endpoint views (EP_LO/EP_HI) are keyed by the tuple in canonical order -- the lower
 * (address, port) pair as saddr/sport -- so both directions of a connection find their
 * view with one lookup; the scope says which side is the local endpoint. Whether that
 * endpoint opened the connection is in the entry (LUMEN_CT_F_OUTBOUND). */
#define LUMEN_CT_EP_LO    0 /* endpoint view: the local endpoint is saddr:sport */
#define LUMEN_CT_EP_HI    1 /* endpoint view: the local endpoint is daddr:dport */
#define LUMEN_CT_SERVICE  2 /* NodePort client -> frontend: the chosen backend (uplink) */
#define LUMEN_CT_NAT_FWD  3 /* NodePort client -> remote backend: SNAT to apply */
#define LUMEN_CT_NAT_REV  4 /* remote backend -> node:nat_port: the client to restore */

/* lumen_ct_entry.flags */
#define LUMEN_CT_F_SEEN_REPLY 0x01
#define LUMEN_CT_F_CLOSING    0x02 /* FIN or RST seen */
#define LUMEN_CT_F_NODEPORT   0x04 /* rev_nat_id is a NodePort frontend */
#define LUMEN_CT_F_OUTBOUND   0x08 /* endpoint view: the local endpoint opened the connection */
#define LUMEN_CT_F_DNAT       0x10 /* tc LB view, keyed by the frontend tuple: original-direction
				      packets go to nat_addr:nat_port (backend backend_id) */
#define LUMEN_CT_F_REV_NAT    0x20 /* replies leave with svc_addr:svc_port as source */
#define LUMEN_CT_F_INDEX      0x40 /* not a connection: the translated tuple of a DNAT view, so
				      its replies find it; svc_addr:svc_port is the frontend */

/* lumen_policy_val.verdict */
#define LUMEN_POLICY_ALLOW 1
#define LUMEN_POLICY_DENY  2

/* lumen_policy_key.direction */
#define LUMEN_DIR_INGRESS 0
#define LUMEN_DIR_EGRESS  1

/* lumen_affinity_key.kind */
#define LUMEN_AFF_CLIENT_ADDR  0 /* tc LB: client IPv4 address */
#define LUMEN_AFF_NETNS_COOKIE 1 /* socket LB: network namespace cookie of the client */

/* lumen_sock_key.kind */
#define LUMEN_SOCK_FWD 0 /* {cookie, frontend} -> backend: UDP sendmsg stickiness */
#define LUMEN_SOCK_REV 1 /* {cookie, backend} -> frontend: recvmsg/getpeername */

/* lumen_config.features */
#define LUMEN_FEAT_TC_LB   0x0001 /* service LB on pod veths (traffic socket LB missed) */
#define LUMEN_FEAT_EVENTS  0x0002 /* flow events on the ring buffer */
#define LUMEN_FEAT_SOCK_LB 0x0004 /* socket LB in the cgroup hooks */

/* Key of lumen_services. slot 0 is the frontend, slots 1..count its backends. */
struct lumen_svc_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 scope; /* reserved, 0 */
	__u16 slot;
	__u16 pad;
};

struct lumen_svc_val {
	__u32 backend_id;       /* slot > 0 */
	__u16 count;            /* slot 0: backend slots 1..count */
	__u16 active;           /* slot 0: slots 1..active are active (the rest terminating) */
	__u16 rev_nat_id;       /* slot 0 */
	__u16 flags;            /* slot 0: LUMEN_SVC_F_* */
	__u32 affinity_timeout; /* slot 0: seconds, with LUMEN_SVC_F_AFFINITY */
	__be32 backend_addr;    /* slot > 0: the backend's address and port (a copy of its */
	__be16 backend_port;    /* lumen_backends entry: one lookup less per new connection) */
	__u16 pad;
	/* slot 0: copies of slots 1..LUMEN_SVC_INLINE (as many as there are), so a new
	 * connection that picks one of them needs no slot lookup. Indexed 0..3 from
	 * inline_id0 / inline_addr0 / inline_port0 (kept as named fields for the layout test). */
	__u32 inline_id0, inline_id1, inline_id2, inline_id3;
	__be32 inline_addr0, inline_addr1, inline_addr2, inline_addr3;
	__be16 inline_port0, inline_port1, inline_port2, inline_port3;
};

#define LUMEN_SVC_INLINE 4

/* Value of lumen_backends (key: __u32 backend id). */
struct lumen_backend {
	__be32 addr;
	__be16 port;
	__u8 state; /* LUMEN_BACKEND_* */
	__u8 pad;
};

/* Value of lumen_rev_nat (key: __u16 rev-NAT id): the address replies must show. */
struct lumen_rev_nat {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

struct lumen_ct_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 scope; /* LUMEN_CT_* */
	__u16 pad;
};

/* A conntrack entry. The endpoint fields (ifindex .. ep_flags) and the decision fields
 * (verdict, remote_identity, rule_id) are a cache valid while lumen_revision[0] equals
 * policy_rev: established packets skip the endpoint, identity and policy lookups. */
struct lumen_ct_entry {
	__u64 last_seen_ns;
	__u64 last_report_ns;
	__u64 tx_packets; /* original direction */
	__u64 tx_bytes;
	__u64 rx_packets; /* reply direction */
	__u64 rx_bytes;
	__u32 backend_id; /* DNAT views and SERVICE: the chosen backend */
	__be32 nat_addr;  /* DNAT/SERVICE: backend; NAT_FWD: node address; NAT_REV: client */
	__be16 nat_port;  /* DNAT/SERVICE: backend port; NAT_FWD: NAT port; NAT_REV: client port */
	__u16 rev_nat_id; /* non-zero: the connection was load balanced to this frontend */
	__u8 tx_tcp_flags; /* TCP flags seen in each direction, for event aggregation */
	__u8 rx_tcp_flags;
	__u8 flags;        /* LUMEN_CT_F_* */
	__u8 verdict;      /* cached policy verdict (LUMEN_VERDICT_*), valid at policy_rev */
	__u32 policy_rev;  /* lumen_revision when the cached fields were decided */
	__u32 remote_identity;
	__u32 rule_id;
	__be32 svc_addr;   /* the frontend of a load-balanced connection (rev-NAT source) */
	__be16 svc_port;
	__u16 ep_flags;    /* cached LUMEN_EP_F_* of the local endpoint */
	__u32 ifindex;     /* cached: the local endpoint's veth (anti-spoofing) */
	__u32 endpoint_id; /* cached: the local endpoint */
	__u32 local_identity;
};

struct lumen_ipcache_key {
	__u32 prefixlen; /* LPM trie: bits of addr that must match */
	__be32 addr;
};

struct lumen_ipcache_val {
	__u32 identity;
	__u32 flags; /* reserved, 0 */
};

/* Value of lumen_endpoints (key: __be32 pod address). */
struct lumen_endpoint {
	__u32 ifindex; /* host side of the pod veth */
	__u32 endpoint_id;
	__u32 identity;
	__u32 flags; /* LUMEN_EP_F_* */
};

/* LPM trie key: exact endpoint/identity/direction/protocol, the port matched by prefix
 * (a port range is written as its prefix blocks). identity 0 = any identity, proto 0 =
 * any protocol: the datapath looks up (id, proto), (id, any), (any, proto), (any, any). */
struct lumen_policy_key {
	__u32 prefixlen; /* 80 + port prefix bits */
	__u32 endpoint_id;
	__u32 identity;
	__u8 direction; /* LUMEN_DIR_* */
	__u8 proto;
	__be16 port;
};

struct lumen_policy_val {
	__u32 rule_id;
	__u8 verdict; /* LUMEN_POLICY_* */
	__u8 pad[3];
};

struct lumen_affinity_key {
	__u64 client; /* client IPv4 (network order, zero-extended) or netns cookie */
	__u16 rev_nat_id;
	__u8 kind; /* LUMEN_AFF_* */
	__u8 pad[5];
};

struct lumen_affinity_val {
	__u64 last_used_ns;
	__u32 backend_id;
	__u32 pad;
};

struct lumen_sock_key {
	__u64 cookie; /* socket cookie */
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 kind; /* LUMEN_SOCK_* */
};

struct lumen_sock_val {
	__be32 addr;
	__be16 port;
	__u16 rev_nat_id;
	__u32 backend_id;
};

/* Value of lumen_sock_peer (array slot cookie % size): what a socket the socket LB
 * connected is connected to, and the frontend getpeername/recvmsg show instead. */
struct lumen_sock_peer {
	__u64 cookie; /* socket cookie owning the slot; 0 = free */
	__be32 backend_addr;
	__be16 backend_port;
	__u8 proto;
	__u8 pad;
	__be32 addr; /* frontend */
	__be16 port;
	__u16 rev_nat_id;
};

/* Value of lumen_drops (per-CPU array indexed by enum lumen_drop_reason). */
struct lumen_drop_count {
	__u64 packets;
	__u64 bytes;
};

struct lumen_flow_event {
	__u64 time_ns; /* CLOCK_MONOTONIC */
	__u64 packets; /* this direction of the connection so far (1 for a drop) */
	__u64 bytes;
	__be32 saddr; /* as seen at the observation point, after any rewrite */
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 verdict;     /* enum lumen_verdict */
	__u8 drop_reason; /* enum lumen_drop_reason */
	__u8 obs_point;   /* enum lumen_obs_point */
	__u32 src_identity;
	__u32 dst_identity;
	__u32 endpoint_id; /* 0 when not at an endpoint */
	__u32 ifindex;
	__u32 rule_id; /* policy rule that decided; 0 = none / default deny */
	__be32 svc_addr; /* with LUMEN_EV_F_TRANSLATED */
	__be16 svc_port;
	__u8 tcp_flags; /* of this packet */
	__u8 pad;
	__u16 flags; /* LUMEN_EV_F_* */
	__u16 pad2;
};

/* Read-only program config (.rodata `lumen_cfg`), written by the loader before load. */
struct lumen_config {
	__u64 report_interval_ns;  /* long-lived flows report at most this often */
	__u64 ct_timeout_syn_ns;   /* TCP until the first reply */
	__u64 ct_timeout_tcp_ns;   /* TCP established */
	__u64 ct_timeout_close_ns; /* TCP after FIN/RST */
	__u64 ct_timeout_other_ns; /* UDP, ICMP, others */
	__be32 node_addr;          /* NodePort SNAT source */
	__u32 features;            /* LUMEN_FEAT_* */
	__u16 nat_port_min;        /* NodePort SNAT port range (host order) */
	__u16 nat_port_max;
	__u32 pad;
};

#endif /* LUMEN_ABI_H */
