// The ipcache the node should have: every pod address in the cluster → its identity, node
// addresses → host (this node) or remote-node, the apiserver's endpoint addresses →
// kube-apiserver, ipBlock CIDRs → their CIDR identities. Anything else is world (the
// datapath's fallback), so it is not written.
import { ReservedIdentity } from '../../../src/shared/k8s/index.js';

export interface IpcacheInputs {
  /** Pod address → identity, from LumenEndpoints and this node's own endpoints. */
  pods: Iterable<[string, number]>;
  /** Every node: name and addresses. */
  nodes: Iterable<{ name: string; addresses: string[] }>;
  ownNode: string;
  /** Addresses of the default/kubernetes EndpointSlices. */
  apiServers: Iterable<string>;
  /** CIDR ("a.b.c.d/n") → CIDR identity. */
  cidrs: Iterable<[string, number]>;
}

/**
 * Keyed by "a.b.c.d/prefix". Exact-prefix ties follow src/shared/policy's CIDR identity
 * contract: pod > own node (host) > other node (remote-node) > kube-apiserver > CIDR.
 * Host-network pods must not be passed as pods (they are their node's address).
 */
export function desiredIpcache(inputs: IpcacheInputs): Map<string, number> {
  const out = new Map<string, number>();
  for (const [cidr, id] of inputs.cidrs) out.set(cidr, id);
  for (const ip of inputs.apiServers) out.set(`${ip}/32`, ReservedIdentity.kubeApiserver);
  const own: string[] = [];
  for (const node of inputs.nodes) {
    if (node.name === inputs.ownNode) own.push(...node.addresses);
    else for (const ip of node.addresses) out.set(`${ip}/32`, ReservedIdentity.remoteNode);
  }
  for (const ip of own) out.set(`${ip}/32`, ReservedIdentity.host);
  for (const [ip, id] of inputs.pods) out.set(`${ip}/32`, id);
  return out;
}

export interface IpcacheDiff { upserts: [string, number][]; deletes: string[] }

export function diffIpcache(want: Map<string, number>, have: Map<string, number>): IpcacheDiff {
  const upserts: [string, number][] = [];
  const deletes: string[] = [];
  for (const [k, v] of want) if (have.get(k) !== v) upserts.push([k, v]);
  for (const k of have.keys()) if (!want.has(k)) deletes.push(k);
  return { upserts, deletes };
}
