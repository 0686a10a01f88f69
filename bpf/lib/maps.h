/* Every map of the datapath, shared by all objects of a node: each is pinned by name
 * under the bpffs directory the loader gives, so an object loaded later (another
 * attach family, or the same one after an agent restart) reuses the pinned map.
 * Sizes here are defaults; the loader sets the real ones before load.
 *
 * Offers: lumen_services, lumen_backends, lumen_rev_nat, lumen_ct, lumen_ipcache,
 *         lumen_endpoints, lumen_policy, lumen_affinity, lumen_sock, lumen_sock_peer, lumen_drops,
 *         lumen_counters, lumen_events, lumen_revision.
 */
#ifndef LUMEN_MAPS_H
#define LUMEN_MAPS_H

#include "common.h"

#ifndef LUMEN_SERVICES_MAX
#define LUMEN_SERVICES_MAX 262144
#endif
#ifndef LUMEN_BACKENDS_MAX
#define LUMEN_BACKENDS_MAX 131072
#endif
#ifndef LUMEN_REV_NAT_MAX
#define LUMEN_REV_NAT_MAX 65536
#endif
#ifndef LUMEN_CT_MAX
#define LUMEN_CT_MAX 524288
#endif
#ifndef LUMEN_IPCACHE_MAX
#define LUMEN_IPCACHE_MAX 65536
#endif
#ifndef LUMEN_ENDPOINTS_MAX
#define LUMEN_ENDPOINTS_MAX 16384
#endif
#ifndef LUMEN_POLICY_MAX
#define LUMEN_POLICY_MAX 131072
#endif
#ifndef LUMEN_AFFINITY_MAX
#define LUMEN_AFFINITY_MAX 65536
#endif
#ifndef LUMEN_SOCK_MAX
#define LUMEN_SOCK_MAX 131072
#endif
/* Slots of lumen_sock_peer, a power of two: a connected socket keeps its slot until
 * this many later sockets of hooked cgroups connected through the socket LB. */
#ifndef LUMEN_SOCK_PEER_SLOTS
#define LUMEN_SOCK_PEER_SLOTS 131072
#endif
#ifndef LUMEN_EVENTS_BYTES
#define LUMEN_EVENTS_BYTES (4 * 1024 * 1024)
#endif

/* Frontends (slot 0) and their backend slots: one hash lookup per new connection
 * whatever the number of services (the frontend carries copies of its first slots). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LUMEN_SERVICES_MAX);
	__type(key, struct lumen_svc_key);
	__type(value, struct lumen_svc_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_services SEC(".maps");

/* Backend id -> address and state: what affinity and UDP stickiness re-check by id
 * (slots carry a copy of the address, so choosing a backend is one lookup). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LUMEN_BACKENDS_MAX);
	__type(key, __u32);
	__type(value, struct lumen_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_backends SEC(".maps");

/* rev-NAT id -> the frontend replies must appear to come from. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LUMEN_REV_NAT_MAX);
	__type(key, __u16);
	__type(value, struct lumen_rev_nat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_rev_nat SEC(".maps");

/* Connection tracking: LRU so a full table evicts the coldest entry instead of
 * refusing new connections; expiry is checked on lookup. Endpoint views are keyed
 * direction-free (conntrack.h), so a packet costs one lookup whichever way it goes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LUMEN_CT_MAX);
	__type(key, struct lumen_ct_key);
	__type(value, struct lumen_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_ct SEC(".maps");

/* Address/prefix -> security identity of remote peers (pods, nodes, ipBlock CIDRs). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LUMEN_IPCACHE_MAX);
	__type(key, struct lumen_ipcache_key);
	__type(value, struct lumen_ipcache_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_ipcache SEC(".maps");

/* Local pod address -> endpoint (veth, id, identity, enforcement). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LUMEN_ENDPOINTS_MAX);
	__type(key, __be32);
	__type(value, struct lumen_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_endpoints SEC(".maps");

/* Policy entries; LPM so port ranges cost prefix blocks, not one entry per port. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LUMEN_POLICY_MAX);
	__type(key, struct lumen_policy_key);
	__type(value, struct lumen_policy_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_policy SEC(".maps");

/* sessionAffinity=ClientIP: last backend per (service, client). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LUMEN_AFFINITY_MAX);
	__type(key, struct lumen_affinity_key);
	__type(value, struct lumen_affinity_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_affinity SEC(".maps");

/* Socket LB memory of unconnected UDP per socket cookie: backend stickiness per frontend
 * and the reverse translation recvmsg needs (one socket, many frontends). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LUMEN_SOCK_MAX);
	__type(key, struct lumen_sock_key);
	__type(value, struct lumen_sock_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_sock SEC(".maps");

/* Socket LB memory of connected sockets, direct-mapped by socket cookie: connect()
 * writes one array slot (cookies count up, so consecutive connects share cache lines)
 * instead of inserting into a hash; getpeername/recvmsg check that the slot is still
 * theirs. Unconnected UDP, which may talk to many frontends, uses lumen_sock. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LUMEN_SOCK_PEER_SLOTS);
	__type(key, __u32);
	__type(value, struct lumen_sock_peer);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_sock_peer SEC(".maps");

/* Drops by reason, per CPU so counting never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LUMEN_DROP_MAX);
	__type(key, __u32);
	__type(value, struct lumen_drop_count);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_drops SEC(".maps");

/* Other per-CPU counters (enum lumen_counter). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LUMEN_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_counters SEC(".maps");

/* [0]: revision of everything a policy verdict depends on (policy, ipcache, endpoint
 * flags). The agent bumps it after each such write; conntrack entries keep the verdict
 * they computed at a revision and re-decide when it moved. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_revision SEC(".maps");

/* Flow events to the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LUMEN_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lumen_events SEC(".maps");

#endif
