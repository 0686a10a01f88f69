// The policy model: normalized policies plus indexes over identities, endpoints, nodes and the
// kube-apiserver, built once per change of inputs and shared by evaluate() and compile().
import {
  canonicalLabels,
  formatIpv4,
  isClusterIdentity,
  parseIpv4,
  splitSecurityLabels,
  type FieldProblem,
  type Ipv4Cidr,
  type Labels,
  type NamedContainerPort,
  type SecurityLabelView,
} from '../k8s/index.js';
import { normalizePolicy, type NormalizedPolicy } from './normalize.js';
import { assignRuleIds, policyRuleKey } from './rule-ids.js';
import type { Direction, EnforcementMode, PolicyEndpoint, PolicyInputs, RuleRef } from './types.js';
import { validatePolicy } from './validate.js';

export interface IdentityInfo {
  id: number;
  labels: Labels;
  canonical: string;
  view: SecurityLabelView;
  /** IPv4 addresses (uint32, sorted) of the endpoints carrying this identity. */
  addresses: number[];
  /** Union of the container ports of those endpoints (for named ports in egress rules). */
  ports: NamedContainerPort[];
}

export interface ModelEndpoint {
  endpoint: PolicyEndpoint;
  identity: IdentityInfo;
  addresses: number[];
  nodeName: string | undefined;
  /** `namespace/pod` or a placeholder naming the identity. */
  name: string;
  ports: readonly NamedContainerPort[];
}

export interface PolicyProblems {
  /** `namespace/name` (or `#<index>` when the policy has no name). */
  policy: string;
  problems: FieldProblem[];
}

export interface PolicyModel {
  readonly kind: 'lumen.policy-model';
  /** Usable policies, sorted by key. */
  readonly policies: readonly NormalizedPolicy[];
  /** Validation errors and warnings per policy (only policies that have some). */
  readonly problems: readonly PolicyProblems[];
  readonly enforcement: EnforcementMode;
  readonly auditNamespaces: ReadonlySet<string>;
  /** Cluster identities, from endpoints and the extra identity table. */
  readonly identities: ReadonlyMap<number, IdentityInfo>;
  readonly endpoints: readonly ModelEndpoint[];
  readonly endpointsByIp: ReadonlyMap<number, ModelEndpoint>;
  readonly endpointsById: ReadonlyMap<number, ModelEndpoint>;
  /** Node name -> its addresses that are not pod addresses. */
  readonly nodeAddresses: ReadonlyMap<string, readonly number[]>;
  readonly nodeByAddress: ReadonlyMap<number, string>;
  /** kube-apiserver addresses that are neither pod nor node addresses. */
  readonly apiserverAddresses: readonly number[];
  /** Every IPv4 ipBlock cidr and except prefix of usable policies, sorted by text. */
  readonly cidrs: readonly Ipv4Cidr[];
  /** Rule id -> policy rule, for every rule of every usable policy. */
  readonly rules: ReadonlyMap<number, RuleRef>;
  /** @internal ids taken (policy rules and default-deny explanations), for collision probing. */
  readonly takenRuleIds: Map<number, string>;
  /** @internal memo of default-deny rule ids. */
  readonly denyRuleIds: Map<string, number>;
  /** @internal memo of selections per identity and direction. */
  readonly selectionCache: Map<string, readonly NormalizedPolicy[]>;
  /** @internal memo of remote-node address sets per local node. */
  readonly remoteNodeCache: Map<string, readonly number[]>;
}

export function isPolicyModel(x: unknown): x is PolicyModel {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'lumen.policy-model';
}

function mergePorts(into: NamedContainerPort[], ports: readonly NamedContainerPort[] | undefined): void {
  for (const p of ports ?? []) {
    if (!into.some((q) => q.name === p.name && q.port === p.port && q.protocol === p.protocol)) into.push(p);
  }
}

/** An IdentityInfo for labels that are not (yet) in a model. */
export function makeIdentityInfo(id: number, labels: Labels): IdentityInfo {
  return { id, labels, canonical: canonicalLabels(labels), view: splitSecurityLabels(labels), addresses: [], ports: [] };
}

function endpointName(ep: PolicyEndpoint, identity: IdentityInfo): string {
  return ep.name ?? `${identity.view.namespace ?? '?'}/<identity ${ep.identity}>`;
}

/** Build the model; throws (naming the endpoint or identity) on inconsistent inputs. */
export function buildPolicyModel(inputs: PolicyInputs): PolicyModel {
  const identities = new Map<number, IdentityInfo>();
  const register = (id: number, labels: Labels, source: string): IdentityInfo => {
    if (!isClusterIdentity(id)) throw new Error(`policy inputs: ${source}: identity ${id} is not a cluster identity (256 .. 2^24-1)`);
    const known = identities.get(id);
    const canonical = canonicalLabels(labels);
    if (known === undefined) {
      const info = makeIdentityInfo(id, labels);
      identities.set(id, info);
      return info;
    }
    if (known.canonical !== canonical) {
      throw new Error(`policy inputs: ${source}: identity ${id} has labels {${canonical}} but also {${known.canonical}}`);
    }
    return known;
  };
  for (const ident of inputs.identities ?? []) register(ident.id, ident.labels, `identity ${ident.id}`);

  const endpoints: ModelEndpoint[] = [];
  const endpointsByIp = new Map<number, ModelEndpoint>();
  const endpointsById = new Map<number, ModelEndpoint>();
  inputs.endpoints.forEach((ep, i) => {
    const source = `endpoint ${ep.name ?? `#${i}`}`;
    const identity = register(ep.identity, ep.labels, source);
    if (identity.view.namespace === undefined) {
      throw new Error(`policy inputs: ${source}: labels lack ns:kubernetes.io/metadata.name (use securityLabels())`);
    }
    const addresses = (ep.ips ?? []).map((ip) => parseIpv4(ip)).filter((a): a is number => a !== undefined);
    const me: ModelEndpoint = { endpoint: ep, identity, addresses, nodeName: ep.nodeName, name: endpointName(ep, identity), ports: ep.ports ?? [] };
    endpoints.push(me);
    if (ep.id !== undefined) {
      if (endpointsById.has(ep.id)) throw new Error(`policy inputs: ${source}: endpoint id ${ep.id} is used twice`);
      endpointsById.set(ep.id, me);
    }
    for (const a of addresses) {
      // An address reused by a new pod while the old one terminates: the first one listed wins.
      if (!endpointsByIp.has(a)) endpointsByIp.set(a, me);
    }
    mergePorts(identity.ports, ep.ports);
  });
  for (const [addr, me] of endpointsByIp) me.identity.addresses.push(addr);
  for (const info of identities.values()) info.addresses.sort((a, b) => a - b);

  const nodeAddresses = new Map<string, number[]>();
  const nodeByAddress = new Map<number, string>();
  for (const node of inputs.nodes ?? []) {
    const list: number[] = [];
    for (const text of node.addresses) {
      const a = parseIpv4(text);
      if (a === undefined || endpointsByIp.has(a) || nodeByAddress.has(a)) continue;
      nodeByAddress.set(a, node.name);
      list.push(a);
    }
    nodeAddresses.set(node.name, list);
  }
  const apiserverAddresses = [...new Set((inputs.apiserverAddresses ?? []).map((t) => parseIpv4(t)))]
    .filter((a): a is number => a !== undefined && !endpointsByIp.has(a) && !nodeByAddress.has(a))
    .sort((a, b) => a - b);

  const problems: PolicyProblems[] = [];
  const byKey = new Map<string, NormalizedPolicy>();
  inputs.policies.forEach((policy, i) => {
    const found = validatePolicy(policy);
    const norm = normalizePolicy(policy);
    const label = norm?.key ?? `#${i}`;
    if (norm !== undefined && byKey.has(norm.key)) {
      found.push({ path: 'metadata.name', severity: 'error', message: `duplicate policy ${norm.key}: only the first one is used` });
    } else if (norm !== undefined) {
      byKey.set(norm.key, norm);
    }
    if (found.length > 0) problems.push({ policy: label, problems: found });
  });
  const policies = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const takenRuleIds = new Map<number, string>();
  const rules = new Map<number, RuleRef>();
  const keys: string[] = [];
  for (const p of policies) for (const dir of ['ingress', 'egress'] as const) for (const r of p[dir] ?? []) keys.push(policyRuleKey(p.key, dir, r.index));
  const ids = assignRuleIds(keys, takenRuleIds);
  for (const p of policies) {
    for (const dir of ['ingress', 'egress'] as const) {
      for (const r of p[dir] ?? []) {
        r.ruleId = ids.get(policyRuleKey(p.key, dir, r.index))!;
        rules.set(r.ruleId, { kind: 'policy', policy: p.key, direction: dir, ruleIndex: r.index });
      }
    }
  }

  const cidrByText = new Map<string, Ipv4Cidr>();
  for (const p of policies) {
    for (const dir of ['ingress', 'egress'] as const) {
      for (const r of p[dir] ?? []) {
        if (r.peers === 'all') continue;
        for (const peer of r.peers) {
          if (peer.kind !== 'ipBlock') continue;
          for (const c of [peer.cidr, ...peer.except]) cidrByText.set(c.text, c);
        }
      }
    }
  }
  const cidrs = [...cidrByText.values()].sort((a, b) => a.base - b.base || a.prefix - b.prefix);

  return {
    kind: 'lumen.policy-model',
    policies,
    problems,
    enforcement: inputs.enforcement ?? 'default',
    auditNamespaces: new Set(inputs.auditNamespaces ?? []),
    identities,
    endpoints,
    endpointsByIp,
    endpointsById,
    nodeAddresses,
    nodeByAddress,
    apiserverAddresses,
    cidrs,
    rules,
    takenRuleIds,
    denyRuleIds: new Map(),
    selectionCache: new Map(),
    remoteNodeCache: new Map(),
  };
}

/**
 * Policies (sorted by key) that select an identity for a direction: same namespace, podSelector
 * matches its pod labels, and policyTypes (defaulted) include the direction.
 */
export function selectingPolicies(model: PolicyModel, identity: IdentityInfo, direction: Direction): readonly NormalizedPolicy[] {
  const cacheKey = `${identity.canonical}|${direction}`;
  const cached = model.selectionCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const ns = identity.view.namespace;
  const out =
    ns === undefined
      ? []
      : model.policies.filter((p) => p[direction] !== undefined && p.namespace === ns && p.selector !== undefined && p.selector.matches(identity.view.pod));
  model.selectionCache.set(cacheKey, out);
  return out;
}

/** Addresses of every node other than `localNode` (all nodes when it is undefined). */
export function remoteNodeAddresses(model: PolicyModel, localNode: string | undefined): readonly number[] {
  const key = localNode ?? '';
  const cached = model.remoteNodeCache.get(key);
  if (cached !== undefined) return cached;
  const out: number[] = [];
  for (const [name, addrs] of model.nodeAddresses) if (name !== localNode) out.push(...addrs);
  out.sort((a, b) => a - b);
  model.remoteNodeCache.set(key, out);
  return out;
}

/** Human form of an address list, for messages. */
export function formatAddresses(addrs: readonly number[]): string {
  return addrs.map(formatIpv4).join(', ');
}
