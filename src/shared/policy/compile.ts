// compile(): the policy map entries the datapath enforces for the local endpoints, with the
// enforcement flags per direction and the rule table that names the policy behind a verdict.
import { CIDR_IDENTITY_MIN, IDENTITY_MAX, ReservedIdentity, type Ipv4Cidr } from '../k8s/index.js';
import { allAddressesInBlock, cidrPrefixInBlock, peerMatches, resolveNamedPort } from './match.js';
import { remoteNodeAddresses, selectingPolicies, type IdentityInfo, type ModelEndpoint, type PolicyModel } from './model.js';
import type { NormalizedPeer, NormalizedRule, PodPeer } from './normalize.js';
import { assignRuleIds, defaultDenyKey, RULE_ID_HOST } from './rule-ids.js';
import type {
  CidrIdentities,
  CompiledEndpoint,
  CompiledPolicy,
  Direction,
  DirectionState,
  EntryProtocol,
  PolicyEntry,
  RuleRef,
} from './types.js';

export interface CompileOptions {
  /** Compile these endpoints (datapath ids, as in PolicyEndpoint.id) ... */
  endpointIds?: Iterable<number>;
  /** ... or every endpoint whose nodeName is this node. One of the two is required. */
  nodeName?: string;
  /** CIDR identity of every prefix in requiredCidrs(model). See CidrIdentities. */
  cidrIdentities: CidrIdentities;
  /** Add an any/any deny entry per enforced direction whose rule id explains the default deny
   *  (`selected by ns/a, ns/b and no rule allows it`). Default true. */
  denyEntries?: boolean;
}

interface Context {
  model: PolicyModel;
  cidrIds: { cidr: Ipv4Cidr; id: number }[];
  byNamespace: Map<string, IdentityInfo[]>;
  podPeerMemo: Map<PodPeer, number[]>;
  blockMemo: Map<string, number[]>;
}

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

function resolveCidrIdentities(model: PolicyModel, given: CidrIdentities): { cidr: Ipv4Cidr; id: number }[] {
  const out: { cidr: Ipv4Cidr; id: number }[] = [];
  const missing: string[] = [];
  const seen = new Map<number, string>();
  for (const cidr of model.cidrs) {
    const id = given.get(cidr.text);
    if (id === undefined) {
      missing.push(cidr.text);
      continue;
    }
    if (!Number.isInteger(id) || id < CIDR_IDENTITY_MIN || id >= IDENTITY_MAX) {
      throw new Error(`compile: CIDR identity for ${cidr.text} is ${id}, outside ${CIDR_IDENTITY_MIN}..${IDENTITY_MAX - 1}`);
    }
    const other = seen.get(id);
    if (other !== undefined) throw new Error(`compile: CIDR identity ${id} is given to both ${other} and ${cidr.text}`);
    seen.set(id, cidr.text);
    out.push({ cidr, id });
  }
  if (missing.length > 0) throw new Error(`compile: no CIDR identity for ${missing.join(', ')} (allocate every prefix of requiredCidrs())`);
  return out;
}

function podPeerIdentities(ctx: Context, peer: PodPeer, policyNamespace: string): number[] {
  const memo = ctx.podPeerMemo.get(peer);
  if (memo !== undefined) return memo;
  const candidates = peer.namespaceSelector === undefined ? (ctx.byNamespace.get(policyNamespace) ?? []) : [...ctx.model.identities.values()];
  const ids = candidates.filter((identity) => peerMatches(peer, policyNamespace, { kind: 'pod', identity })).map((i) => i.id);
  ctx.podPeerMemo.set(peer, ids);
  return ids;
}

/** Remote identities an ipBlock peer allows, as seen from an endpoint on `nodeName`. */
function blockIdentities(ctx: Context, peer: Extract<NormalizedPeer, { kind: 'ipBlock' }>, ruleId: number, nodeName: string | undefined): number[] {
  const key = `${ruleId}|${peer.index}|${nodeName ?? ''}`;
  const memo = ctx.blockMemo.get(key);
  if (memo !== undefined) return memo;
  const ids: number[] = [];
  for (const c of ctx.cidrIds) if (cidrPrefixInBlock(peer, c.cidr)) ids.push(c.id);
  for (const identity of ctx.model.identities.values()) if (allAddressesInBlock(peer, identity.addresses)) ids.push(identity.id);
  if (allAddressesInBlock(peer, remoteNodeAddresses(ctx.model, nodeName))) ids.push(ReservedIdentity.remoteNode);
  if (allAddressesInBlock(peer, ctx.model.apiserverAddresses)) ids.push(ReservedIdentity.kubeApiserver);
  // With 0.0.0.0/0 in the ipcache no address is world; this keeps the rule exact if it is not.
  if (peer.cidr.prefix === 0) ids.push(ReservedIdentity.world);
  ctx.blockMemo.set(key, ids);
  return ids;
}

/** The remotes a rule allows: any identity, or a sorted list. */
function ruleRemotes(ctx: Context, rule: NormalizedRule, policyNamespace: string, nodeName: string | undefined): 'any' | number[] {
  if (rule.peers === 'all') return 'any';
  const ids = new Set<number>();
  for (const peer of rule.peers) {
    const found = peer.kind === 'pods' ? podPeerIdentities(ctx, peer, policyNamespace) : blockIdentities(ctx, peer, rule.ruleId, nodeName);
    for (const id of found) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

function directionState(model: PolicyModel, ep: ModelEndpoint, direction: Direction): DirectionState {
  const selectedBy = selectingPolicies(model, ep.identity, direction).map((p) => p.key);
  const enforced = model.enforcement === 'always' || (model.enforcement === 'default' && selectedBy.length > 0);
  return { enforced, audit: enforced && model.auditNamespaces.has(ep.identity.view.namespace ?? ''), selectedBy };
}

function compileEndpointDirection(
  ctx: Context,
  ep: ModelEndpoint,
  endpointId: number,
  direction: Direction,
  denyRuleId: number | undefined,
  out: Map<string, PolicyEntry>,
): void {
  const add = (remoteIdentity: number, protocol: EntryProtocol, portLow: number, portHigh: number, verdict: 'allow' | 'deny', ruleId: number): void => {
    const key = `${remoteIdentity}|${protocol}|${portLow}|${portHigh}`;
    // Policies are visited in key order and rules in index order: the first rule keeps the entry.
    if (!out.has(key)) out.set(key, { endpointId, direction, remoteIdentity, protocol, portLow, portHigh, verdict, ruleId });
  };
  add(ReservedIdentity.host, 0, 0, 65535, 'allow', RULE_ID_HOST);
  for (const policy of selectingPolicies(ctx.model, ep.identity, direction)) {
    for (const rule of policy[direction] ?? []) {
      const remotes = ruleRemotes(ctx, rule, policy.namespace, ep.nodeName);
      const each = (fn: (remote: number) => void): void => {
        if (remotes === 'any') fn(0);
        else remotes.forEach(fn);
      };
      if (rule.ports === 'all') {
        each((r) => add(r, 0, 0, 65535, 'allow', rule.ruleId));
        continue;
      }
      for (const port of rule.ports) {
        if (port.name === undefined) {
          each((r) => add(r, port.protocol, port.low, port.high, 'allow', rule.ruleId));
        } else if (direction === 'ingress') {
          // Ingress: the named port is the local pod's own.
          const numbers = resolveNamedPort(port.name, port.protocol, ep.ports);
          each((r) => numbers.forEach((n) => add(r, port.protocol, n, n, 'allow', rule.ruleId)));
        } else {
          // Egress: the named port is the remote pod's; per identity (README: named ports).
          const targets = remotes === 'any' ? [...ctx.model.identities.keys()] : remotes;
          for (const id of targets) {
            const identity = ctx.model.identities.get(id);
            if (identity === undefined) continue; // not a pod identity: no named ports
            for (const n of resolveNamedPort(port.name, port.protocol, identity.ports)) add(id, port.protocol, n, n, 'allow', rule.ruleId);
          }
        }
      }
    }
  }
  if (denyRuleId !== undefined) add(0, 0, 0, 65535, 'deny', denyRuleId);
}

function compareEntries(a: PolicyEntry, b: PolicyEntry): number {
  if (a.direction !== b.direction) return a.direction === 'ingress' ? -1 : 1;
  return a.remoteIdentity - b.remoteIdentity || a.protocol - b.protocol || a.portLow - b.portLow || a.portHigh - b.portHigh;
}

function pickEndpoints(model: PolicyModel, options: CompileOptions): { ep: ModelEndpoint; id: number }[] {
  if (options.endpointIds !== undefined) {
    return [...new Set(options.endpointIds)].map((id) => {
      const ep = model.endpointsById.get(id);
      if (ep === undefined) throw new Error(`compile: endpoint id ${id} is not among the model's endpoints`);
      return { ep, id };
    });
  }
  if (options.nodeName === undefined) throw new Error('compile: pass endpointIds or nodeName');
  return model.endpoints
    .filter((ep) => ep.nodeName === options.nodeName)
    .map((ep) => {
      if (ep.endpoint.id === undefined) throw new Error(`compile: endpoint ${ep.name} on node ${options.nodeName} has no id`);
      return { ep, id: ep.endpoint.id };
    });
}

/**
 * Entries for the chosen endpoints. Deterministic for a given model and options: entries are
 * sorted, rule ids derive from policy key + direction + rule index (see rule-ids.ts).
 * Throws when a CIDR of requiredCidrs(model) has no identity in options.cidrIdentities.
 */
export function compile(model: PolicyModel, options: CompileOptions): CompiledPolicy {
  const byNamespace = new Map<string, IdentityInfo[]>();
  for (const identity of model.identities.values()) {
    const ns = identity.view.namespace;
    if (ns === undefined) continue;
    const list = byNamespace.get(ns);
    if (list === undefined) byNamespace.set(ns, [identity]);
    else list.push(identity);
  }
  const ctx: Context = { model, cidrIds: resolveCidrIdentities(model, options.cidrIdentities), byNamespace, podPeerMemo: new Map(), blockMemo: new Map() };
  const chosen = pickEndpoints(model, options).sort((a, b) => a.id - b.id);
  const withDeny = options.denyEntries ?? true;

  const states = chosen.map(({ ep }) => ({ ingress: directionState(model, ep, 'ingress'), egress: directionState(model, ep, 'egress') }));
  // Default-deny ids: all keys first, then assigned in sorted order, so the result is independent
  // of endpoint order.
  const denyKeys: string[] = [];
  const denyRefs = new Map<string, RuleRef>();
  for (const s of states) {
    for (const dir of DIRECTIONS) {
      if (!s[dir].enforced) continue;
      const key = defaultDenyKey(dir, s[dir].selectedBy, model.enforcement);
      denyKeys.push(key);
      denyRefs.set(key, { kind: 'default-deny', direction: dir, selectedBy: s[dir].selectedBy, mode: model.enforcement });
    }
  }
  const fresh = assignRuleIds(denyKeys.filter((k) => !model.denyRuleIds.has(k)), model.takenRuleIds);
  for (const [k, id] of fresh) model.denyRuleIds.set(k, id);

  const rules = new Map<number, RuleRef>();
  const endpoints: CompiledEndpoint[] = chosen.map(({ ep, id }, i) => {
    const state = states[i]!;
    const entries: PolicyEntry[] = [];
    for (const dir of DIRECTIONS) {
      if (!state[dir].enforced) continue;
      const denyKey = defaultDenyKey(dir, state[dir].selectedBy, model.enforcement);
      const out = new Map<string, PolicyEntry>();
      compileEndpointDirection(ctx, ep, id, dir, withDeny ? model.denyRuleIds.get(denyKey) : undefined, out);
      for (const e of out.values()) {
        entries.push(e);
        if (!rules.has(e.ruleId)) {
          rules.set(e.ruleId, e.ruleId === RULE_ID_HOST ? { kind: 'host' } : (model.rules.get(e.ruleId) ?? denyRefs.get(denyKey)!));
        }
      }
    }
    entries.sort(compareEntries);
    const compiled: CompiledEndpoint = { endpointId: id, identity: ep.identity.id, ingress: state.ingress, egress: state.egress, entries };
    if (ep.endpoint.name !== undefined) compiled.name = ep.endpoint.name;
    return compiled;
  });
  const used = new Set<number>();
  for (const e of endpoints) for (const entry of e.entries) used.add(entry.remoteIdentity);
  const cidrs = ctx.cidrIds.filter((c) => used.has(c.id)).map((c) => ({ cidr: c.cidr.text, identity: c.id }));
  return { endpoints, rules, cidrs };
}
