// Services → the services/backends/rev_nat maps: the shared model's frontends for this
// node (NodePorts on its addresses, Local policies filtered to local backends), diffed
// against what the maps hold and written in ordered batches.
import { desiredServices, programmableBackends } from '../../../src/shared/services/index.js';
import type { EndpointSlice, Service } from '../../../src/shared/k8s/index.js';
import { IPPROTO, type WantedFrontend } from '../services/model.js';
import { log } from '../log.js';
import type { AgentContext } from './context.js';

export function wantedFrontends(ctx: AgentContext): WantedFrontend[] {
  if (!ctx.config.kubeProxyReplacement) return [];
  const services = ctx.watches.cache<Service>('services').snapshot().values() as Iterable<Service>;
  const slices = ctx.watches.cache<EndpointSlice>('endpointslices').snapshot().values() as Iterable<EndpointSlice>;
  const desired = desiredServices(services, slices, { nodeAddresses: ctx.config.nodePort ? ctx.node.addresses : [] });
  const out: WantedFrontend[] = [];
  for (const svc of desired.values()) {
    for (const f of svc.frontends) {
      if (f.kind === 'NodePort' && !ctx.config.nodePort) continue;
      out.push({
        addr: f.ip,
        port: f.port,
        proto: IPPROTO[f.protocol],
        kind: f.kind,
        service: { namespace: svc.namespace, name: svc.name },
        portName: f.portName,
        affinityTimeout: f.sessionAffinity.clientIP ? (f.sessionAffinity.timeoutSeconds ?? 10800) : 0,
        local: f.trafficPolicy === 'Local',
        backends: programmableBackends(f, ctx.node.name).map((b) => ({
          addr: b.ip, port: b.port, state: b.state,
          ...(b.nodeName ? { nodeName: b.nodeName } : {}),
          ...(b.podRef ? { pod: { namespace: b.podRef.namespace, name: b.podRef.name } } : {}),
        })),
      });
    }
  }
  return out;
}

/** Start-up: adopt the ids of what the pinned maps hold, so the diff only writes changes. */
export async function loadServiceMaps(ctx: AgentContext): Promise<void> {
  const maps = await ctx.datapath.readServices();
  ctx.planner.seed(maps);
  ctx.services.written = maps;
}

export async function reconcileServices(ctx: AgentContext): Promise<void> {
  const t0 = performance.now();
  if (ctx.services.rereadMaps) {
    ctx.services.rereadMaps = false;
    ctx.services.written = await ctx.datapath.readServices();
  }
  const wanted = wantedFrontends(ctx);
  const plan = ctx.planner.plan(wanted, ctx.services.written);
  for (const w of plan.warnings) log.warn('services', w);
  try {
    await ctx.datapath.writeServices(plan.phases);
  } catch (err) {
    // Part of the plan may be written: re-read so the next diff starts from the truth.
    ctx.services.written = await ctx.datapath.readServices();
    throw err;
  }
  ctx.services.setWanted(wanted, plan.next, plan.frontendIds);
  const ops = plan.phases.reduce((n, p) => n + p.length, 0);
  if (ops) log.info('services', `${wanted.length} frontends: ${ops} map writes in ${plan.phases.length} phases (${(performance.now() - t0).toFixed(1)} ms)`);
}
