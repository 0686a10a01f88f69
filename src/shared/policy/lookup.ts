// The reference datapath: how a policy map lookup and an ipcache lookup must answer. The
// property test holds evaluate() to compile()+these, and kernel tests hold the BPF datapath to
// these, so all three agree.
import { CIDR_IDENTITY_MIN, formatIpv4, makeIpv4Cidr, parseIpv4, parseIpv4CidrOrThrow, ReservedIdentity } from '../k8s/index.js';
import { RULE_ID_NONE } from './rule-ids.js';
import type { PolicyModel } from './model.js';
import type { CidrIdentities, CompiledEndpoint, Direction, PolicyEntry } from './types.js';

export interface LookupResult {
  verdict: 'allow' | 'deny' | 'none';
  /** Rule id of the decisive entry; RULE_ID_NONE (0) when nothing matched. */
  ruleId: number;
}

function moreSpecific(a: PolicyEntry, b: PolicyEntry): boolean {
  if ((a.remoteIdentity !== 0) !== (b.remoteIdentity !== 0)) return a.remoteIdentity !== 0;
  if ((a.protocol !== 0) !== (b.protocol !== 0)) return a.protocol !== 0;
  const wa = a.portHigh - a.portLow;
  const wb = b.portHigh - b.portLow;
  if (wa !== wb) return wa < wb;
  return a.ruleId < b.ruleId;
}

/**
 * Look up (remote identity, protocol, destination port) among one endpoint-direction's
 * entries. An entry matches when its identity is the remote's or 0 (any), its protocol the
 * packet's or 0 (any), and the port lies in [portLow, portHigh]. Precedence:
 * 1. any matching allow wins — a more specific identity never overrides an allow, and a deny
 *    never beats an allow;
 * 2. otherwise a matching deny decides (explicit default deny with its explanation);
 * 3. otherwise nothing matched ('none': an enforced endpoint drops with rule id 0).
 * The rule id reported is the most specific matching entry's of the winning verdict (specific
 * identity, then specific protocol, then narrowest range, then lowest rule id); any of the
 * matching allows names a rule that allows the packet.
 */
export function lookupEntries(entries: readonly PolicyEntry[], remoteIdentity: number, protocol: number, port: number): LookupResult {
  let allow: PolicyEntry | undefined;
  let deny: PolicyEntry | undefined;
  for (const e of entries) {
    if (e.remoteIdentity !== 0 && e.remoteIdentity !== remoteIdentity) continue;
    if (e.protocol !== 0 && e.protocol !== protocol) continue;
    if (port < e.portLow || port > e.portHigh) continue;
    if (e.verdict === 'allow') {
      if (allow === undefined || moreSpecific(e, allow)) allow = e;
    } else if (deny === undefined || moreSpecific(e, deny)) {
      deny = e;
    }
  }
  if (allow !== undefined) return { verdict: 'allow', ruleId: allow.ruleId };
  if (deny !== undefined) return { verdict: 'deny', ruleId: deny.ruleId };
  return { verdict: 'none', ruleId: RULE_ID_NONE };
}

export interface DatapathDecision {
  /** The packet passes (allowed, not enforced, or audit). */
  passes: boolean;
  /** Enforced, nothing allows it, audit flag set: recorded as AUDIT, passes. */
  audit: boolean;
  ruleId: number;
}

/**
 * What the datapath does for one endpoint and direction: not enforced -> pass; enforced ->
 * lookupEntries; no allow -> drop, or pass as audit when the audit flag is set.
 * (Traffic from an endpoint to itself never reaches this: the datapath skips policy for it,
 * as Kubernetes says a pod cannot block access to itself.)
 */
export function datapathDecision(endpoint: CompiledEndpoint, direction: Direction, remoteIdentity: number, protocol: number, port: number): DatapathDecision {
  const state = endpoint[direction];
  if (!state.enforced) return { passes: true, audit: false, ruleId: RULE_ID_NONE };
  const r = lookupEntries(
    endpoint.entries.filter((e) => e.direction === direction),
    remoteIdentity,
    protocol,
    port,
  );
  if (r.verdict === 'allow') return { passes: true, audit: false, ruleId: r.ruleId };
  return { passes: state.audit, audit: state.audit, ruleId: r.ruleId };
}

/** Reference ipcache: longest-prefix match over `cidr -> identity`; world when nothing matches. */
export class ReferenceIpcache {
  private readonly byPrefix: Map<number, number>[] = Array.from({ length: 33 }, () => new Map());

  constructor(entries: Iterable<[string, number]>) {
    for (const [cidrText, id] of entries) {
      const cidr = parseIpv4CidrOrThrow(cidrText, 'ipcache entry');
      this.byPrefix[cidr.prefix]!.set(cidr.base, id);
    }
  }

  lookup(ip: string): number {
    const address = parseIpv4(ip);
    if (address === undefined) throw new Error(`ipcache lookup: not an IPv4 address: ${JSON.stringify(ip)}`);
    for (let prefix = 32; prefix >= 0; prefix--) {
      const id = this.byPrefix[prefix]!.get(makeIpv4Cidr(address, prefix).base);
      if (id !== undefined) return id;
    }
    return ReservedIdentity.world;
  }
}

/**
 * The ipcache a node holds according to the CidrIdentities contract: CIDR identities, then
 * kube-apiserver, remote-node, host and pod addresses as /32s, each overriding the previous on
 * the same prefix. Keys are `a.b.c.d/n`.
 */
export function referenceIpcacheEntries(model: PolicyModel, nodeName: string | undefined, cidrIdentities: CidrIdentities): Map<string, number> {
  const out = new Map<string, number>();
  for (const cidr of model.cidrs) {
    const id = cidrIdentities.get(cidr.text);
    if (id === undefined || id < CIDR_IDENTITY_MIN) throw new Error(`ipcache: no CIDR identity for ${cidr.text}`);
    out.set(cidr.text, id);
  }
  for (const a of model.apiserverAddresses) out.set(`${formatIpv4(a)}/32`, ReservedIdentity.kubeApiserver);
  for (const [node, addrs] of model.nodeAddresses) {
    if (node === nodeName) continue;
    for (const a of addrs) out.set(`${formatIpv4(a)}/32`, ReservedIdentity.remoteNode);
  }
  for (const a of model.nodeAddresses.get(nodeName ?? '') ?? []) out.set(`${formatIpv4(a)}/32`, ReservedIdentity.host);
  for (const [a, ep] of model.endpointsByIp) out.set(`${formatIpv4(a)}/32`, ep.identity.id);
  return out;
}
