// Start-up: rebuild the local endpoint registry from what survived the restart (IPAM state,
// host veths, pods in the API, the pinned endpoints map) and clean up what did not.
import { hostIfName, hostVethSysctls, listHostVeths, teardownPodLink } from '../net/podlink.js';
import { isPodTerminal, securityLabels, type Namespace, type Pod } from '../../../src/shared/k8s/index.js';
import { log } from '../log.js';
import type { AgentContext } from './context.js';
import type { LocalEndpoint } from './endpoints.js';
import type { LumenEndpointObject } from '../endpoints/lumenendpoint.js';

export interface RestoreResult { restored: number; released: number; staleEntries: number }

export async function restoreEndpoints(ctx: AgentContext): Promise<RestoreResult> {
  const veths = new Map((await listHostVeths(ctx.nodeNetns)).map((l) => [l.ifname, l]));
  const entries = await ctx.datapath.readEndpoints();
  const pods = ctx.watches.cache<Pod>('pods');
  const namespaces = ctx.watches.cache<Namespace>('namespaces');
  const les = ctx.watches.cache<LumenEndpointObject>('lumenendpoints');
  let restored = 0;
  let released = 0;
  for (const alloc of ctx.ipam.list()) {
    const hostIf = hostIfName(alloc.containerId, alloc.ifName);
    const veth = veths.get(hostIf);
    if (!veth) {
      // The pod's namespace is gone (its veth went with it): nothing uses the address.
      await teardownPodLink(hostIf, alloc.ip, ctx.nodeNetns).catch(() => undefined);
      await ctx.ipam.release(alloc.containerId, alloc.ifName);
      released++;
      log.info('restore', `released ${alloc.ip} of ${alloc.namespace}/${alloc.pod}: its interface is gone`);
      continue;
    }
    // Settings an older agent may not have made.
    await hostVethSysctls(hostIf, ctx.nodeNetns).catch((err: unknown) => log.warn('restore', `sysctls of ${hostIf}`, err));
    const pod = pods.get(`${alloc.namespace}/${alloc.pod}`) as Pod | undefined;
    const samePod = pod && (!alloc.podUid || pod.metadata?.uid === alloc.podUid) && !isPodTerminal(pod);
    const entry = entries.get(alloc.ip);
    let identity = entry?.identity ?? 0;
    let labels: Record<string, string> = {};
    if (samePod) {
      labels = securityLabels(pod, namespaces.get(alloc.namespace ?? '') as Namespace | undefined);
      identity = ctx.identities.lookup(labels) ?? (await ctx.identities.allocate(labels)).id;
    }
    const ep: LocalEndpoint = {
      id: alloc.endpointId,
      containerId: alloc.containerId,
      ifName: alloc.ifName,
      ip: alloc.ip,
      namespace: alloc.namespace ?? '',
      pod: alloc.pod ?? '',
      podUid: alloc.podUid,
      hostIf,
      ifindex: veth.ifindex,
      identity,
      labels,
      enforcement: { ingress: 'disabled', egress: 'disabled' },
      policyRevision: 0,
      // A sandbox whose pod object is gone waits for the kubelet's CNI DEL.
      health: samePod ? 'ready' : 'disconnecting',
    };
    if (entry) {
      // Keep the flags the maps hold until policy is recomputed, so nothing opens meanwhile.
      ep.enforcement = {
        ingress: entry.flags & 0x1 ? (entry.flags & 0x4 ? 'audit' : 'enabled') : 'disabled',
        egress: entry.flags & 0x2 ? (entry.flags & 0x4 ? 'audit' : 'enabled') : 'disabled',
      };
    }
    // Revisions keep counting up across restarts (the console compares them).
    const le = les.get(`${ep.namespace}/${ep.pod}`) as LumenEndpointObject | undefined;
    if (le?.status?.id === ep.id) ep.policyRevision = le.status.policyRevision ?? 0;
    ctx.policy.revision = Math.max(ctx.policy.revision, ep.policyRevision);
    ctx.endpoints.put(ep);
    restored++;
  }
  let staleEntries = 0;
  for (const ip of entries.keys()) {
    if (!ctx.endpoints.byAddress(ip)) {
      await ctx.datapath.deleteEndpoint(ip);
      staleEntries++;
    }
  }
  log.info('restore', `endpoints: ${restored} restored, ${released} addresses released, ${staleEntries} stale map entries removed`);
  return { restored, released, staleEntries };
}
