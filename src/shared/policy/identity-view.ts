// What policy says about one identity, for the console's identities view: the policies that
// select it per direction and the identities / CIDRs it may talk to, rule by rule.
import { ReservedIdentity, type NamedContainerPort } from '../k8s/index.js';
import { allAddressesInBlock, peerMatches, resolveNamedPort } from './match.js';
import { remoteNodeAddresses, selectingPolicies, type IdentityInfo, type PolicyModel } from './model.js';
import type { NormalizedPort } from './normalize.js';
import type { Direction, RuleRef } from './types.js';

export interface PortSummary {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Absent = every port of the protocol. */
  port?: number;
  endPort?: number;
  /** A named port; `resolved` lists the numbers it stands for on this identity's pods
   *  (ingress only: for egress it depends on each remote pod). */
  name?: string;
  resolved?: number[];
}

export interface IdentityRuleView {
  ruleId: number;
  ref: Extract<RuleRef, { kind: 'policy' }>;
  /** 'any' when the rule has no from/to; otherwise what its peers match. */
  peers:
    | 'any'
    | {
        /** Cluster identities matched by pod/namespace selectors or wholly inside an ipBlock. */
        identities: number[];
        /** Reserved identities an ipBlock matches (remote-node, kube-apiserver). */
        reserved: number[];
        /** IPv4 ipBlocks (addresses outside the cluster in them are allowed). */
        ipBlocks: { cidr: string; except: string[] }[];
      };
  /** 'any' when the rule has no ports (every protocol and port). */
  ports: 'any' | PortSummary[];
}

export interface IdentityDirectionView {
  enforced: boolean;
  selectedBy: string[];
  rules: IdentityRuleView[];
  /** Union over the rules: 'any' when a rule allows every peer, or when not enforced. */
  peers: 'any' | { identities: number[]; reserved: number[]; cidrs: string[] };
}

export interface IdentityPolicyView {
  identity: number;
  namespace: string | undefined;
  /** Traffic to this identity. */
  ingress: IdentityDirectionView;
  /** Traffic from this identity. */
  egress: IdentityDirectionView;
}

const PROTOCOL_NAMES: Record<number, 'TCP' | 'UDP' | 'SCTP'> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

function portSummary(port: NormalizedPort, direction: Direction, ownPorts: readonly NamedContainerPort[]): PortSummary {
  const out: PortSummary = { protocol: PROTOCOL_NAMES[port.protocol]! };
  if (port.name !== undefined) {
    out.name = port.name;
    if (direction === 'ingress') out.resolved = resolveNamedPort(port.name, port.protocol, ownPorts);
  } else if (!(port.low === 0 && port.high === 65535)) {
    out.port = port.low;
    if (port.high !== port.low) out.endPort = port.high;
  }
  return out;
}

function directionView(model: PolicyModel, identity: IdentityInfo, direction: Direction): IdentityDirectionView {
  const selected = selectingPolicies(model, identity, direction);
  const enforced = model.enforcement === 'always' || (model.enforcement === 'default' && selected.length > 0);
  const rules: IdentityRuleView[] = [];
  let any = !enforced;
  const ids = new Set<number>();
  const reserved = new Set<number>();
  const cidrs = new Set<string>();
  for (const policy of selected) {
    for (const rule of policy[direction] ?? []) {
      const ref = { kind: 'policy' as const, policy: policy.key, direction, ruleIndex: rule.index };
      const ports: IdentityRuleView['ports'] = rule.ports === 'all' ? 'any' : rule.ports.map((p) => portSummary(p, direction, identity.ports));
      if (rule.peers === 'all') {
        any = true;
        rules.push({ ruleId: rule.ruleId, ref, peers: 'any', ports });
        continue;
      }
      const view = { identities: new Set<number>(), reserved: new Set<number>(), ipBlocks: [] as { cidr: string; except: string[] }[] };
      for (const peer of rule.peers) {
        if (peer.kind === 'pods') {
          for (const other of model.identities.values()) if (peerMatches(peer, policy.namespace, { kind: 'pod', identity: other })) view.identities.add(other.id);
          continue;
        }
        view.ipBlocks.push({ cidr: peer.cidr.text, except: peer.except.map((e) => e.text) });
        cidrs.add(peer.cidr.text);
        for (const other of model.identities.values()) if (allAddressesInBlock(peer, other.addresses)) view.identities.add(other.id);
        if (allAddressesInBlock(peer, remoteNodeAddresses(model, undefined))) view.reserved.add(ReservedIdentity.remoteNode);
        if (allAddressesInBlock(peer, model.apiserverAddresses)) view.reserved.add(ReservedIdentity.kubeApiserver);
      }
      view.identities.forEach((i) => ids.add(i));
      view.reserved.forEach((i) => reserved.add(i));
      const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
      rules.push({ ruleId: rule.ruleId, ref, peers: { identities: sorted(view.identities), reserved: sorted(view.reserved), ipBlocks: view.ipBlocks }, ports });
    }
  }
  const peers: IdentityDirectionView['peers'] = any
    ? 'any'
    : { identities: [...ids].sort((a, b) => a - b), reserved: [...reserved, ReservedIdentity.host].sort((a, b) => a - b), cidrs: [...cidrs].sort() };
  return { enforced, selectedBy: selected.map((p) => p.key), rules, peers };
}

/** The policy view of a cluster identity of the model; throws if the model does not know it. */
export function identityPolicy(model: PolicyModel, identityId: number): IdentityPolicyView {
  const identity = model.identities.get(identityId);
  if (identity === undefined) throw new Error(`identityPolicy: identity ${identityId} is not in the policy model`);
  return {
    identity: identityId,
    namespace: identity.view.namespace,
    ingress: directionView(model, identity, 'ingress'),
    egress: directionView(model, identity, 'egress'),
  };
}
