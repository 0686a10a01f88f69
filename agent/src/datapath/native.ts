// DatapathPort over the addon (agent/native): loads the node's objects against the pinned
// maps, attaches socket LB and the uplink programs, and translates the agent's map model
// to the addon's typed tables.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  Datapath, EndpointTable, IpcacheTable, PolicyTable, cidrKey, abi, splitRecords, type ObjectName,
} from '../../native/index.js';
import { loadBinding, type NativeRingBufferConsumer } from '../../native/binding.js';
import { BpfObjectFile } from '../../native/bpf.js';
import { MAP_SIZE_NAMES } from '../../native/config.js';
import { defaultObjectDir } from '../../native/datapath.js';
import { mapSizesOf, type AgentConfig } from '../config.js';
import type { NodeInfo } from '../core/context.js';
import { svcKeyString, type MapOp, type ServiceMaps } from '../services/model.js';
import { log } from '../log.js';
import type { DatapathPort, EndpointEntry, MapPressureInfo, PolicyEntry } from './port.js';

export interface NativeDatapathOptions {
  /** Network namespace the node's interfaces live in (tests); default ours. */
  nodeNetns?: string;
}

/** Fails early, naming the fix, when the pin directory is not on a bpffs mount. */
function checkBpffs(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'bpf').map((f) => f[1]!);
  if (!mounts.some((m) => dir === m || dir.startsWith(`${m.replace(/\/$/, '')}/`))) {
    throw new Error(`bpffs-dir ${dir} is not on a bpffs mount (mounts: ${mounts.join(', ') || 'none'}); mount one with: mount -t bpf bpf /sys/fs/bpf`);
  }
}

/**
 * Removes pinned maps the objects about to load cannot reuse (another type, key or value
 * size, capacity or flags: a datapath upgrade changed them), so the load recreates them
 * instead of failing. Their entries are lost; everything else keeps its state.
 */
export function dropIncompatiblePins(pinDir: string, objects: readonly ObjectName[], sizes: Record<string, number>, objectDir = defaultObjectDir()): string[] {
  const want = new Map<string, { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }>();
  const sizeByMap = new Map(Object.entries(MAP_SIZE_NAMES).map(([k, name]) => [name, sizes[k]]));
  for (const o of objects) {
    const path = join(objectDir, `${o}.bpf.o`);
    if (!existsSync(path)) continue;
    const obj = new BpfObjectFile(path);
    try {
      for (const m of obj.maps()) {
        if (!m.name.startsWith('lumen_')) continue;
        want.set(m.name, { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: sizeByMap.get(m.name) ?? m.maxEntries, flags: m.flags });
      }
    } finally {
      obj.close();
    }
  }
  const b = loadBinding();
  const dropped: string[] = [];
  for (const [name, w] of want) {
    const pin = join(pinDir, name);
    if (!existsSync(pin)) continue;
    const fd = b.objGet(pin);
    let info;
    try {
      info = b.mapInfo(fd);
    } finally {
      b.closeFd(fd);
    }
    const diff: string[] = [];
    if (info.type !== w.type) diff.push(`type ${info.type} → ${w.type}`);
    if (info.keySize !== w.keySize) diff.push(`key ${info.keySize} → ${w.keySize} B`);
    if (info.valueSize !== w.valueSize) diff.push(`value ${info.valueSize} → ${w.valueSize} B`);
    if (info.maxEntries !== w.maxEntries) diff.push(`max entries ${info.maxEntries} → ${w.maxEntries}`);
    if (info.flags !== w.flags) diff.push(`flags ${info.flags} → ${w.flags}`);
    if (diff.length === 0) continue;
    log.warn('datapath', `pinned map ${name} does not fit the programs being loaded (${diff.join(', ')}): recreating it, its entries are lost`);
    unlinkSync(pin);
    dropped.push(name);
  }
  return dropped;
}

/** How long a count of lumen_ct / lumen_affinity is reused: a full 256k-entry table takes tens of ms to walk. */
const LRU_RECOUNT_MS = 10_000;

export class NativeDatapath implements DatapathPort {
  readonly kind = 'native';
  private readonly endpoints: EndpointTable;
  private readonly ipcache: IpcacheTable;
  private readonly policy: PolicyTable;
  private consumer: NativeRingBufferConsumer | undefined;
  private lostTimer: NodeJS.Timeout | undefined;
  /** Last count of the connection tables (status and metrics ask every few seconds). */
  private readonly counted = new Map<string, { at: number; entries: number }>();

  constructor(readonly dp: Datapath, readonly config: AgentConfig, readonly node: NodeInfo, private readonly opts: NativeDatapathOptions = {}) {
    this.endpoints = new EndpointTable(dp.maps.endpoints);
    this.ipcache = new IpcacheTable(dp.maps.ipcache);
    this.policy = new PolicyTable(dp.maps.policy);
  }

  static open(config: AgentConfig, node: NodeInfo, opts: NativeDatapathOptions = {}): NativeDatapath {
    checkBpffs(config.bpffsDir);
    const objects: ObjectName[] = ['lxc', 'sock'];
    if (config.nodePort) objects.push('host');
    let dp: Datapath;
    try {
      dropIncompatiblePins(config.bpffsDir, objects, mapSizesOf(config) as unknown as Record<string, number>);
      dp = Datapath.load({
        pinDir: config.bpffsDir,
        objects,
        config: {
          nodeAddress: node.ip,
          tcLb: config.kubeProxyReplacement,
          sockLb: config.socketLB && config.kubeProxyReplacement,
          events: true,
          reportIntervalMs: config.flowReportIntervalSeconds * 1000,
        },
        mapSizes: mapSizesOf(config),
      });
    } catch (err) {
      throw new Error(`loading the datapath (pins in ${config.bpffsDir})`, { cause: err });
    }
    const n = new NativeDatapath(dp, config, node, opts);
    n.attachNode();
    return n;
  }

  /** Socket LB at the cgroup root and the NodePort programs on the uplink (replaced in place on restart). */
  private attachNode(): void {
    const { config, node, dp } = this;
    if (config.socketLB && config.kubeProxyReplacement) {
      if (!existsSync(config.cgroupRoot)) throw new Error(`cgroup-root ${config.cgroupRoot} does not exist (socket LB needs a cgroup-v2 directory)`);
      const r = dp.attachCgroup(config.cgroupRoot);
      log.info('datapath', `socket LB on ${config.cgroupRoot}: ${r.map((x) => `${x.hook}${x.replaced ? ' (replaced)' : ''}`).join(', ')}`);
    } else if (existsSync(config.cgroupRoot)) {
      dp.detachCgroup(config.cgroupRoot);
    }
    if (config.nodePort && node.uplink) {
      dp.attachUplink(node.uplink.ifindex, this.attachOpts());
      log.info('datapath', `NodePort programs on ${node.uplink.ifname} (ifindex ${node.uplink.ifindex})`);
    }
  }

  private attachOpts(): { netns?: string } {
    return this.opts.nodeNetns ? { netns: this.opts.nodeNetns } : {};
  }

  async readServices(): Promise<ServiceMaps> {
    const out: ServiceMaps = { services: new Map(), backends: new Map(), revNat: new Map() };
    for (const [k, v] of this.dp.maps.services.entries()) {
      const key = { addr: k.addr, port: k.port, proto: k.proto, slot: k.slot };
      out.services.set(svcKeyString(key), {
        key,
        val: { backendId: v.backend_id, count: v.count, active: v.active, revNatId: v.rev_nat_id, flags: v.flags, affinityTimeout: v.affinity_timeout },
      });
    }
    for (const [id, b] of this.dp.maps.backends.entries()) out.backends.set(id, { addr: b.addr, port: b.port, state: b.state });
    for (const [id, r] of this.dp.maps.revNat.entries()) out.revNat.set(id, { addr: r.addr, port: r.port });
    return out;
  }

  async writeServices(phases: MapOp[][]): Promise<void> {
    const m = this.dp.maps;
    for (const phase of phases) {
      const svcUp: [abi.SvcKey, abi.SvcVal][] = [];
      const svcDel: abi.SvcKey[] = [];
      const beUp: [number, abi.BackendVal][] = [];
      const beDel: number[] = [];
      const rnUp: [number, abi.RevNatVal][] = [];
      const rnDel: number[] = [];
      for (const op of phase) {
        if (op.map === 'services') {
          const key = { addr: op.key.addr, port: op.key.port, proto: op.key.proto, scope: 0, slot: op.key.slot };
          if (op.op === 'update') {
            const v = op.val;
            svcUp.push([key, { ...abi.svcVal.zero(), backend_id: v.backendId, count: v.count, active: v.active, rev_nat_id: v.revNatId, flags: v.flags, affinity_timeout: v.affinityTimeout }]);
          } else svcDel.push(key);
        } else if (op.map === 'backends') {
          if (op.op === 'update') beUp.push([op.key, { addr: op.val.addr, port: op.val.port, state: op.val.state }]);
          else beDel.push(op.key);
        } else if (op.op === 'update') rnUp.push([op.key, { addr: op.val.addr, port: op.val.port }]);
        else rnDel.push(op.key);
      }
      m.backends.setMany(beUp);
      m.revNat.setMany(rnUp);
      this.writeServiceValues(svcUp);
      m.services.deleteMany(svcDel);
      m.revNat.deleteMany(rnDel);
      m.backends.deleteMany(beDel);
    }
  }

  /**
   * lumen_svc_val also carries copies the planner does not model: a slot the address of
   * its backend, a frontend its first SVC_INLINE slots (so the datapath picks a backend
   * with one lookup). Slots are written first, then every frontend that was written or
   * whose first slots changed, with copies read back from the maps.
   */
  private writeServiceValues(up: [abi.SvcKey, abi.SvcVal][]): void {
    const m = this.dp.maps;
    const slots: [abi.SvcKey, abi.SvcVal][] = [];
    const fronts = new Map<string, [abi.SvcKey, abi.SvcVal | undefined]>();
    const feId = (k: abi.SvcKey) => `${k.proto}/${k.addr}/${k.port}`;
    for (const [k, v] of up) {
      if (k.slot === 0) {
        fronts.set(feId(k), [k, v]);
        continue;
      }
      const b = m.backends.get(v.backend_id);
      slots.push([k, b ? { ...v, backend_addr: b.addr, backend_port: b.port } : v]);
      if (k.slot <= abi.SVC_INLINE && !fronts.has(feId(k))) fronts.set(feId(k), [{ ...k, slot: 0 }, undefined]);
    }
    m.services.setMany(slots);
    const frontUp: [abi.SvcKey, abi.SvcVal][] = [];
    for (const [k, given] of fronts.values()) {
      const fe = given ?? m.services.get(k);
      if (!fe) continue;
      const v: Record<string, unknown> = { ...fe };
      for (let i = 0; i < abi.SVC_INLINE; i++) {
        const slot = i < fe.count ? m.services.get({ ...k, slot: i + 1 }) : undefined;
        v[`inline_id${i}`] = slot?.backend_id ?? 0;
        v[`inline_addr${i}`] = slot?.backend_addr ?? '0.0.0.0';
        v[`inline_port${i}`] = slot?.backend_port ?? 0;
      }
      frontUp.push([k, v as abi.SvcVal]);
    }
    m.services.setMany(frontUp);
  }

  async readEndpoints(): Promise<Map<string, EndpointEntry>> {
    const out = new Map<string, EndpointEntry>();
    for (const [ip, v] of this.dp.maps.endpoints.entries()) out.set(ip, { ifindex: v.ifindex, endpointId: v.endpoint_id, identity: v.identity, flags: v.flags });
    return out;
  }

  async writeEndpoint(ip: string, e: EndpointEntry): Promise<void> {
    this.endpoints.upsert({
      address: ip, ifindex: e.ifindex, endpointId: e.endpointId, identity: e.identity,
      enforceIngress: (e.flags & abi.EndpointFlag.EnforceIngress) !== 0,
      enforceEgress: (e.flags & abi.EndpointFlag.EnforceEgress) !== 0,
      audit: (e.flags & abi.EndpointFlag.Audit) !== 0,
    });
  }

  async deleteEndpoint(ip: string): Promise<void> {
    this.endpoints.remove(ip);
  }

  async readIpcache(): Promise<Map<string, number>> {
    return new Map(this.ipcache.list().map((e) => [e.cidr, e.identity]));
  }

  async writeIpcache(upserts: [string, number][], deletes: string[]): Promise<void> {
    this.ipcache.setMany(upserts);
    this.dp.maps.ipcache.deleteMany(deletes.map(cidrKey));
  }

  async syncPolicy(endpointIds: number[], entries: PolicyEntry[]): Promise<{ written: number; deleted: number }> {
    let written = 0;
    let deleted = 0;
    for (const id of endpointIds) {
      const mine = entries.filter((e) => e.endpointId === id) as Parameters<PolicyTable['replaceEndpoint']>[1];
      if (mine.length === 0) {
        deleted += this.policy.removeEndpoint(id);
      } else {
        const d = this.policy.replaceEndpoint(id, mine);
        written += d.upserts.length;
        deleted += d.deletes.length;
      }
    }
    return { written, deleted };
  }

  rereadPolicy(): void {
    this.policy.invalidate();
  }

  async policyEndpointIds(): Promise<Set<number>> {
    return new Set(this.dp.maps.policy.entries().map(([k]) => k.endpoint_id));
  }

  async attachEndpoint(ifindex: number): Promise<void> {
    this.dp.attachEndpoint(ifindex, this.attachOpts());
  }

  async detachEndpoint(ifindex: number): Promise<void> {
    this.dp.detachEndpoint(ifindex, this.attachOpts());
  }

  async mapPressure(): Promise<MapPressureInfo[]> {
    const m = this.dp.maps;
    const list: [string, { info: { maxEntries: number }; count(): number }, boolean][] = [
      ['lumen_services', m.services, false], ['lumen_backends', m.backends, false], ['lumen_rev_nat', m.revNat, false],
      ['lumen_ipcache', m.ipcache, false], ['lumen_endpoints', m.endpoints, false], ['lumen_policy', m.policy, false],
      // Connection tables: hundreds of thousands of entries, counted at most every LRU_RECOUNT_MS.
      ['lumen_ct', m.ct, true], ['lumen_affinity', m.affinity, true],
    ];
    const now = Date.now();
    return list.map(([name, map, big]) => {
      let entries: number;
      const cached = this.counted.get(name);
      if (big && cached && now - cached.at < LRU_RECOUNT_MS) entries = cached.entries;
      else {
        entries = map.count();
        if (big) this.counted.set(name, { at: now, entries });
      }
      return { name, maxEntries: map.info.maxEntries, entries };
    });
  }

  async dropCounters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const d of this.dp.dropCounters()) if (d.reason !== 0) out[d.text] = d.packets;
    return out;
  }

  startEvents(onRecords: (records: Uint8Array[]) => void, onLostTotal: (total: number) => void): void {
    if (this.consumer) return;
    const b = loadBinding();
    this.consumer = new b.RingBufferConsumer(this.dp.eventsFd, (batch) => {
      try {
        onRecords(splitRecords(batch));
      } catch (err) {
        log.warn('flows', 'bad event batch', err);
      }
    });
    this.lostTimer = setInterval(() => onLostTotal(this.dp.counters().eventsLost), 1000);
    this.lostTimer.unref();
  }

  private stopEvents(): void {
    if (this.lostTimer) clearInterval(this.lostTimer);
    this.consumer?.close();
    this.consumer = undefined;
  }

  async close(): Promise<void> {
    this.stopEvents();
    this.dp.close();
  }

  async uninstall(): Promise<void> {
    this.stopEvents();
    for (const e of this.endpoints.list()) {
      try { this.dp.detachEndpoint(e.ifindex, this.attachOpts()); } catch { /* veth already gone */ }
    }
    if (this.node.uplink && this.config.nodePort) {
      try { this.dp.detachUplink(this.node.uplink.ifindex, this.attachOpts()); } catch (err) { log.warn('datapath', 'detaching the uplink', err); }
    }
    if (existsSync(this.config.cgroupRoot)) this.dp.detachCgroup(this.config.cgroupRoot);
    this.dp.close();
    Datapath.unpin(this.config.bpffsDir);
  }
}

export async function openNativeDatapath(config: AgentConfig, node: NodeInfo): Promise<DatapathPort> {
  return NativeDatapath.open(config, node);
}

