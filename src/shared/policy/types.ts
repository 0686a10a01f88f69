// Public types of the policy package: what callers pass in (endpoints, inputs), what compile()
// hands the datapath (entries, rule table), and what evaluate() answers (verdicts).
import type { Labels, NamedContainerPort, NetworkPolicy } from '../k8s/index.js';

export type Direction = 'ingress' | 'egress';

/**
 * Which endpoints are isolated (enforced) for a direction:
 * - default: those selected by at least one policy of that direction (Kubernetes semantics);
 * - always: every endpoint (no policy = deny everything except its own node);
 * - never: none (policies are evaluated and reported but nothing is dropped).
 */
export type EnforcementMode = 'default' | 'always' | 'never';

/** IP protocol numbers the datapath keys on. 0 in an entry means any protocol. */
export const IpProtocol = { any: 0, icmp: 1, tcp: 6, udp: 17, sctp: 132 } as const;
export type EntryProtocol = 0 | 6 | 17 | 132;

/** A pod as policy sees it: its identity and what named ports and ipBlocks need. */
export interface PolicyEndpoint {
  /** Datapath endpoint id. compile() requires it for the endpoints it compiles. */
  id?: number;
  /** Cluster identity (>= 256) allocated to `labels`. */
  identity: number;
  /** Security labels (securityLabels(pod, namespace)): pod labels + `ns:` labels. */
  labels: Labels;
  /** IPv4 addresses of the pod (others are ignored). */
  ips: readonly string[];
  /** Node the pod runs on: decides which node addresses are `host` and `remote-node` for it. */
  nodeName?: string;
  /** Container ports, for named ports in NetworkPolicy (podContainerPorts(pod)). */
  ports?: readonly NamedContainerPort[];
  /** `namespace/pod`, for messages. */
  name?: string;
}

export interface PolicyNode {
  name: string;
  /** The node's IPv4 addresses (nodeIpv4s(node)). */
  addresses: readonly string[];
}

/** Everything the semantics depend on. The agent and the console build this from their caches. */
export interface PolicyInputs {
  policies: readonly NetworkPolicy[];
  /** Every pod endpoint of the cluster (not only the local ones): selectors are resolved to
   *  identities through them, named ports of remote pods and ipBlock address sets too. */
  endpoints: readonly PolicyEndpoint[];
  /** Extra cluster identities with no endpoint known yet (id -> security labels). */
  identities?: readonly { id: number; labels: Labels }[];
  nodes?: readonly PolicyNode[];
  /** Addresses of the kube-apiserver (endpoints of the `kubernetes` Service). */
  apiserverAddresses?: readonly string[];
  /** Default 'default'. */
  enforcement?: EnforcementMode;
  /** Namespaces in audit mode: would-deny is reported, the traffic passes. */
  auditNamespaces?: Iterable<string>;
}

/** What a rule id stands for. Rule indexes are 0-based, as in `spec.ingress[2]`. */
export type RuleRef =
  | { kind: 'policy'; policy: string; direction: Direction; ruleIndex: number }
  /** Traffic between a pod and its own node, both directions (rule id 1). */
  | { kind: 'host' }
  | { kind: 'default-deny'; direction: Direction; selectedBy: readonly string[]; mode: EnforcementMode };

/**
 * One entry of the datapath's policy map, for one endpoint and direction (ingress = traffic to
 * the endpoint, egress = traffic from it). The datapath answers a packet by looking up
 * (remote identity, protocol, destination port) with lookupEntries() semantics.
 */
export interface PolicyEntry {
  endpointId: number;
  direction: Direction;
  /** 0 = any identity. CIDR identities are >= 1<<24 (see CidrIdentityContract). */
  remoteIdentity: number;
  /** 6 TCP, 17 UDP, 132 SCTP, 0 any protocol (then the port range is always 0..65535). */
  protocol: EntryProtocol;
  /** Inclusive destination port range; 0..65535 = any port. */
  portLow: number;
  portHigh: number;
  verdict: 'allow' | 'deny';
  ruleId: number;
}

export interface DirectionState {
  /** The datapath drops what no entry allows. */
  enforced: boolean;
  /** Enforced in audit mode: would-deny is recorded, the packet passes. */
  audit: boolean;
  /** Policies (`ns/name`) whose podSelector and policyTypes select the endpoint. */
  selectedBy: string[];
}

export interface CompiledEndpoint {
  endpointId: number;
  identity: number;
  name?: string;
  ingress: DirectionState;
  egress: DirectionState;
  /** Sorted by direction, remoteIdentity, protocol, portLow, portHigh. Empty for a direction
   *  that is not enforced. Keys (all fields but verdict and ruleId) are unique. */
  entries: PolicyEntry[];
}

/**
 * The contract for CIDR identities (ipBlock):
 * 1. requiredCidrs(model) lists every ipBlock `cidr` and `except` prefix (IPv4, canonical).
 * 2. The agent gives each one an identity >= CIDR_IDENTITY_MIN (assignCidrIdentities helps),
 *    writes EVERY listed prefix into the ipcache (including 0.0.0.0/0 when listed), and passes
 *    the map to compile().
 * 3. The ipcache is longest-prefix-match. Exact-prefix ties are resolved by precedence:
 *    pod IP > own-node address (host) > other node address (remote-node) > kube-apiserver
 *    address > CIDR identity. Addresses matching nothing are world (2).
 * 4. `except` prefixes get an identity but no allow entry, so a longer except prefix shadows
 *    the allowed cidr exactly where Kubernetes says it should.
 */
export type CidrIdentities = ReadonlyMap<string, number>;

export interface CompiledPolicy {
  /** One per compiled endpoint, sorted by endpointId. */
  endpoints: CompiledEndpoint[];
  /** Every rule id the entries use. */
  rules: Map<number, RuleRef>;
  /** The CIDR identities the entries reference (sorted by address, then prefix length). */
  cidrs: { cidr: string; identity: number }[];
}

/** A policy rule that allows a flow, with the first matching peer and port (0-based). */
export interface RuleMatch {
  ruleId: number;
  ref: RuleRef;
  /** Index in from/to; undefined when the rule allows all peers. */
  peerIndex?: number;
  /** Index in ports; undefined when the rule allows all ports. */
  portIndex?: number;
}

export type RemoteKind = 'pod' | 'host' | 'remote-node' | 'kube-apiserver' | 'world';

export interface DirectionVerdict {
  direction: Direction;
  /** False when this side is not a cluster pod (policy does not apply to it). */
  applies: boolean;
  /** The endpoint whose policy is checked (`ns/pod`), when applies. */
  endpoint?: string;
  remote: { kind: RemoteKind; identity: number; ip?: string; name?: string };
  enforced: boolean;
  audit: boolean;
  allowed: boolean;
  /** Denied but passed because of audit mode. */
  wouldDeny: boolean;
  selectedBy: string[];
  /** Every rule that allows the flow, in rule-id table order (policy key, direction, index). */
  allowedBy: RuleMatch[];
  /** e.g. `allowed by shop/web ingress rule 2`, `denied: selected by shop/a, shop/b and no rule allows it`. */
  reason: string;
}

export interface FlowVerdict {
  /** Whether the traffic passes (audit-mode would-denies pass). */
  allowed: boolean;
  wouldDeny: boolean;
  /** Egress of the source endpoint. */
  egress: DirectionVerdict;
  /** Ingress of the destination endpoint. */
  ingress: DirectionVerdict;
  reason: string;
}

/** One side of a flow: a known pod endpoint, or an address resolved like the ipcache does. */
export type FlowPeer = { endpoint: PolicyEndpoint } | { ip: string };

export interface PolicyFlow {
  src: FlowPeer;
  dst: FlowPeer;
  /** 'TCP' | 'UDP' | 'SCTP' | 'ICMP' or an IP protocol number. */
  protocol: string | number;
  /** Destination port (0 for protocols without ports). */
  port: number;
}
