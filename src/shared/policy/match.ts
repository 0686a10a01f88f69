// The matching core shared by evaluate() and compile(): what a remote is, whether a peer
// matches it, whether a port spec matches a protocol/port, and named-port resolution.
import { cidrContainsIpv4, cidrWithin, type Ipv4Cidr, type NamedContainerPort } from '../k8s/index.js';
import type { IdentityInfo } from './model.js';
import type { IpBlockPeer, NormalizedPeer, NormalizedPort, NormalizedRule } from './normalize.js';

/**
 * The other side of a connection, as policy distinguishes it. `addresses` of remote-node and
 * kube-apiserver are every address carrying that identity (relative to the local endpoint's
 * node for remote-node); `cidr` is what compile() sees for a CIDR identity: the ipcache prefix
 * an address resolved to; `world` is what evaluate() sees for an outside address.
 */
export type Remote =
  | { kind: 'pod'; identity: IdentityInfo }
  | { kind: 'host' }
  | { kind: 'remote-node'; addresses: readonly number[] }
  | { kind: 'kube-apiserver'; addresses: readonly number[] }
  | { kind: 'world'; address: number }
  | { kind: 'cidr'; cidr: Ipv4Cidr };

const PROTOCOL_NUMBERS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1 };

/** 'TCP' | 'UDP' | 'SCTP' | 'ICMP' or a number -> IP protocol number; throws on anything else. */
export function protocolNumber(protocol: string | number): number {
  if (typeof protocol === 'number') {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new Error(`flow protocol out of range: ${protocol}`);
    return protocol;
  }
  const n = PROTOCOL_NUMBERS[protocol.toUpperCase()];
  if (n === undefined) throw new Error(`flow protocol not known: ${JSON.stringify(protocol)} (use TCP, UDP, SCTP, ICMP or a number)`);
  return n;
}

function addressInBlock(peer: IpBlockPeer, address: number): boolean {
  return cidrContainsIpv4(peer.cidr, address) && !peer.except.some((e) => cidrContainsIpv4(e, address));
}

/**
 * An ipBlock matches an identity-carrying remote (a pod identity, remote-node,
 * kube-apiserver) only when EVERY address carrying that identity lies in cidr minus except:
 * the datapath sees one identity for all of them and must never over-allow. With no known
 * address it matches nothing.
 */
export function allAddressesInBlock(peer: IpBlockPeer, addresses: readonly number[]): boolean {
  return addresses.length > 0 && addresses.every((a) => addressInBlock(peer, a));
}

/** The prefix a CIDR identity stands for lies in cidr and in no except (exact given that every
 *  cidr and except is an ipcache prefix: see CidrIdentities). */
export function cidrPrefixInBlock(peer: IpBlockPeer, prefix: Ipv4Cidr): boolean {
  return cidrWithin(prefix, peer.cidr) && !peer.except.some((e) => cidrWithin(prefix, e));
}

export function peerMatches(peer: NormalizedPeer, policyNamespace: string, remote: Remote): boolean {
  if (peer.kind === 'pods') {
    if (remote.kind !== 'pod') return false;
    const view = remote.identity.view;
    if (view.namespace === undefined) return false;
    if (peer.namespaceSelector !== undefined) {
      if (!peer.namespaceSelector.matches(view.namespaceLabels)) return false;
    } else if (view.namespace !== policyNamespace) {
      return false;
    }
    return peer.podSelector === undefined || peer.podSelector.matches(view.pod);
  }
  switch (remote.kind) {
    case 'pod':
      return allAddressesInBlock(peer, remote.identity.addresses);
    case 'remote-node':
    case 'kube-apiserver':
      return allAddressesInBlock(peer, remote.addresses);
    case 'world':
      return addressInBlock(peer, remote.address);
    case 'cidr':
      return cidrPrefixInBlock(peer, remote.cidr);
    case 'host':
      return false; // host traffic is always allowed before rules are consulted
  }
}

/** Port numbers a named port resolves to among container ports of the given protocol. */
export function resolveNamedPort(name: string, protocol: number, ports: readonly NamedContainerPort[]): number[] {
  const out: number[] = [];
  for (const p of ports) {
    if (p.name === name && PROTOCOL_NUMBERS[p.protocol] === protocol && !out.includes(p.port)) out.push(p.port);
  }
  return out.sort((a, b) => a - b);
}

/** `namedPorts`: the destination pod's container ports (see README: per identity for egress). */
export function portMatches(port: NormalizedPort, protocol: number, dport: number, namedPorts: readonly NamedContainerPort[]): boolean {
  if (port.protocol !== protocol) return false;
  if (port.name === undefined) return dport >= port.low && dport <= port.high;
  return namedPorts.some((p) => p.name === port.name && p.port === dport && PROTOCOL_NUMBERS[p.protocol] === protocol);
}

/** First matching peer and port of a rule, or undefined when the rule does not match. */
export function ruleMatches(
  rule: NormalizedRule,
  policyNamespace: string,
  remote: Remote,
  protocol: number,
  dport: number,
  namedPorts: readonly NamedContainerPort[],
): { peerIndex?: number; portIndex?: number } | undefined {
  const out: { peerIndex?: number; portIndex?: number } = {};
  if (rule.peers !== 'all') {
    const peer = rule.peers.find((p) => peerMatches(p, policyNamespace, remote));
    if (peer === undefined) return undefined;
    out.peerIndex = peer.index;
  }
  if (rule.ports !== 'all') {
    const port = rule.ports.find((p) => portMatches(p, protocol, dport, namedPorts));
    if (port === undefined) return undefined;
    out.portIndex = port.index;
  }
  return out;
}
