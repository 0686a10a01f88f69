// TypeScript side of bpf/include/lumen_abi.h: a codec per map key/value, the flow event
// and the config struct, the flag bits, and which map uses which codecs. Checked against
// the C header and the objects' BTF by bpf/tests/layout.test.ts.
import { defineStruct, ipv4ToNumber, scalar } from './codec';

export const svcKey = defineStruct('lumen_svc_key', [
  ['addr', 'ipv4'], ['port', 'be16'], ['proto', 'u8'], ['scope', 'u8'], ['slot', 'u16'], ['pad', 2],
] as const);

export const svcVal = defineStruct('lumen_svc_val', [
  ['backend_id', 'u32'], ['count', 'u16'], ['active', 'u16'], ['rev_nat_id', 'u16'], ['flags', 'u16'],
  ['affinity_timeout', 'u32'], ['backend_addr', 'ipv4'], ['backend_port', 'be16'], ['pad', 2],
  ['inline_id0', 'u32'], ['inline_id1', 'u32'], ['inline_id2', 'u32'], ['inline_id3', 'u32'],
  ['inline_addr0', 'ipv4'], ['inline_addr1', 'ipv4'], ['inline_addr2', 'ipv4'], ['inline_addr3', 'ipv4'],
  ['inline_port0', 'be16'], ['inline_port1', 'be16'], ['inline_port2', 'be16'], ['inline_port3', 'be16'],
] as const);

/** Backends the frontend value (slot 0) carries copies of (LUMEN_SVC_INLINE). */
export const SVC_INLINE = 4;

export const backendVal = defineStruct('lumen_backend', [
  ['addr', 'ipv4'], ['port', 'be16'], ['state', 'u8'], ['pad', 1],
] as const);

export const revNatVal = defineStruct('lumen_rev_nat', [['addr', 'ipv4'], ['port', 'be16'], ['pad', 2]] as const);

export const ctKey = defineStruct('lumen_ct_key', [
  ['saddr', 'ipv4'], ['daddr', 'ipv4'], ['sport', 'be16'], ['dport', 'be16'], ['proto', 'u8'], ['scope', 'u8'], ['pad', 2],
] as const);

export const ctEntry = defineStruct('lumen_ct_entry', [
  ['last_seen_ns', 'u64'], ['last_report_ns', 'u64'],
  ['tx_packets', 'u64'], ['tx_bytes', 'u64'], ['rx_packets', 'u64'], ['rx_bytes', 'u64'],
  ['backend_id', 'u32'], ['nat_addr', 'ipv4'], ['nat_port', 'be16'], ['rev_nat_id', 'u16'],
  ['tx_tcp_flags', 'u8'], ['rx_tcp_flags', 'u8'], ['flags', 'u8'], ['verdict', 'u8'],
  ['policy_rev', 'u32'], ['remote_identity', 'u32'], ['rule_id', 'u32'],
  ['svc_addr', 'ipv4'], ['svc_port', 'be16'], ['ep_flags', 'u16'],
  ['ifindex', 'u32'], ['endpoint_id', 'u32'], ['local_identity', 'u32'],
] as const);

export const ipcacheKey = defineStruct('lumen_ipcache_key', [['prefixlen', 'u32'], ['addr', 'ipv4']] as const);
export const ipcacheVal = defineStruct('lumen_ipcache_val', [['identity', 'u32'], ['flags', 'u32']] as const);

export const endpointVal = defineStruct('lumen_endpoint', [
  ['ifindex', 'u32'], ['endpoint_id', 'u32'], ['identity', 'u32'], ['flags', 'u32'],
] as const);

export const policyKey = defineStruct('lumen_policy_key', [
  ['prefixlen', 'u32'], ['endpoint_id', 'u32'], ['identity', 'u32'], ['direction', 'u8'], ['proto', 'u8'], ['port', 'be16'],
] as const);

export const policyVal = defineStruct('lumen_policy_val', [['rule_id', 'u32'], ['verdict', 'u8'], ['pad', 3]] as const);

export const affinityKey = defineStruct('lumen_affinity_key', [
  ['client', 'u64'], ['rev_nat_id', 'u16'], ['kind', 'u8'], ['pad', 5],
] as const);

export const affinityVal = defineStruct('lumen_affinity_val', [['last_used_ns', 'u64'], ['backend_id', 'u32'], ['pad', 4]] as const);

export const sockKey = defineStruct('lumen_sock_key', [
  ['cookie', 'u64'], ['addr', 'ipv4'], ['port', 'be16'], ['proto', 'u8'], ['kind', 'u8'],
] as const);

export const sockVal = defineStruct('lumen_sock_val', [
  ['addr', 'ipv4'], ['port', 'be16'], ['rev_nat_id', 'u16'], ['backend_id', 'u32'],
] as const);

export const sockPeer = defineStruct('lumen_sock_peer', [
  ['cookie', 'u64'], ['backend_addr', 'ipv4'], ['backend_port', 'be16'], ['proto', 'u8'], ['pad', 1],
  ['addr', 'ipv4'], ['port', 'be16'], ['rev_nat_id', 'u16'],
] as const);

export const dropCount = defineStruct('lumen_drop_count', [['packets', 'u64'], ['bytes', 'u64']] as const);

export const flowEvent = defineStruct('lumen_flow_event', [
  ['time_ns', 'u64'], ['packets', 'u64'], ['bytes', 'u64'],
  ['saddr', 'ipv4'], ['daddr', 'ipv4'], ['sport', 'be16'], ['dport', 'be16'],
  ['proto', 'u8'], ['verdict', 'u8'], ['drop_reason', 'u8'], ['obs_point', 'u8'],
  ['src_identity', 'u32'], ['dst_identity', 'u32'], ['endpoint_id', 'u32'], ['ifindex', 'u32'], ['rule_id', 'u32'],
  ['svc_addr', 'ipv4'], ['svc_port', 'be16'], ['tcp_flags', 'u8'], ['pad', 1], ['flags', 'u16'], ['pad', 2],
] as const);

export const config = defineStruct('lumen_config', [
  ['report_interval_ns', 'u64'], ['ct_timeout_syn_ns', 'u64'], ['ct_timeout_tcp_ns', 'u64'],
  ['ct_timeout_close_ns', 'u64'], ['ct_timeout_other_ns', 'u64'],
  ['node_addr', 'ipv4'], ['features', 'u32'], ['nat_port_min', 'u16'], ['nat_port_max', 'u16'], ['pad', 4],
] as const);

export const u16Key = scalar('__u16', 'u16');
export const u32Key = scalar('__u32', 'u32');
export const addrKey = scalar('__be32', 'ipv4');
export const u64Val = scalar('__u64', 'u64');

export type SvcKey = ReturnType<typeof svcKey.decode>;
export type SvcVal = ReturnType<typeof svcVal.decode>;
export type BackendVal = ReturnType<typeof backendVal.decode>;
export type RevNatVal = ReturnType<typeof revNatVal.decode>;
export type CtKey = ReturnType<typeof ctKey.decode>;
export type CtEntry = ReturnType<typeof ctEntry.decode>;
export type IpcacheKey = ReturnType<typeof ipcacheKey.decode>;
export type IpcacheVal = ReturnType<typeof ipcacheVal.decode>;
export type EndpointVal = ReturnType<typeof endpointVal.decode>;
export type PolicyKey = ReturnType<typeof policyKey.decode>;
export type PolicyVal = ReturnType<typeof policyVal.decode>;
export type AffinityKey = ReturnType<typeof affinityKey.decode>;
export type AffinityVal = ReturnType<typeof affinityVal.decode>;
export type SockKey = ReturnType<typeof sockKey.decode>;
export type SockVal = ReturnType<typeof sockVal.decode>;
export type SockPeer = ReturnType<typeof sockPeer.decode>;
export type DropCount = ReturnType<typeof dropCount.decode>;
export type RawFlowEvent = ReturnType<typeof flowEvent.decode>;
export type RawConfig = ReturnType<typeof config.decode>;

/** Flag bits and small enums of lumen_abi.h (C name -> value is checked by the layout test). */
export const SvcFlag = { NodePort: 0x0001, Local: 0x0002, Affinity: 0x0004 } as const;
export const BackendState = { Active: 0, Terminating: 1 } as const;
export const EndpointFlag = { EnforceIngress: 0x0001, EnforceEgress: 0x0002, Audit: 0x0004 } as const;
export const CtScope = { EpLo: 0, EpHi: 1, Service: 2, NatFwd: 3, NatRev: 4 } as const;
export const CtFlag = { SeenReply: 0x01, Closing: 0x02, NodePort: 0x04, Outbound: 0x08, Dnat: 0x10, RevNat: 0x20, Index: 0x40 } as const;
export const PolicyVerdict = { Allow: 1, Deny: 2 } as const;
export const Direction = { Ingress: 0, Egress: 1 } as const;
export const AffinityKind = { ClientAddr: 0, NetnsCookie: 1 } as const;
export const SockKind = { Fwd: 0, Rev: 1 } as const;
export const Feature = { TcLb: 0x0001, Events: 0x0002, SockLb: 0x0004 } as const;
export const Counter = { EventsLost: 0, EventsEmitted: 1, SockTranslated: 2, TcTranslated: 3 } as const;
export const COUNTER_SLOTS = 8;

/** C #define name -> value, for the ABI test (every LUMEN_* define of the header). */
export const C_DEFINES: Record<string, number> = {
  LUMEN_SVC_INLINE: SVC_INLINE,
  LUMEN_SVC_F_NODEPORT: SvcFlag.NodePort,
  LUMEN_SVC_F_LOCAL: SvcFlag.Local,
  LUMEN_SVC_F_AFFINITY: SvcFlag.Affinity,
  LUMEN_BACKEND_ACTIVE: BackendState.Active,
  LUMEN_BACKEND_TERMINATING: BackendState.Terminating,
  LUMEN_EP_F_ENFORCE_INGRESS: EndpointFlag.EnforceIngress,
  LUMEN_EP_F_ENFORCE_EGRESS: EndpointFlag.EnforceEgress,
  LUMEN_EP_F_AUDIT: EndpointFlag.Audit,
  LUMEN_CT_EP_LO: CtScope.EpLo,
  LUMEN_CT_EP_HI: CtScope.EpHi,
  LUMEN_CT_SERVICE: CtScope.Service,
  LUMEN_CT_NAT_FWD: CtScope.NatFwd,
  LUMEN_CT_NAT_REV: CtScope.NatRev,
  LUMEN_CT_F_SEEN_REPLY: CtFlag.SeenReply,
  LUMEN_CT_F_CLOSING: CtFlag.Closing,
  LUMEN_CT_F_NODEPORT: CtFlag.NodePort,
  LUMEN_CT_F_OUTBOUND: CtFlag.Outbound,
  LUMEN_CT_F_DNAT: CtFlag.Dnat,
  LUMEN_CT_F_REV_NAT: CtFlag.RevNat,
  LUMEN_CT_F_INDEX: CtFlag.Index,
  LUMEN_POLICY_ALLOW: PolicyVerdict.Allow,
  LUMEN_POLICY_DENY: PolicyVerdict.Deny,
  LUMEN_DIR_INGRESS: Direction.Ingress,
  LUMEN_DIR_EGRESS: Direction.Egress,
  LUMEN_AFF_CLIENT_ADDR: AffinityKind.ClientAddr,
  LUMEN_AFF_NETNS_COOKIE: AffinityKind.NetnsCookie,
  LUMEN_SOCK_FWD: SockKind.Fwd,
  LUMEN_SOCK_REV: SockKind.Rev,
  LUMEN_FEAT_TC_LB: Feature.TcLb,
  LUMEN_FEAT_EVENTS: Feature.Events,
  LUMEN_FEAT_SOCK_LB: Feature.SockLb,
};

export const COUNTER_C_NAMES: Record<keyof typeof Counter, string> = {
  EventsLost: 'LUMEN_CNT_EVENTS_LOST',
  EventsEmitted: 'LUMEN_CNT_EVENTS_EMITTED',
  SockTranslated: 'LUMEN_CNT_SOCK_TRANSLATED',
  TcTranslated: 'LUMEN_CNT_TC_TRANSLATED',
};

/** Map name -> the codecs of its key and value (sizes checked against the loaded maps). */
export const MAP_LAYOUTS = {
  lumen_services: { key: svcKey, value: svcVal },
  lumen_backends: { key: u32Key, value: backendVal },
  lumen_rev_nat: { key: u16Key, value: revNatVal },
  lumen_ct: { key: ctKey, value: ctEntry },
  lumen_ipcache: { key: ipcacheKey, value: ipcacheVal },
  lumen_endpoints: { key: addrKey, value: endpointVal },
  lumen_policy: { key: policyKey, value: policyVal },
  lumen_affinity: { key: affinityKey, value: affinityVal },
  lumen_sock: { key: sockKey, value: sockVal },
  lumen_sock_peer: { key: u32Key, value: sockPeer },
  lumen_drops: { key: u32Key, value: dropCount },
  lumen_counters: { key: u32Key, value: u64Val },
  lumen_revision: { key: u32Key, value: u32Key },
} as const;

export type MapName = keyof typeof MAP_LAYOUTS | 'lumen_events';

/** The key of an endpoint's view of a connection (lumen_ct_view_key in conntrack.h): the
 *  tuple in canonical order, lower address:port first, the scope naming the local side.
 *  Both directions of the connection, and either end as `local`, give the same tuple. */
export function ctViewKey(local: { ip: string; port: number }, peer: { ip: string; port: number }, proto: number): CtKey {
  const order = (e: { ip: string; port: number }) => ipv4ToNumber(e.ip) * 65536 + e.port;
  return order(local) <= order(peer)
    ? { saddr: local.ip, daddr: peer.ip, sport: local.port, dport: peer.port, proto, scope: CtScope.EpLo }
    : { saddr: peer.ip, daddr: local.ip, sport: peer.port, dport: local.port, proto, scope: CtScope.EpHi };
}
