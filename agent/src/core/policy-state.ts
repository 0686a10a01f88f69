// Policy as realized on this node: the rule-id table for flow enrichment, each local
// endpoint's entries and selecting policies, and the revision counter.
import type { PolicyEntry } from '../datapath/port.js';

export type RuleInfo =
  | { kind: 'policy'; policy: string; direction: 'ingress' | 'egress'; ruleIndex: number }
  | { kind: 'host' }
  | { kind: 'default-deny'; direction: 'ingress' | 'egress'; selectedBy: readonly string[] };

export interface RealizedEndpointPolicy {
  entries: PolicyEntry[];
  selectedBy: { ingress: string[]; egress: string[] };
  /** Fingerprint of entries + enforcement: a change bumps the endpoint's revision. */
  fingerprint: string;
}

export class PolicyState {
  rules = new Map<number, RuleInfo>();
  realized = new Map<number, RealizedEndpointPolicy>();
  /** CIDR → CIDR identity (local to this node). */
  cidrs = new Map<string, number>();
  /** Bumped on every policy recompute that changed something. */
  revision = 0;
  policyCount = 0;
  /** Set by the periodic resync: diff every endpoint against the map as it is (repairs drift). */
  rereadMaps = false;
}
