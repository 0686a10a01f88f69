// The datapath's enums and reserved numbers mirrored from bpf/include/lumen_abi.h: verdicts,
// drop reasons (stable numbers + text names), observation points, event flags, identities.
// bpf/tests/layout.test.ts checks every number here against the C header and the objects' BTF.

export type VerdictName = 'forwarded' | 'dropped' | 'audit';

export const VERDICTS = [
  { id: 1, name: 'forwarded', c: 'LUMEN_VERDICT_FORWARDED' },
  { id: 2, name: 'dropped', c: 'LUMEN_VERDICT_DROPPED' },
  { id: 3, name: 'audit', c: 'LUMEN_VERDICT_AUDIT' },
] as const satisfies ReadonlyArray<{ id: number; name: VerdictName; c: string }>;

export const Verdict = { Forwarded: 1, Dropped: 2, Audit: 3 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Drop reasons. Append only: numbers are stored with flows and never reused. */
export const DROP_REASONS = [
  { id: 0, key: 'none', text: 'none', c: 'LUMEN_DROP_NONE' },
  { id: 1, key: 'policy-denied', text: 'policy denied', c: 'LUMEN_DROP_POLICY_DENIED' },
  { id: 2, key: 'no-service-backends', text: 'no service backends', c: 'LUMEN_DROP_NO_SERVICE_BACKENDS' },
  { id: 3, key: 'conntrack-full', text: 'conntrack full', c: 'LUMEN_DROP_CT_FULL' },
  { id: 4, key: 'malformed-packet', text: 'malformed packet', c: 'LUMEN_DROP_MALFORMED' },
  { id: 5, key: 'unsupported-l3', text: 'unsupported L3 protocol', c: 'LUMEN_DROP_UNSUPPORTED_L3' },
  { id: 6, key: 'unsupported-l4', text: 'unsupported protocol', c: 'LUMEN_DROP_UNSUPPORTED_L4' },
  { id: 7, key: 'fragment', text: 'fragmented packet', c: 'LUMEN_DROP_FRAGMENT' },
  { id: 8, key: 'invalid-source', text: 'invalid source address', c: 'LUMEN_DROP_INVALID_SOURCE' },
  { id: 9, key: 'unknown-endpoint', text: 'unknown endpoint', c: 'LUMEN_DROP_UNKNOWN_ENDPOINT' },
  { id: 10, key: 'nat-ports-exhausted', text: 'NAT ports exhausted', c: 'LUMEN_DROP_NAT_PORTS_EXHAUSTED' },
  { id: 11, key: 'checksum-rewrite', text: 'checksum rewrite failed', c: 'LUMEN_DROP_CSUM_REWRITE' },
  { id: 12, key: 'no-route', text: 'no route', c: 'LUMEN_DROP_NO_ROUTE' },
] as const;

export type DropReasonKey = (typeof DROP_REASONS)[number]['key'];

export const DropReason = {
  None: 0,
  PolicyDenied: 1,
  NoServiceBackends: 2,
  ConntrackFull: 3,
  Malformed: 4,
  UnsupportedL3: 5,
  UnsupportedL4: 6,
  Fragment: 7,
  InvalidSource: 8,
  UnknownEndpoint: 9,
  NatPortsExhausted: 10,
  ChecksumRewrite: 11,
  NoRoute: 12,
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** Size of the per-CPU drop counter array (LUMEN_DROP_MAX). */
export const DROP_REASON_SLOTS = 32;

export function dropReasonText(id: number): string {
  return DROP_REASONS.find((r) => r.id === id)?.text ?? `unknown drop reason ${id}`;
}

export function dropReasonKey(id: number): string {
  return DROP_REASONS.find((r) => r.id === id)?.key ?? `reason-${id}`;
}

export const OBS_POINTS = [
  { id: 1, name: 'from-endpoint', c: 'LUMEN_OBS_FROM_ENDPOINT' },
  { id: 2, name: 'to-endpoint', c: 'LUMEN_OBS_TO_ENDPOINT' },
  { id: 3, name: 'from-netdev', c: 'LUMEN_OBS_FROM_NETDEV' },
  { id: 4, name: 'to-netdev', c: 'LUMEN_OBS_TO_NETDEV' },
  { id: 5, name: 'sock', c: 'LUMEN_OBS_SOCK' },
] as const;

export type ObsPointName = (typeof OBS_POINTS)[number]['name'];

export const ObsPoint = { FromEndpoint: 1, ToEndpoint: 2, FromNetdev: 3, ToNetdev: 4, Sock: 5 } as const;
export type ObsPoint = (typeof ObsPoint)[keyof typeof ObsPoint];

export function obsPointName(id: number): ObsPointName | `point-${number}` {
  return OBS_POINTS.find((p) => p.id === id)?.name ?? `point-${id}`;
}

export function verdictName(id: number): VerdictName | `verdict-${number}` {
  return VERDICTS.find((v) => v.id === id)?.name ?? `verdict-${id}`;
}

/** lumen_flow_event.flags bits. */
export const EventFlag = {
  Reply: 0x0001,
  New: 0x0002,
  Translated: 0x0004,
  TcpFlags: 0x0008,
  Periodic: 0x0010,
  NodePort: 0x0020,
  Snat: 0x0040,
  Related: 0x0080,
  SockLb: 0x0100,
} as const;

/** C names of the event flag bits, for the ABI test. */
export const EVENT_FLAG_C_NAMES: Record<keyof typeof EventFlag, string> = {
  Reply: 'LUMEN_EV_F_REPLY',
  New: 'LUMEN_EV_F_NEW',
  Translated: 'LUMEN_EV_F_TRANSLATED',
  TcpFlags: 'LUMEN_EV_F_TCP_FLAGS',
  Periodic: 'LUMEN_EV_F_PERIODIC',
  NodePort: 'LUMEN_EV_F_NODEPORT',
  Snat: 'LUMEN_EV_F_SNAT',
  Related: 'LUMEN_EV_F_RELATED',
  SockLb: 'LUMEN_EV_F_SOCK_LB',
};

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export function tcpFlagNames(bits: number): string[] {
  return (Object.keys(TcpFlag) as Array<keyof typeof TcpFlag>).filter((k) => (bits & TcpFlag[k]) !== 0);
}

/** Reserved security identities; cluster identities start at 256, CIDR ones at 1 << 24. */
export const ReservedIdentity = {
  Unknown: 0,
  Host: 1,
  World: 2,
  Unmanaged: 3,
  Health: 4,
  Init: 5,
  RemoteNode: 6,
  KubeApiserver: 7,
} as const;

export const RESERVED_IDENTITY_C_NAMES: Record<keyof typeof ReservedIdentity, string> = {
  Unknown: 'LUMEN_ID_UNKNOWN',
  Host: 'LUMEN_ID_HOST',
  World: 'LUMEN_ID_WORLD',
  Unmanaged: 'LUMEN_ID_UNMANAGED',
  Health: 'LUMEN_ID_HEALTH',
  Init: 'LUMEN_ID_INIT',
  RemoteNode: 'LUMEN_ID_REMOTE_NODE',
  KubeApiserver: 'LUMEN_ID_KUBE_APISERVER',
};

export const CLUSTER_IDENTITY_MIN = 256;
export const CIDR_IDENTITY_MIN = 16777216;

const RESERVED_NAMES: Record<number, string> = {
  0: 'reserved:unknown',
  1: 'reserved:host',
  2: 'reserved:world',
  3: 'reserved:unmanaged',
  4: 'reserved:health',
  5: 'reserved:init',
  6: 'reserved:remote-node',
  7: 'reserved:kube-apiserver',
};

export type IdentityKind = 'reserved' | 'cluster' | 'cidr' | 'invalid';

export function identityKind(id: number): IdentityKind {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return 'invalid';
  if (id >= CIDR_IDENTITY_MIN) return 'cidr';
  if (id >= CLUSTER_IDENTITY_MIN) return 'cluster';
  return id in RESERVED_NAMES ? 'reserved' : 'invalid';
}

/** "reserved:world" for reserved identities, undefined for the others. */
export function reservedIdentityName(id: number): string | undefined {
  return RESERVED_NAMES[id];
}
