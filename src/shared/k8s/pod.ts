// Small readers over Pods and Nodes: IPv4 addresses, named container ports, readiness.
import { isIpv4 } from './ip.js';
import type { Node, Pod } from './types.js';

/** A container port as policy and services need it: protocol defaulted to TCP. */
export interface NamedContainerPort {
  name?: string;
  port: number;
  protocol: string;
}

/** The pod's IPv4 addresses (status.podIPs, else status.podIP), de-duplicated, in order. */
export function podIpv4s(pod: Pod): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return [...new Set(ips.filter((ip) => typeof ip === 'string' && isIpv4(ip)))];
}

/** Ports of regular containers and of sidecars (init containers with restartPolicy Always),
 *  the containers that keep running and can therefore serve a named port. */
export function podContainerPorts(pod: Pod): NamedContainerPort[] {
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const out: NamedContainerPort[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      const entry: NamedContainerPort = { port: p.containerPort, protocol: p.protocol ?? 'TCP' };
      if (p.name) entry.name = p.name;
      out.push(entry);
    }
  }
  return out;
}

/** Terminal pods (Succeeded/Failed) hold no network endpoint any more. */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The node's IPv4 InternalIP addresses first, then ExternalIP ones, de-duplicated. */
export function nodeIpv4s(node: Node, types: readonly string[] = ['InternalIP', 'ExternalIP']): string[] {
  const addrs = node.status?.addresses ?? [];
  const out: string[] = [];
  for (const type of types) {
    for (const a of addrs) if (a.type === type && isIpv4(a.address) && !out.includes(a.address)) out.push(a.address);
  }
  return out;
}
