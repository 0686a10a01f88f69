// The service maps as the agent sees them (lumen_services / lumen_backends / lumen_rev_nat
// of bpf/include/lumen_abi.h, addresses as dotted quads, ports in host order) and the
// desired frontends the planner turns into those entries.

export const IPPROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;
export type ProtoName = keyof typeof IPPROTO;
export const protoName = (n: number): ProtoName => (n === 17 ? 'UDP' : n === 132 ? 'SCTP' : 'TCP');

export const SVC_F_NODEPORT = 0x0001;
export const SVC_F_LOCAL = 0x0002;
export const SVC_F_AFFINITY = 0x0004;
export const BACKEND_ACTIVE = 0;
export const BACKEND_TERMINATING = 1;

export interface SvcKey { addr: string; port: number; proto: number; slot: number }
export interface SvcVal { backendId: number; count: number; active: number; revNatId: number; flags: number; affinityTimeout: number }
export interface BackendVal { addr: string; port: number; state: number }
export interface RevNatVal { addr: string; port: number }

/** Everything the three service maps hold. */
export interface ServiceMaps {
  services: Map<string, { key: SvcKey; val: SvcVal }>;
  backends: Map<number, BackendVal>;
  revNat: Map<number, RevNatVal>;
}

export const emptyServiceMaps = (): ServiceMaps => ({ services: new Map(), backends: new Map(), revNat: new Map() });

export const frontendKey = (addr: string, port: number, proto: number): string => `${addr}:${port}/${protoName(proto)}`;
export const svcKeyString = (k: SvcKey): string => `${frontendKey(k.addr, k.port, k.proto)}#${k.slot}`;
export const backendKey = (addr: string, port: number): string => `${addr}:${port}`;

export type FrontendKind = 'ClusterIP' | 'NodePort' | 'ExternalIP' | 'LoadBalancer';

/** One frontend this node must program, with its backends in API terms. */
export interface WantedFrontend {
  addr: string;
  port: number;
  proto: number;
  kind: FrontendKind;
  service: { namespace: string; name: string };
  portName: string;
  /** 0 = no session affinity. */
  affinityTimeout: number;
  /** externalTrafficPolicy/internalTrafficPolicy Local already applied by filtering backends. */
  local: boolean;
  backends: { addr: string; port: number; state: 'active' | 'terminating' | 'excluded'; nodeName?: string; pod?: { namespace: string; name: string } }[];
}

export type MapName = 'services' | 'backends' | 'revNat';
export type MapOp =
  | { map: 'services'; op: 'update'; key: SvcKey; val: SvcVal }
  | { map: 'services'; op: 'delete'; key: SvcKey }
  | { map: 'backends'; op: 'update'; key: number; val: BackendVal }
  | { map: 'backends'; op: 'delete'; key: number }
  | { map: 'revNat'; op: 'update'; key: number; val: RevNatVal }
  | { map: 'revNat'; op: 'delete'; key: number };
