// CNI ADD/DEL/CHECK in the agent: IPAM, the pod's veth and routes, identity, the endpoint
// entry + policy in the maps, the tc programs on the host veth, the LumenEndpoint.
import { CniCode, CniError, type CniRequest, type CniResult } from '../cni/codec.js';
import type { CniHandler } from '../cni/server.js';
import { checkPodLink, hostIfName, POD_GATEWAY, setupPodLink, teardownPodLink, type PodLinkSpec } from '../net/podlink.js';
import { isPodTerminal, podIpv4s, securityLabels, type Namespace, type Pod } from '../../../src/shared/k8s/index.js';
import { isNotFound } from '../k8s/client.js';
import { log } from '../log.js';
import type { AgentContext } from './context.js';
import { endpointEntry, type LocalEndpoint } from './endpoints.js';
import { lumenEndpointStatus } from './endpoint-status.js';

export interface CniHandlerDeps {
  ctx: () => AgentContext | undefined;
  /** Resolves when the agent can serve ADD (first sync done); rejects with the reason on timeout. */
  whenReady: (timeoutMs: number) => Promise<void>;
  /** Policy for one new endpoint, written before its programs are attached. */
  programEndpoint: (ep: LocalEndpoint) => Promise<void>;
  forgetEndpoint: (ep: LocalEndpoint) => Promise<void>;
}

export function podRoutes(ctx: AgentContext): string[] | 'default' {
  return ctx.config.podRoutes === 'default' ? 'default' : ctx.config.podRouteCidrs;
}

function podRef(req: CniRequest): { namespace: string; name: string; uid?: string } {
  const namespace = req.args.K8S_POD_NAMESPACE;
  const name = req.args.K8S_POD_NAME;
  if (!namespace || !name) throw new CniError(CniCode.invalidEnv, 'CNI_ARGS lacks K8S_POD_NAMESPACE/K8S_POD_NAME (is this a Kubernetes runtime?)');
  return { namespace, name, uid: req.args.K8S_POD_UID || undefined };
}

/** The pod from the watch cache, or from the API when the cache has not seen it yet. */
export async function getPod(ctx: AgentContext, namespace: string, name: string): Promise<Pod | undefined> {
  const cached = ctx.watches.cache<Pod>('pods').get(`${namespace}/${name}`);
  if (cached) return cached as Pod;
  try {
    return await ctx.client.get<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function identityForPod(ctx: AgentContext, pod: Pod): Promise<{ id: number; labels: Record<string, string> }> {
  const ns = ctx.watches.cache<Namespace>('namespaces').get(pod.metadata?.namespace ?? '') as Namespace | undefined;
  const labels = securityLabels(pod, ns);
  const { id } = await ctx.identities.allocate(labels);
  return { id, labels };
}

/** Addresses of this node's other live pods (some may predate Lumen, from another CNI). */
function addressesOfOtherPods(ctx: AgentContext, exceptUid: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const obj of ctx.watches.cache<Pod>('pods').snapshot().values()) {
    const p = obj as Pod;
    if (p.spec?.nodeName !== ctx.node.name || p.spec?.hostNetwork || isPodTerminal(p) || p.metadata?.uid === exceptUid) continue;
    for (const ip of podIpv4s(p)) out.add(ip);
  }
  return out;
}

export function createCniHandler(deps: CniHandlerDeps): CniHandler {
  const ctxOrRetry = async (): Promise<AgentContext> => {
    try {
      await deps.whenReady(60_000);
    } catch (err) {
      throw new CniError(CniCode.tryAgainLater, `lumen-agent is not ready: ${(err as Error).message}`);
    }
    const ctx = deps.ctx();
    if (!ctx) throw new CniError(CniCode.tryAgainLater, 'lumen-agent is starting');
    return ctx;
  };

  const linkSpec = (ctx: AgentContext, req: CniRequest, ip: string): PodLinkSpec => ({
    hostIf: hostIfName(req.containerId, req.ifName),
    netns: req.netns,
    ifName: req.ifName,
    ip,
    routes: podRoutes(ctx),
    nodeNetns: ctx.nodeNetns,
  });

  return {
    async add(req) {
      const ctx = await ctxOrRetry();
      const ref = podRef(req);
      const pod = await getPod(ctx, ref.namespace, ref.name);
      if (!pod) throw new CniError(CniCode.tryAgainLater, `pod ${ref.namespace}/${ref.name} is not known to the API server (yet)`);
      const podUid = ref.uid ?? pod.metadata?.uid;
      const alloc = await ctx.ipam.allocate({ containerId: req.containerId, ifName: req.ifName, namespace: ref.namespace, pod: ref.name, podUid }, addressesOfOtherPods(ctx, podUid));
      const spec = linkSpec(ctx, req, alloc.ip);
      let ep: LocalEndpoint | undefined;
      try {
        const identity = await identityForPod(ctx, pod);
        const link = await setupPodLink(spec);
        ep = {
          id: alloc.endpointId, containerId: req.containerId, ifName: req.ifName, ip: alloc.ip,
          namespace: ref.namespace, pod: ref.name, podUid, hostIf: spec.hostIf, ifindex: link.host.ifindex, netns: req.netns,
          identity: identity.id, labels: identity.labels,
          enforcement: { ingress: 'disabled', egress: 'disabled' }, policyRevision: 0, health: 'pending',
        };
        ctx.endpoints.put(ep);
        // Policy and the endpoint entry exist before the programs see the first packet.
        await deps.programEndpoint(ep);
        await ctx.datapath.writeEndpoint(ep.ip, endpointEntry(ep));
        await ctx.datapath.attachEndpoint(ep.ifindex, ep.hostIf);
        ep.health = 'ready';
        ctx.schedule('ipcache');
        const status = lumenEndpointStatus(ctx, ep);
        ctx.lumenEndpoints.upsert({ namespace: ep.namespace, name: ep.pod, uid: podUid }, status)
          .catch((err: unknown) => log.warn('endpoint', `LumenEndpoint ${ep!.namespace}/${ep!.pod} not written (will retry)`, err));
        const routes = spec.routes === 'default' ? [{ dst: '0.0.0.0/0', gw: POD_GATEWAY }] : spec.routes.map((dst) => ({ dst, gw: POD_GATEWAY }));
        const result: CniResult = {
          cniVersion: req.config.cniVersion,
          interfaces: [
            { name: spec.hostIf, mac: link.host.address },
            { name: req.ifName, mac: link.pod.address, sandbox: req.netns },
          ],
          ips: [{ address: `${alloc.ip}/32`, gateway: POD_GATEWAY, interface: 1 }],
          routes,
          dns: {},
        };
        return result;
      } catch (err) {
        if (ep) {
          ctx.endpoints.remove(ep.id);
          await deps.forgetEndpoint(ep).catch(() => undefined);
          await ctx.datapath.deleteEndpoint(ep.ip).catch(() => undefined);
        }
        await teardownPodLink(spec.hostIf, alloc.ip, ctx.nodeNetns).catch(() => undefined);
        await ctx.ipam.release(req.containerId, req.ifName);
        if (err instanceof CniError) throw err;
        throw new CniError(CniCode.setupFailed, `setting up ${ref.namespace}/${ref.name}: ${(err as Error).message}`, undefined, { cause: err });
      }
    },

    async del(req) {
      const ctx = await ctxOrRetry();
      const hostIf = hostIfName(req.containerId, req.ifName);
      const alloc = ctx.ipam.find(req.containerId, req.ifName);
      const ep = ctx.endpoints.byContainerId(req.containerId, req.ifName);
      if (ep) {
        ep.health = 'disconnecting';
        ctx.endpoints.remove(ep.id);
        await ctx.datapath.deleteEndpoint(ep.ip);
        await deps.forgetEndpoint(ep);
        await ctx.datapath.detachEndpoint(ep.ifindex, ep.hostIf).catch(() => undefined);
      } else if (alloc) {
        await ctx.datapath.deleteEndpoint(alloc.ip).catch(() => undefined);
      }
      await teardownPodLink(hostIf, alloc?.ip, ctx.nodeNetns);
      if (alloc) await ctx.ipam.release(req.containerId, req.ifName);
      ctx.schedule('ipcache');
      // The pod object may live on (sandbox re-creation): its LumenEndpoint goes with this sandbox.
      const ns = ep?.namespace ?? alloc?.namespace;
      const name = ep?.pod ?? alloc?.pod;
      if (ns && name && !ctx.endpoints.byPodName(ns, name)) {
        await ctx.lumenEndpoints.remove(ns, name).catch((err: unknown) => log.warn('endpoint', `LumenEndpoint ${ns}/${name} not deleted`, err));
      }
    },

    async check(req) {
      const ctx = await ctxOrRetry();
      const alloc = ctx.ipam.find(req.containerId, req.ifName);
      if (!alloc) throw new CniError(CniCode.checkFailed, `no address is allocated to container ${req.containerId}/${req.ifName}`);
      const problems = await checkPodLink(linkSpec(ctx, req, alloc.ip));
      const ep = ctx.endpoints.byContainerId(req.containerId, req.ifName);
      if (!ep) problems.push(`endpoint ${alloc.endpointId} is not registered`);
      else {
        const entries = await ctx.datapath.readEndpoints();
        if (!entries.has(ep.ip)) problems.push(`endpoints map has no entry for ${ep.ip}`);
      }
      if (problems.length) throw new CniError(CniCode.checkFailed, problems.join('; '));
    },

    async status() {
      await ctxOrRetry().catch((err: unknown) => {
        throw new CniError(50, (err as Error).message);
      });
    },
  };
}
