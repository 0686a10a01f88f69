// One NetworkPolicy -> the normalized form evaluate() and compile() share: defaulted
// policyTypes and protocols, compiled selectors, parsed IPv4 ipBlocks, port specs.
//
// Parts that cannot be interpreted (only possible for objects the API server would reject,
// e.g. drafts) fail closed at the smallest scope: a bad peer or port allows nothing (a rule
// whose peers are all bad matches nothing — it never becomes "all peers"), and a bad
// podSelector makes the policy select nothing. validatePolicy() reports each of them.
import {
  compileSelector,
  parseCidr,
  type Ipv4Cidr,
  type LabelMatcher,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
} from '../k8s/index.js';
import type { Direction } from './types.js';

export interface PodPeer {
  kind: 'pods';
  index: number;
  /** Absent: pods of the policy's own namespace. */
  namespaceSelector?: LabelMatcher;
  /** Absent: every pod of the selected namespaces. */
  podSelector?: LabelMatcher;
}

export interface IpBlockPeer {
  kind: 'ipBlock';
  index: number;
  cidr: Ipv4Cidr;
  except: Ipv4Cidr[];
}

export type NormalizedPeer = PodPeer | IpBlockPeer;

export interface NormalizedPort {
  index: number;
  protocol: 6 | 17 | 132;
  /** Numeric range (port missing = 0..65535) ... */
  low: number;
  high: number;
  /** ... or a named port, resolved against the destination pod's container ports. */
  name?: string;
}

export interface NormalizedRule {
  direction: Direction;
  index: number;
  ruleId: number;
  /** 'all' when from/to is missing or empty. */
  peers: 'all' | NormalizedPeer[];
  /** 'all' when ports is missing or empty: every protocol and port. */
  ports: 'all' | NormalizedPort[];
}

export interface NormalizedPolicy {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  uid?: string;
  /** Undefined when the podSelector cannot be interpreted: the policy selects nothing. */
  selector: LabelMatcher | undefined;
  /** Rules per direction; undefined when policyTypes leaves the direction out. */
  ingress: NormalizedRule[] | undefined;
  egress: NormalizedRule[] | undefined;
}

const PROTOCOLS: Record<string, 6 | 17 | 132> = { TCP: 6, UDP: 17, SCTP: 132 };

/** Kubernetes defaulting: no policyTypes = Ingress, plus Egress when spec.egress is non-empty. */
export function effectivePolicyTypes(policy: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const spec = policy.spec;
  const types = Array.isArray(spec?.policyTypes) ? spec.policyTypes.filter((t) => t === 'Ingress' || t === 'Egress') : [];
  if (types.length === 0) {
    return { ingress: true, egress: Array.isArray(spec?.egress) && spec.egress.length > 0 };
  }
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
}

function normalizePeer(peer: NetworkPolicyPeer, index: number): NormalizedPeer | undefined {
  if (peer == null || typeof peer !== 'object') return undefined;
  if (peer.ipBlock != null) {
    if (peer.podSelector != null || peer.namespaceSelector != null) return undefined;
    const cidr = parseCidr(peer.ipBlock.cidr);
    if (cidr?.family !== 4) return undefined; // IPv6 matches no IPv4 traffic
    const except: Ipv4Cidr[] = [];
    for (const text of peer.ipBlock.except ?? []) {
      const e = parseCidr(text);
      if (e === undefined) return undefined; // dropping an except would widen the allow
      if (e.family === 4) except.push(e.cidr);
    }
    return { kind: 'ipBlock', index, cidr: cidr.cidr, except };
  }
  if (peer.podSelector == null && peer.namespaceSelector == null) return undefined;
  try {
    const out: PodPeer = { kind: 'pods', index };
    if (peer.namespaceSelector != null) out.namespaceSelector = compileSelector(peer.namespaceSelector);
    if (peer.podSelector != null) out.podSelector = compileSelector(peer.podSelector);
    return out;
  } catch {
    return undefined; // validatePolicy reports the selector error with its path
  }
}

function normalizePort(port: NetworkPolicyPort, index: number): NormalizedPort | undefined {
  if (port == null || typeof port !== 'object') return undefined;
  const protocol = PROTOCOLS[port.protocol ?? 'TCP'];
  if (protocol === undefined) return undefined;
  const endPort = port.endPort ?? undefined;
  if (port.port == null) return endPort === undefined ? { index, protocol, low: 0, high: 65535 } : undefined;
  if (typeof port.port === 'string') {
    if (endPort !== undefined || port.port === '') return undefined;
    return { index, protocol, low: 0, high: 0, name: port.port };
  }
  const low = port.port;
  const high = endPort ?? low;
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!ok(low) || !ok(high) || high < low) return undefined;
  return { index, protocol, low, high };
}

function normalizeRules(
  rules: readonly { ports?: NetworkPolicyPort[]; from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[] }[] | undefined,
  direction: Direction,
): NormalizedRule[] {
  if (!Array.isArray(rules)) return [];
  return rules.map((rule, index) => {
    const rawPeers = rule == null ? undefined : direction === 'ingress' ? rule.from : rule.to;
    const rawPorts = rule?.ports;
    const peers: NormalizedRule['peers'] =
      !Array.isArray(rawPeers) || rawPeers.length === 0
        ? 'all'
        : rawPeers.flatMap((p, i) => {
            const n = normalizePeer(p, i);
            return n === undefined ? [] : [n];
          });
    const ports: NormalizedRule['ports'] =
      !Array.isArray(rawPorts) || rawPorts.length === 0
        ? 'all'
        : rawPorts.flatMap((p, i) => {
            const n = normalizePort(p, i);
            return n === undefined ? [] : [n];
          });
    return { direction, index, ruleId: 0, peers, ports };
  });
}

/** Normalize one policy; undefined when it has no usable name/namespace. */
export function normalizePolicy(policy: NetworkPolicy): NormalizedPolicy | undefined {
  const namespace = policy?.metadata?.namespace;
  const name = policy?.metadata?.name;
  if (!namespace || !name) return undefined;
  let selector: LabelMatcher | undefined;
  try {
    selector = compileSelector(policy.spec?.podSelector ?? {});
  } catch {
    selector = undefined;
  }
  const types = effectivePolicyTypes(policy);
  const out: NormalizedPolicy = {
    key: `${namespace}/${name}`,
    namespace,
    name,
    selector,
    ingress: types.ingress ? normalizeRules(policy.spec?.ingress, 'ingress') : undefined,
    egress: types.egress ? normalizeRules(policy.spec?.egress, 'egress') : undefined,
  };
  if (policy.metadata?.uid) out.uid = policy.metadata.uid;
  return out;
}
