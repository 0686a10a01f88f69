/* Base of every Lumen BPF object: kernel types, libbpf helpers, the shared ABI, the
 * load-time config and a few constants the UAPI headers would give us in user space.
 *
 * Offers: lumen_cfg (const volatile config), TC_ACT_*, ETH_P_*, IPPROTO_*,
 *         lumen_feature(), lumen_now() (coarse CLOCK_MONOTONIC).
 */
#ifndef LUMEN_COMMON_H
#define LUMEN_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lumen_abi.h"

#define TC_ACT_OK    0
#define TC_ACT_SHOT  2

#define ETH_HLEN     14
#define ETH_P_IP     0x0800
#define ETH_P_ARP    0x0806

#define IPPROTO_ICMP 1
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17
#define IPPROTO_SCTP 132

#define IP_MF        0x2000
#define IP_OFFSET    0x1fff

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define NSEC_PER_SEC 1000000000ULL

/* Defaults match the wrapper's (agent/native/config.ts); the loader always writes the
 * full struct, these only matter for an object loaded by hand with bpftool. */
const volatile struct lumen_config lumen_cfg = {
	.report_interval_ns = 5 * NSEC_PER_SEC,
	.ct_timeout_syn_ns = 60 * NSEC_PER_SEC,
	.ct_timeout_tcp_ns = 21600 * NSEC_PER_SEC,
	.ct_timeout_close_ns = 10 * NSEC_PER_SEC,
	.ct_timeout_other_ns = 60 * NSEC_PER_SEC,
	.node_addr = 0,
	.features = LUMEN_FEAT_TC_LB | LUMEN_FEAT_EVENTS | LUMEN_FEAT_SOCK_LB,
	.nat_port_min = 61000,
	.nat_port_max = 65535,
};

/* Never read: they make every shared type part of each object's BTF, which is what
 * bpf/tests/layout.test.ts compares the TypeScript codecs and enums against. */
const volatile struct lumen_flow_event lumen_abi_flow_event;
const volatile enum lumen_verdict lumen_abi_verdict;
const volatile enum lumen_drop_reason lumen_abi_drop_reason;
const volatile enum lumen_obs_point lumen_abi_obs_point;
const volatile enum lumen_counter lumen_abi_counter;

/* Work off the established-packet path (new connections, drops, events) is a BPF
 * subprogram instead of being inlined at every call site: the programs stay a fraction
 * of the size, so the path a packet does run is denser in the instruction cache. */
#define LUMEN_OUTLINE static __noinline __attribute__((unused))

static __always_inline int lumen_feature(__u32 bit)
{
	return (lumen_cfg.features & bit) != 0;
}

/* Conntrack ages and report intervals are seconds: the tick-resolution clock is enough
 * and much cheaper per packet than the precise one (events take the precise one). */
static __always_inline __u64 lumen_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

#endif
