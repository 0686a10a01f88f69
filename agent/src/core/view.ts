// AgentView and FlowLookups (agent/src/api/view.ts) over the core's state: what the API,
// CLI, metrics and flow enrichment read.
import { release } from 'node:os';
import {
  describeReservedIdentity, isCidrIdentity, nodeIpv4s, podIpv4s, reservedIdentityLabels, ReservedIdentity,
  type Node, type Pod,
} from '../../../src/shared/k8s/index.js';
import type {
  AgentView, BackendAddr, CoreStatus, Direction, EndpointInfo, EndpointLookup, EndpointPolicy, EndpointRef,
  FlowLookups, IdentityInfo, L4Addr, Labels, LbBackendDeleteResult, ObjectRef, PeerLookup, PolicyRuleRef, Readiness, ServiceEntry,
} from '../api/view.js';
import { NotFoundError } from '../api/view.js';
import type { IdentityObject } from '../identity/types.js';
import type { LumenEndpointObject } from '../endpoints/lumenendpoint.js';
import { frontendKey, IPPROTO, svcKeyString, type MapOp } from '../services/model.js';
import type { Agent } from './agent.js';
import type { AgentContext } from './context.js';
import type { LocalEndpoint } from './endpoints.js';
import { serviceEntries } from './service-state.js';

const AGENT_VERSION = process.env.LUMEN_VERSION ?? '0.1.0';
const protoNum = (p: string): number => IPPROTO[p as keyof typeof IPPROTO] ?? 6;
const ref = (text: string): ObjectRef => {
  const i = text.indexOf('/');
  return { namespace: text.slice(0, i), name: text.slice(i + 1) };
};

function endpointInfo(ctx: AgentContext, ep: LocalEndpoint): EndpointInfo {
  const info: EndpointInfo = {
    id: ep.id,
    pod: { namespace: ep.namespace, name: ep.pod },
    node: ctx.node.name,
    identity: ep.identity,
    labels: ep.labels,
    ipv4: ep.ip,
    interface: ep.hostIf,
    ifindex: ep.ifindex,
    enforcement: { ...ep.enforcement },
    policyRevision: ep.policyRevision,
    health: ep.health,
  };
  if (ep.message) info.message = ep.message;
  return info;
}

export class CoreView implements AgentView, FlowLookups {
  /** ip → peer, rebuilt lazily when the watch caches changed (flow enrichment is hot). */
  private peers: Map<string, PeerLookup> | undefined;
  private peersBuiltAt = 0;

  constructor(private readonly agent: Agent, readonly nodeName: string) {}

  private get ctx(): AgentContext | undefined { return this.agent.ctx; }
  private need(): AgentContext {
    const c = this.ctx;
    if (!c) throw new Error(`agent core is not started: ${this.agent.notReadyReason}`);
    return c;
  }

  healthy(): boolean { return true; }

  readiness(): Readiness {
    return this.agent.ready ? { ready: true } : { ready: false, reason: this.agent.notReadyReason };
  }

  async status(): Promise<CoreStatus> {
    const ctx = this.ctx;
    const maps = ctx ? await ctx.datapath.mapPressure().catch(() => []) : [];
    const problems = [...this.agent.problems.values()];
    const cfg = this.agent.options.config;
    return {
      node: this.nodeName,
      health: !this.agent.ready ? 'degraded' : problems.length ? 'degraded' : 'ok',
      problems: this.agent.ready ? problems : [this.agent.notReadyReason, ...problems],
      ready: this.agent.ready,
      versions: { agent: AGENT_VERSION, kernel: release(), node: process.version },
      datapath: {
        kubeProxyReplacement: cfg.kubeProxyReplacement,
        socketLB: cfg.socketLB,
        nodePort: cfg.nodePort,
        policyEnforcement: cfg.policyEnforcement,
        auditNamespaces: cfg.auditNamespaces,
        uplinks: ctx?.node.uplink ? [ctx.node.uplink.ifname] : [],
        attachedEndpoints: ctx?.endpoints.size ?? 0,
      },
      maps: maps.map((m) => ({
        name: m.name, maxEntries: m.maxEntries, entries: m.entries,
        pressure: m.entries === null || m.maxEntries === 0 ? null : m.entries / m.maxEntries,
      })),
      sync: {
        initialSyncAt: this.agent.initialSyncAt,
        initialSyncMs: this.agent.initialSyncMs,
        lastSyncAt: ctx?.services.lastSyncAt ?? null,
        kinds: Object.fromEntries(Object.keys(ctx?.watches.caches ?? {}).map((k) => [k, ctx?.watches.lastEvent[k as keyof typeof ctx.watches.lastEvent] ?? null])),
      },
      counts: {
        endpoints: ctx?.endpoints.size ?? 0,
        identities: ctx ? ctx.watches.cache('identities').snapshot().size : 0,
        services: ctx ? new Set(ctx.services.wanted.map((f) => `${f.service.namespace}/${f.service.name}`)).size : 0,
        policies: ctx?.policy.policyCount ?? 0,
      },
    };
  }

  async services(): Promise<ServiceEntry[]> {
    const ctx = this.ctx;
    if (!ctx) return [];
    return serviceEntries(ctx.services, await ctx.datapath.readServices());
  }

  async service(id: number): Promise<ServiceEntry | undefined> {
    return (await this.services()).find((s) => s.id === id);
  }

  endpoints(): EndpointInfo[] {
    const ctx = this.ctx;
    return ctx ? ctx.endpoints.all().map((ep) => endpointInfo(ctx, ep)) : [];
  }

  identities(): IdentityInfo[] {
    const ctx = this.ctx;
    const local = new Map<number, number>();
    for (const ep of ctx?.endpoints.all() ?? []) local.set(ep.identity, (local.get(ep.identity) ?? 0) + 1);
    const out: IdentityInfo[] = [];
    for (const id of Object.values(ReservedIdentity)) {
      if (id === 0) continue;
      const info: IdentityInfo = { id, source: 'reserved', labels: reservedIdentityLabels(id) ?? {}, localEndpoints: 0 };
      const d = describeReservedIdentity(id);
      if (d) info.description = d;
      out.push(info);
    }
    for (const obj of ctx?.watches.cache<IdentityObject>('identities').snapshot().values() ?? []) {
      const o = obj as IdentityObject;
      const id = Number(o.metadata.name);
      if (!Number.isInteger(id)) continue;
      out.push({ id, source: 'kubernetes', labels: o.spec?.labels ?? {}, localEndpoints: local.get(id) ?? 0 });
    }
    for (const [cidr, id] of ctx?.policy.cidrs ?? []) out.push({ id, source: 'cidr', labels: { [`cidr:${cidr}`]: '' }, localEndpoints: 0 });
    return out.sort((a, b) => a.id - b.id);
  }

  private findEndpoint(r: EndpointRef): LocalEndpoint | undefined {
    const ctx = this.ctx;
    if (!ctx) return undefined;
    return 'id' in r ? ctx.endpoints.get(r.id) : ctx.endpoints.byPodName(r.namespace, r.name);
  }

  endpointPolicy(r: EndpointRef): EndpointPolicy | undefined {
    const ctx = this.ctx;
    const ep = this.findEndpoint(r);
    if (!ctx || !ep) return undefined;
    const realized = ctx.policy.realized.get(ep.id);
    const labelsOf = (id: number): Labels | undefined => this.identityLabels(id);
    const dir = (d: Direction) => ({
      enforcement: ep.enforcement[d],
      selectedBy: (realized?.selectedBy[d] ?? []).map(ref),
      entries: (realized?.entries ?? []).filter((e) => e.direction === d).map((e) => {
        const rule = this.ruleById(e.ruleId);
        const remoteLabels = e.remoteIdentity ? labelsOf(e.remoteIdentity) : undefined;
        return {
          remoteIdentity: e.remoteIdentity,
          ...(remoteLabels ? { remoteLabels } : {}),
          protocol: e.protocol === 6 ? 'TCP' as const : e.protocol === 17 ? 'UDP' as const : e.protocol === 132 ? 'SCTP' as const : 'ANY' as const,
          portLow: e.portLow, portHigh: e.portHigh, verdict: e.verdict, ruleId: e.ruleId,
          ...(rule ? { rule } : {}),
        };
      }),
    });
    return { endpoint: { id: ep.id, pod: { namespace: ep.namespace, name: ep.pod }, identity: ep.identity }, revision: ep.policyRevision, ingress: dir('ingress'), egress: dir('egress') };
  }

  async dropCounters(): Promise<Record<string, number>> {
    return (await this.ctx?.datapath.dropCounters()) ?? {};
  }

  async deleteLbBackend(frontend: L4Addr, backend: BackendAddr): Promise<LbBackendDeleteResult> {
    const ctx = this.need();
    const maps = await ctx.datapath.readServices();
    const proto = protoNum(frontend.protocol);
    const base = { addr: frontend.ip, port: frontend.port, proto };
    const slot0 = maps.services.get(svcKeyString({ ...base, slot: 0 }));
    if (!slot0) throw new NotFoundError(`frontend ${frontendKey(frontend.ip, frontend.port, proto)} is not in the maps`);
    const slots: { slot: number; backendId: number }[] = [];
    for (let s = 1; s <= slot0.val.count; s++) {
      const e = maps.services.get(svcKeyString({ ...base, slot: s }));
      if (e) slots.push({ slot: s, backendId: e.val.backendId });
    }
    const idx = slots.findIndex((s) => {
      const b = maps.backends.get(s.backendId);
      return b?.addr === backend.ip && b.port === backend.port;
    });
    if (idx < 0) return { removed: false, remainingBackends: slot0.val.count };
    // Compact the slots: the removed one takes the last slot's backend, then the count shrinks.
    const last = slots[slots.length - 1]!;
    const ops: MapOp[][] = [];
    if (idx !== slots.length - 1) {
      ops.push([{ map: 'services', op: 'update', key: { ...base, slot: slots[idx]!.slot }, val: { backendId: last.backendId, count: 0, active: 0, revNatId: 0, flags: 0, affinityTimeout: 0 } }]);
    }
    const count = slot0.val.count - 1;
    const active = Math.min(slot0.val.active, count);
    ops.push([{ map: 'services', op: 'update', key: { ...base, slot: 0 }, val: { ...slot0.val, count, active } }]);
    ops.push([{ map: 'services', op: 'delete', key: { ...base, slot: last.slot } }]);
    await ctx.datapath.writeServices(ops);
    // The planner's mirror must not believe the maps still hold the slot (the next
    // reconcile of this service puts it back).
    ctx.services.written = await ctx.datapath.readServices();
    return { removed: true, remainingBackends: count };
  }

  // ---- FlowLookups ----

  endpointById(endpointId: number): EndpointLookup | undefined {
    const ep = this.ctx?.endpoints.get(endpointId);
    return ep && { id: ep.id, pod: { namespace: ep.namespace, name: ep.pod }, identity: ep.identity, labels: ep.labels };
  }

  peerByIp(ip: string): PeerLookup | undefined {
    const ctx = this.ctx;
    if (!ctx) return undefined;
    const local = ctx.endpoints.byAddress(ip);
    if (local) return { namespace: local.namespace, pod: local.pod, node: ctx.node.name, identity: local.identity };
    const now = Date.now();
    if (!this.peers || now - this.peersBuiltAt > 1000) {
      const peers = new Map<string, PeerLookup>();
      for (const obj of ctx.watches.cache<Node>('nodes').snapshot().values()) {
        const n = obj as Node;
        for (const a of nodeIpv4s(n)) peers.set(a, { node: n.metadata?.name, identity: n.metadata?.name === ctx.node.name ? 1 : 6 });
      }
      for (const obj of ctx.watches.cache<Pod>('pods').snapshot().values()) {
        const p = obj as Pod;
        if (p.spec?.hostNetwork) continue;
        for (const a of podIpv4s(p)) peers.set(a, { namespace: p.metadata?.namespace, pod: p.metadata?.name, node: p.spec?.nodeName });
      }
      for (const obj of ctx.watches.cache<LumenEndpointObject>('lumenendpoints').snapshot().values()) {
        const le = obj as LumenEndpointObject;
        for (const a of le.status?.ips ?? []) {
          const p = peers.get(a);
          if (p && le.status) p.identity = le.status.identity.id;
        }
      }
      this.peers = peers;
      this.peersBuiltAt = now;
    }
    return this.peers.get(ip);
  }

  identityLabels(identity: number): Labels | undefined {
    const ctx = this.ctx;
    const reserved = reservedIdentityLabels(identity);
    if (reserved) return reserved;
    if (!ctx) return undefined;
    if (isCidrIdentity(identity)) {
      for (const [cidr, id] of ctx.policy.cidrs) if (id === identity) return { [`cidr:${cidr}`]: '' };
      return undefined;
    }
    const obj = ctx.watches.cache<IdentityObject>('identities').get(String(identity)) as IdentityObject | undefined;
    return obj?.spec?.labels;
  }

  serviceByFrontend(f: L4Addr): ObjectRef | undefined {
    return this.ctx?.services.byFrontend.get(frontendKey(f.ip, f.port, protoNum(f.protocol)))?.service;
  }

  ruleById(ruleId: number): PolicyRuleRef | undefined {
    const r = this.ctx?.policy.rules.get(ruleId);
    if (!r || r.kind !== 'policy') return undefined;
    return { policy: ref(r.policy), direction: r.direction, ruleIndex: r.ruleIndex };
  }

  selectingPolicies(endpointId: number, direction: Direction): ObjectRef[] {
    return (this.ctx?.policy.realized.get(endpointId)?.selectedBy[direction] ?? []).map(ref);
  }
}

