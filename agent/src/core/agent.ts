// lumen-agent's core lifecycle: start-up in the order that never exposes wrong state
// (node → IPAM → datapath → watches → first full sync → restore endpoints → reconcile maps
// → ready → CNI install), the reconcile loop that follows API changes, and shutdown.
import type { Server } from 'node:net';
import { nodeIpv4s, type Node } from '../../../src/shared/k8s/index.js';
import type { AgentConfig, AgentEnv } from '../config.js';
import { Ipam } from '../cni/ipam.js';
import { startCniServer } from '../cni/server.js';
import { installCni, uninstallCni } from '../cni/install.js';
import type { DatapathPort } from '../datapath/port.js';
import { LumenEndpointWriter } from '../endpoints/lumenendpoint.js';
import { IdentityAllocator } from '../identity/allocator.js';
import { IdentityGc, LeaseLock } from '../identity/gc.js';
import { CIDR_ID_MIN, type IdentityObject } from '../identity/types.js';
import { isNotFound, type KubeClient } from '../k8s/client.js';
import { kubeTransport, Watches, type WatchedKind } from '../k8s/watches.js';
import { interfaceWithAddress } from '../net/noderoutes.js';
import { ServicePlanner } from '../services/plan.js';
import { log } from '../log.js';
import { createCniHandler } from './cni-handler.js';
import type { AgentContext, NodeInfo, ReconcilePart } from './context.js';
import { EndpointRegistry } from './endpoints.js';
import { PolicyState } from './policy-state.js';
import { ServiceState } from './service-state.js';
import { restoreEndpoints } from './restore.js';
import { forgetEndpointPolicy, programEndpointPolicy, reconcilePolicy } from './reconcile-policy.js';
import { reconcileServices, loadServiceMaps } from './reconcile-services.js';
import { reconcileEndpoints, reconcileIpcache, reconcileRoutes } from './reconcile-misc.js';
import { join } from 'node:path';

export interface AgentOptions {
  config: AgentConfig;
  env: AgentEnv;
  client: KubeClient;
  openDatapath: (config: AgentConfig, node: NodeInfo) => Promise<DatapathPort>;
  /** The CNI plugin binary to install (LUMEN_CNI_BIN). */
  cniPlugin: string;
  /** Node-side network namespace (tests); unset = the agent's own. */
  nodeNetns?: string;
  identityGcIntervalMs?: number;
  /** Full resync against the maps (repairs changes made behind the agent's back); default 60 s. */
  resyncIntervalMs?: number;
  /** Seconds from the first API change of a reconcile part to its datapath write (metrics). */
  onSynced?: (part: ReconcilePart, seconds: number) => void;
}

const WATCHED: WatchedKind[] = ['nodes', 'namespaces', 'pods', 'services', 'endpointslices', 'networkpolicies', 'identities', 'lumenendpoints'];
const ORDER: ReconcilePart[] = ['endpoints', 'policy', 'ipcache', 'services', 'routes'];

export class Agent {
  readonly startedAt = Date.now();
  ctx: AgentContext | undefined;
  private readyReason = 'starting';
  private isReady = false;
  private readyWaiters: (() => void)[] = [];
  private cniServer: Server | undefined;
  private gc: IdentityGc | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private dirty = new Set<ReconcilePart>();
  /** When each dirty part was first marked (sync latency). */
  private dirtySince = new Map<ReconcilePart, number>();
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopping = false;
  initialSyncMs: number | null = null;
  initialSyncAt: string | null = null;
  readonly problems = new Map<string, string>();

  constructor(readonly options: AgentOptions) {}

  get ready(): boolean { return this.isReady; }
  get notReadyReason(): string { return this.readyReason; }

  whenReady(timeoutMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(this.readyReason)), timeoutMs);
      this.readyWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  private step(reason: string): void {
    this.readyReason = reason;
    log.info('agent', reason);
  }

  async start(): Promise<void> {
    const { config, env, client } = this.options;
    this.step(`waiting for node ${env.nodeName} to have a pod CIDR`);
    const node = await this.discoverNode();
    this.step(`node ${node.name}: ${node.ip}, pod CIDR ${node.podCIDR}, uplink ${node.uplink?.ifname ?? 'not found'}`);
    const ipam = await Ipam.open(join(config.stateDir, 'ipam'), node.podCIDR);
    this.step('opening the datapath');
    const datapath = await this.options.openDatapath(config, node);
    const watches = new Watches(kubeTransport(client), WATCHED);
    const identities = new IdentityAllocator(client);
    const ctx: AgentContext = {
      config, env, client, watches, datapath, node, ipam, identities,
      endpoints: new EndpointRegistry(),
      lumenEndpoints: new LumenEndpointWriter(client),
      planner: new ServicePlanner(),
      services: new ServiceState(),
      policy: new PolicyState(),
      nodeNetns: this.options.nodeNetns,
      schedule: (part) => this.schedule(part),
    };
    this.ctx = ctx;
    this.cniServer = await startCniServer(config.cniSocket, createCniHandler({
      ctx: () => this.ctx,
      whenReady: (ms) => this.whenReady(ms),
      programEndpoint: (ep) => programEndpointPolicy(ctx, ep),
      forgetEndpoint: (ep) => forgetEndpointPolicy(ctx, ep),
    }));
    this.subscribe(ctx);
    watches.start();
    this.step('waiting for the first full sync of every watched kind');
    await watches.synced((pending) => { this.readyReason = `waiting for the first sync of ${pending.join(', ')}`; });
    this.step('first sync done: restoring endpoints and reconciling the maps');
    await restoreEndpoints(ctx);
    // CIDR identities are node-local: keep the numbers the pinned ipcache already uses.
    for (const [cidr, id] of await datapath.readIpcache()) if (id >= CIDR_ID_MIN) ctx.policy.cidrs.set(cidr, id);
    await loadServiceMaps(ctx);
    await this.reconcileAll(ctx);
    for (const ep of ctx.endpoints.all()) {
      // Re-attach (atomic replace) so a new agent version's programs take over.
      await datapath.attachEndpoint(ep.ifindex, ep.hostIf).catch((err: unknown) => log.warn('restore', `re-attaching ${ep.hostIf}`, err));
    }
    this.initialSyncMs = Date.now() - this.startedAt;
    this.initialSyncAt = new Date().toISOString();
    await installCni({ pluginSource: this.options.cniPlugin, binDir: config.cniBinDir, confDir: config.cniConfDir, socketPath: config.cniSocket });
    this.isReady = true;
    this.readyReason = '';
    for (const w of this.readyWaiters.splice(0)) w();
    log.info('agent', `ready ${this.initialSyncMs} ms after start (${ctx.endpoints.size} endpoints, ${ctx.services.wanted.length} frontends)`);
    this.gc = new IdentityGc(client, new LeaseLock(client, env.namespace, 'lumen-identity-gc', env.nodeName), {
      identities: () => watches.cache<IdentityObject>('identities').snapshot().values() as Iterable<IdentityObject>,
      usedIds: () => this.usedIdentities(ctx),
    }, config.identityGcGraceSeconds * 1000, this.options.identityGcIntervalMs ?? 30_000);
    this.gc.start();
    this.resyncTimer = setInterval(() => {
      ctx.services.rereadMaps = true;
      ctx.policy.rereadMaps = true;
      ctx.endpoints.rereadMaps = true;
      for (const part of ORDER) this.schedule(part);
    }, this.options.resyncIntervalMs ?? 60_000);
    this.resyncTimer.unref();
    if (this.dirty.size) this.kick(0);
  }

  private usedIdentities(ctx: AgentContext): Set<number> {
    const used = new Set<number>();
    for (const ep of ctx.endpoints.all()) used.add(ep.identity);
    for (const le of ctx.watches.cache<{ status?: { identity?: { id?: number } } }>('lumenendpoints').snapshot().values()) {
      const id = (le as { status?: { identity?: { id?: number } } }).status?.identity?.id;
      if (typeof id === 'number') used.add(id);
    }
    return used;
  }

  private async discoverNode(): Promise<NodeInfo> {
    const { env, client } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        const node = await client.get<Node>(`/api/v1/nodes/${env.nodeName}`);
        const podCIDR = node.spec?.podCIDR;
        if (podCIDR) {
          const addresses = nodeIpv4s(node);
          const ip = env.nodeIP || addresses[0];
          if (!ip) throw new Error(`node ${env.nodeName} has no IPv4 address`);
          const uplink = await interfaceWithAddress(ip, this.options.nodeNetns);
          if (!uplink) this.problems.set('uplink', `no interface holds the node address ${ip}`);
          return { name: env.nodeName, ip, addresses: addresses.includes(ip) ? addresses : [ip, ...addresses], podCIDR, uplink };
        }
      } catch (err) {
        if (!isNotFound(err)) log.warn('agent', `reading node ${env.nodeName}`, err);
      }
      if (this.stopping) throw new Error('stopped while waiting for the node');
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
    }
  }

  private subscribe(ctx: AgentContext): void {
    const on = (kind: WatchedKind, parts: ReconcilePart[], extra?: (b: { changes: { type: string; object: unknown }[] }) => void) =>
      ctx.watches.cache(kind).subscribe((batch) => {
        extra?.(batch);
        for (const p of parts) this.schedule(p);
      });
    on('nodes', ['routes', 'ipcache', 'services', 'policy']);
    on('namespaces', ['endpoints', 'policy']);
    on('pods', ['endpoints', 'policy', 'ipcache']);
    on('services', ['services']);
    on('endpointslices', ['services', 'ipcache', 'policy']);
    on('networkpolicies', ['policy']);
    on('lumenendpoints', ['ipcache', 'policy']);
    on('identities', ['policy'], (batch) => {
      for (const c of batch.changes) {
        const obj = c.object as IdentityObject;
        ctx.identities.observe(obj, c.type === 'deleted');
        if (c.type !== 'deleted' || !this.isReady) continue;
        const id = Number(obj.metadata.name);
        const user = ctx.endpoints.all().find((ep) => ep.identity === id);
        if (user) void ctx.identities.restore(id, user.labels).catch((err: unknown) => log.warn('identity', `restoring ${id}`, err));
      }
    });
  }

  schedule(part: ReconcilePart): void {
    this.dirty.add(part);
    if (!this.dirtySince.has(part)) this.dirtySince.set(part, performance.now());
    if (this.isReady) this.kick(30);
  }

  private kick(delayMs: number): void {
    if (this.timer || this.loop || this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loop = this.runLoop().finally(() => {
        this.loop = undefined;
        if (this.dirty.size) this.kick(this.failures ? Math.min(10_000, 200 * 2 ** this.failures) : 30);
      });
    }, delayMs);
  }

  private async runLoop(): Promise<void> {
    const ctx = this.ctx!;
    while (this.dirty.size && !this.stopping) {
      const parts = ORDER.filter((p) => this.dirty.has(p));
      this.dirty.clear();
      for (const part of parts) {
        const since = this.dirtySince.get(part);
        this.dirtySince.delete(part);
        try {
          await this.reconcile(ctx, part);
          if (since !== undefined) this.options.onSynced?.(part, (performance.now() - since) / 1000);
          this.problems.delete(`reconcile:${part}`);
          this.failures = 0;
        } catch (err) {
          this.failures++;
          this.dirty.add(part);
          if (since !== undefined) this.dirtySince.set(part, since);
          this.problems.set(`reconcile:${part}`, `${part} reconcile failed: ${(err as Error).message}`);
          log.error('reconcile', `${part} failed (retrying)`, err);
          return;
        }
      }
    }
  }

  private async reconcile(ctx: AgentContext, part: ReconcilePart): Promise<void> {
    switch (part) {
      case 'endpoints': return reconcileEndpoints(ctx);
      case 'policy': return reconcilePolicy(ctx);
      case 'ipcache': return reconcileIpcache(ctx);
      case 'services': return reconcileServices(ctx);
      case 'routes': return reconcileRoutes(ctx);
    }
  }

  private async reconcileAll(ctx: AgentContext): Promise<void> {
    this.dirty.clear();
    for (const part of ORDER) await this.reconcile(ctx, part);
  }

  /** SIGTERM: stop serving; keep pins and attachments for the next agent unless uninstalling. */
  async stop(opts: { uninstall?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.isReady = false;
    this.readyReason = 'stopping';
    if (this.timer) clearTimeout(this.timer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.gc?.stop();
    await this.loop?.catch(() => undefined);
    await new Promise<void>((r) => (this.cniServer ? this.cniServer.close(() => r()) : r()));
    const ctx = this.ctx;
    if (!ctx) return;
    await ctx.watches.stop();
    if (opts.uninstall) {
      await uninstallCni({ binDir: ctx.config.cniBinDir, confDir: ctx.config.cniConfDir }).catch((err: unknown) => log.warn('agent', 'removing CNI files', err));
      await ctx.datapath.uninstall();
      log.info('agent', 'uninstalled: programs detached, pins removed');
    } else {
      await ctx.datapath.close();
    }
    ctx.client.close();
  }
}
