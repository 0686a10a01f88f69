// Reconcilers for local endpoint identities, the ipcache and inter-node routes.
import {
  isPodTerminal, nodeIpv4s, podIpv4s, securityLabels,
  type EndpointSlice, type Namespace, type Node, type Pod,
} from '../../../src/shared/k8s/index.js';
import { desiredIpcache, diffIpcache } from '../ipcache/desired.js';
import { syncNodeRoutes, type PeerNode } from '../net/noderoutes.js';
import type { LumenEndpointObject } from '../endpoints/lumenendpoint.js';
import { sameLabels } from '../identity/types.js';
import { log } from '../log.js';
import type { AgentContext } from './context.js';
import { endpointEntry } from './endpoints.js';
import { lumenEndpointStatus } from './endpoint-status.js';

/** Local endpoints follow their pod's labels (and namespace labels): new labels, new identity. */
export async function reconcileEndpoints(ctx: AgentContext): Promise<void> {
  const pods = ctx.watches.cache<Pod>('pods');
  const namespaces = ctx.watches.cache<Namespace>('namespaces');
  const les = ctx.watches.cache<LumenEndpointObject>('lumenendpoints');
  // On a resync, what the endpoints map holds for each ready endpoint is checked too.
  const have = ctx.endpoints.rereadMaps ? await ctx.datapath.readEndpoints() : undefined;
  ctx.endpoints.rereadMaps = false;
  for (const ep of ctx.endpoints.all()) {
    const pod = pods.get(`${ep.namespace}/${ep.pod}`) as Pod | undefined;
    if (!pod || (ep.podUid && pod.metadata?.uid !== ep.podUid)) continue;
    const labels = securityLabels(pod, namespaces.get(ep.namespace) as Namespace | undefined);
    if (!sameLabels(labels, ep.labels) || ep.identity === 0) {
      const { id } = await ctx.identities.allocate(labels);
      log.info('endpoint', `${ep.namespace}/${ep.pod}: labels changed, identity ${ep.identity} → ${id}`);
      ep.labels = labels;
      ep.identity = id;
      await ctx.datapath.writeEndpoint(ep.ip, endpointEntry(ep));
      ctx.schedule('policy');
      ctx.schedule('ipcache');
    } else if (have) {
      const want = endpointEntry(ep);
      const got = have.get(ep.ip);
      if (ep.health === 'ready' && (!got || got.ifindex !== want.ifindex || got.endpointId !== want.endpointId || got.identity !== want.identity || got.flags !== want.flags)) {
        log.warn('endpoint', `${ep.namespace}/${ep.pod}: the endpoints map ${got ? `held ${JSON.stringify(got)}` : 'had no entry'}; rewriting ${JSON.stringify(want)}`);
        await ctx.datapath.writeEndpoint(ep.ip, want);
      }
    }
    const le = les.get(`${ep.namespace}/${ep.pod}`) as LumenEndpointObject | undefined;
    const want = lumenEndpointStatus(ctx, ep);
    if (!le || stableJson(le.status) !== stableJson(want)) {
      await ctx.lumenEndpoints.upsert({ namespace: ep.namespace, name: ep.pod, uid: ep.podUid ?? pod.metadata?.uid }, want);
    }
  }
}

/** JSON with object keys sorted: the apiserver returns custom resources with sorted keys. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val);
}

/** Address → identity for the whole cluster, diffed against the pinned ipcache. */
export async function reconcileIpcache(ctx: AgentContext): Promise<void> {
  const pods: [string, number][] = [];
  const seen = new Set<string>();
  for (const ep of ctx.endpoints.all()) {
    if (ep.identity) {
      pods.push([ep.ip, ep.identity]);
      seen.add(ep.ip);
    }
  }
  for (const obj of ctx.watches.cache<LumenEndpointObject>('lumenendpoints').snapshot().values()) {
    const le = obj as LumenEndpointObject;
    const id = le.status?.identity?.id;
    if (!id || le.status?.node === ctx.node.name) continue;
    for (const ip of le.status?.ips ?? []) if (!seen.has(ip)) { pods.push([ip, id]); seen.add(ip); }
  }
  // Pods whose LumenEndpoint is not there yet: their identity if one exists for their labels.
  const namespaces = ctx.watches.cache<Namespace>('namespaces');
  for (const obj of ctx.watches.cache<Pod>('pods').snapshot().values()) {
    const pod = obj as Pod;
    if (pod.spec?.hostNetwork || isPodTerminal(pod)) continue;
    for (const ip of podIpv4s(pod)) {
      if (seen.has(ip)) continue;
      const id = ctx.identities.lookup(securityLabels(pod, namespaces.get(pod.metadata?.namespace ?? '') as Namespace | undefined));
      if (id !== undefined) { pods.push([ip, id]); seen.add(ip); }
    }
  }
  const nodes = [...ctx.watches.cache<Node>('nodes').snapshot().values()].map((n) => ({
    name: (n as Node).metadata?.name ?? '',
    addresses: nodeIpv4s(n as Node),
  }));
  const want = desiredIpcache({
    pods, nodes, ownNode: ctx.node.name, apiServers: apiServerAddresses(ctx), cidrs: ctx.policy.cidrs,
  });
  const have = await ctx.datapath.readIpcache();
  const diff = diffIpcache(want, have);
  if (diff.upserts.length || diff.deletes.length) {
    await ctx.datapath.writeIpcache(diff.upserts, diff.deletes);
    log.debug('ipcache', `${diff.upserts.length} written, ${diff.deletes.length} deleted (${want.size} entries)`);
  }
}

/** Addresses of the default/kubernetes Service's EndpointSlices. */
export function apiServerAddresses(ctx: AgentContext): string[] {
  const out: string[] = [];
  for (const obj of ctx.watches.cache<EndpointSlice>('endpointslices').snapshot().values()) {
    const s = obj as EndpointSlice;
    if (s.metadata?.namespace !== 'default' || s.metadata?.labels?.['kubernetes.io/service-name'] !== 'kubernetes') continue;
    for (const e of s.endpoints ?? []) out.push(...(e.addresses ?? []));
  }
  return out;
}

/** Direct routing: every other node's pod CIDR via its InternalIP. */
export async function reconcileRoutes(ctx: AgentContext): Promise<void> {
  const peers: PeerNode[] = [];
  for (const obj of ctx.watches.cache<Node>('nodes').snapshot().values()) {
    const n = obj as Node;
    const name = n.metadata?.name;
    const podCIDR = n.spec?.podCIDR;
    const ip = nodeIpv4s(n, ['InternalIP'])[0];
    if (!name || name === ctx.node.name || !podCIDR || !ip) continue;
    peers.push({ name, podCIDR, internalIP: ip });
  }
  const r = await syncNodeRoutes(peers, ctx.nodeNetns);
  if (r.added || r.removed) log.info('routes', `node routes: ${r.added} added, ${r.removed} removed (${peers.length} peers)`);
}
