// Datapath: loads the node's BPF objects against one pin directory (maps shared and kept
// across restarts), exposes the typed maps, attaches programs to pod veths, the uplink
// and a cgroup, and reads counters. The agent holds one of these per node.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DROP_REASONS, DROP_REASON_SLOTS } from '../../src/shared/flow/datapath';
import * as abi from './abi';
import { loadBinding } from './binding';
import { BpfMap, BpfObjectFile } from './bpf';
import { encodeConfig, MAP_SIZE_NAMES, resolveMapSizes, type DatapathConfig, type MapSizes } from './config';
import { BpfError, native } from './errors';

export type ObjectName = 'lxc' | 'sock' | 'host';
export const ALL_OBJECTS: readonly ObjectName[] = ['lxc', 'sock', 'host'];

/** Our tc filters: fixed handle, our own priority, so others' filters are left alone. */
export const TC_HANDLE = 0x4c4d;
export const TC_PRIORITY = 20;

export const CGROUP_HOOKS = ['lumen_connect4', 'lumen_sendmsg4', 'lumen_recvmsg4', 'lumen_getpeername4'] as const;

export interface DatapathOptions {
  /** bpffs directory for the pins (created if missing; must be on a bpffs mount). */
  pinDir: string;
  /** Where lxc.bpf.o, sock.bpf.o, host.bpf.o are (default: $LUMEN_BPF_DIR or bpf/.output). */
  objectDir?: string;
  objects?: readonly ObjectName[];
  config?: DatapathConfig;
  mapSizes?: MapSizes;
  tc?: { handle?: number; priority?: number };
}

export interface AttachOptions {
  /** Network namespace (e.g. /run/netns/<name>) the ifindex lives in; default: ours. */
  netns?: string;
}

export function defaultObjectDir(): string {
  if (process.env.LUMEN_BPF_DIR) return process.env.LUMEN_BPF_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = resolve(here, '..', '..', 'bpf', '.output');
  return existsSync(repo) ? repo : resolve(process.cwd(), 'bpf', '.output');
}

export interface DatapathMaps {
  services: BpfMap<abi.SvcKey, abi.SvcVal>;
  backends: BpfMap<number, abi.BackendVal>;
  revNat: BpfMap<number, abi.RevNatVal>;
  ct: BpfMap<abi.CtKey, abi.CtEntry>;
  ipcache: BpfMap<abi.IpcacheKey, abi.IpcacheVal>;
  endpoints: BpfMap<string, abi.EndpointVal>;
  policy: BpfMap<abi.PolicyKey, abi.PolicyVal>;
  affinity: BpfMap<abi.AffinityKey, abi.AffinityVal>;
  sock: BpfMap<abi.SockKey, abi.SockVal>;
  /** array slot (cookie % size) per socket the socket LB connected */
  sockPeer: BpfMap<number, abi.SockPeer>;
  drops: BpfMap<number, abi.DropCount>;
  counters: BpfMap<number, number>;
  revision: BpfMap<number, number>;
}

export interface DropCounter {
  reason: number;
  key: string;
  text: string;
  packets: number;
  bytes: number;
}

export class Datapath {
  readonly maps: DatapathMaps;
  readonly eventsFd: number;
  private readonly objects = new Map<ObjectName, BpfObjectFile>();
  private readonly tcHandle: number;
  private readonly tcPriority: number;

  private constructor(readonly pinDir: string, objects: Map<ObjectName, BpfObjectFile>, tc: { handle: number; priority: number }) {
    this.objects = objects;
    this.tcHandle = tc.handle;
    this.tcPriority = tc.priority;
    const first = objects.values().next().value as BpfObjectFile;
    const m = <K, V>(name: abi.MapName, key: { cName: string; size: number; encode(v: K, b?: Buffer, o?: number): Buffer; decode(b: Buffer, o?: number): K }, value: { cName: string; size: number; encode(v: V, b?: Buffer, o?: number): Buffer; decode(b: Buffer, o?: number): V }) =>
      new BpfMap<K, V>(name, first.mapFd(name), key, value);
    const L = abi.MAP_LAYOUTS;
    this.maps = {
      services: m('lumen_services', L.lumen_services.key, L.lumen_services.value),
      backends: m('lumen_backends', L.lumen_backends.key, L.lumen_backends.value),
      revNat: m('lumen_rev_nat', L.lumen_rev_nat.key, L.lumen_rev_nat.value),
      ct: m('lumen_ct', L.lumen_ct.key, L.lumen_ct.value),
      ipcache: m('lumen_ipcache', L.lumen_ipcache.key, L.lumen_ipcache.value),
      endpoints: m('lumen_endpoints', L.lumen_endpoints.key, L.lumen_endpoints.value),
      policy: m('lumen_policy', L.lumen_policy.key, L.lumen_policy.value),
      affinity: m('lumen_affinity', L.lumen_affinity.key, L.lumen_affinity.value),
      sock: m('lumen_sock', L.lumen_sock.key, L.lumen_sock.value),
      sockPeer: m('lumen_sock_peer', L.lumen_sock_peer.key, L.lumen_sock_peer.value),
      drops: m('lumen_drops', L.lumen_drops.key, L.lumen_drops.value),
      counters: m('lumen_counters', L.lumen_counters.key, L.lumen_counters.value),
      revision: m('lumen_revision', L.lumen_revision.key, L.lumen_revision.value),
    };
    // Conntrack entries cache verdicts per revision: any write that can change a verdict
    // must move it, whoever makes the write through these maps.
    for (const map of [this.maps.policy, this.maps.ipcache, this.maps.endpoints]) map.onChange = () => this.bumpRevision();
    this.eventsFd = first.mapFd('lumen_events');
  }

  /**
   * Opens, configures and loads the objects. Maps pinned in pinDir by an earlier load
   * (another object, or the agent before a restart) are reused with their content; a
   * size that differs from the pinned map fails the load (remove the pins to resize).
   */
  static load(opts: DatapathOptions): Datapath {
    const objects = opts.objects ?? ALL_OBJECTS;
    if (objects.length === 0) throw new BpfError('load datapath', new Error('no objects to load'));
    for (const o of objects) if (!ALL_OBJECTS.includes(o)) throw new BpfError('load datapath', new Error(`unknown object "${o}"`));
    if (objects.includes('host') && !opts.config?.nodeAddress) {
      throw new BpfError('load datapath', new Error('the host object (NodePort) needs config.nodeAddress'));
    }
    const sizes = resolveMapSizes(opts.mapSizes);
    const cfg = encodeConfig(opts.config);
    const dir = opts.objectDir ?? defaultObjectDir();
    try {
      mkdirSync(opts.pinDir, { recursive: true });
    } catch (err) {
      throw new BpfError(`create pin directory ${opts.pinDir}`, err);
    }
    const loaded = new Map<ObjectName, BpfObjectFile>();
    try {
      for (const name of objects) {
        const path = join(dir, `${name}.bpf.o`);
        if (!existsSync(path)) throw new BpfError(`load ${name}`, new Error(`${path} does not exist (run npm run build:bpf)`));
        const obj = new BpfObjectFile(path, opts.pinDir);
        for (const [k, mapName] of Object.entries(MAP_SIZE_NAMES) as Array<[keyof MapSizes, string]>) {
          obj.setMaxEntries(mapName, sizes[k]);
        }
        obj.setRodata('lumen_cfg', cfg);
        obj.load();
        loaded.set(name, obj);
      }
      return new Datapath(opts.pinDir, loaded, { handle: opts.tc?.handle ?? TC_HANDLE, priority: opts.tc?.priority ?? TC_PRIORITY });
    } catch (err) {
      for (const o of loaded.values()) o.close();
      throw err;
    }
  }

  /** The program `name` (fd, attach type) from whichever loaded object has it. */
  program(name: string): { fd: number; attachType: number; object: ObjectName } {
    for (const [oname, obj] of this.objects) {
      const p = obj.programs().find((x) => x.name === name);
      if (p) return { fd: p.fd, attachType: p.attachType, object: oname };
    }
    throw new BpfError(`program ${name}`, new Error(`no loaded object has program ${name} (loaded: ${[...this.objects.keys()].join(', ')})`));
  }

  private tc(ifindex: number, direction: 'ingress' | 'egress', opts: AttachOptions) {
    if (!Number.isInteger(ifindex) || ifindex <= 0) throw new BpfError('tc attach', new Error(`ifindex must be a positive integer, got ${ifindex}`));
    return { ifindex, direction, handle: this.tcHandle, priority: this.tcPriority, ...(opts.netns ? { netns: opts.netns } : {}) };
  }

  private attachTc(prog: string, ifindex: number, direction: 'ingress' | 'egress', opts: AttachOptions): number {
    const p = this.program(prog);
    const target = { ...this.tc(ifindex, direction, opts), progFd: p.fd };
    return native(`attach ${prog} to ifindex ${ifindex} ${direction}`, () => loadBinding().tcAttach(target)).progId;
  }

  private detachTc(ifindex: number, direction: 'ingress' | 'egress', opts: AttachOptions): boolean {
    const target = this.tc(ifindex, direction, opts);
    return native(`detach tc from ifindex ${ifindex} ${direction}`, () => loadBinding().tcDetach(target));
  }

  /** Pod veth (host side): from_container on tc ingress, to_container on tc egress.
   *  Re-attaching replaces the programs in place. */
  attachEndpoint(ifindex: number, opts: AttachOptions = {}): { ingressProgId: number; egressProgId: number } {
    return {
      ingressProgId: this.attachTc('from_container', ifindex, 'ingress', opts),
      egressProgId: this.attachTc('to_container', ifindex, 'egress', opts),
    };
  }

  detachEndpoint(ifindex: number, opts: AttachOptions = {}): void {
    this.detachTc(ifindex, 'ingress', opts);
    this.detachTc(ifindex, 'egress', opts);
  }

  /** Node uplink: from_netdev on tc ingress, to_netdev on tc egress (NodePort). */
  attachUplink(ifindex: number, opts: AttachOptions = {}): { ingressProgId: number; egressProgId: number } {
    return {
      ingressProgId: this.attachTc('from_netdev', ifindex, 'ingress', opts),
      egressProgId: this.attachTc('to_netdev', ifindex, 'egress', opts),
    };
  }

  detachUplink(ifindex: number, opts: AttachOptions = {}): void {
    this.detachTc(ifindex, 'ingress', opts);
    this.detachTc(ifindex, 'egress', opts);
  }

  /** The program id attached at our handle/priority, or undefined. */
  tcProgId(ifindex: number, direction: 'ingress' | 'egress', opts: AttachOptions = {}): number | undefined {
    const target = this.tc(ifindex, direction, opts);
    return native(`query tc on ifindex ${ifindex}`, () => loadBinding().tcQuery(target))?.progId;
  }

  private linkPin(hook: string, cgroupPath: string): string {
    let id: bigint;
    try {
      id = statSync(cgroupPath, { bigint: true }).ino;
    } catch (err) {
      throw new BpfError(`cgroup ${cgroupPath}`, err);
    }
    return join(this.pinDir, `lumen_link_${hook}_${id}`);
  }

  /** Socket LB on every socket of processes under cgroupPath (cgroup v2). Links are
   *  pinned in pinDir: they survive the agent, and a second attach swaps programs in place. */
  attachCgroup(cgroupPath: string): Array<{ hook: string; linkId: number; replaced: boolean }> {
    return CGROUP_HOOKS.map((hook) => {
      const p = this.program(hook);
      const target = { cgroupPath, progFd: p.fd, attachType: p.attachType, linkPin: this.linkPin(hook, cgroupPath) };
      const r = native(`attach ${hook} at ${cgroupPath}`, () => loadBinding().cgroupAttach(target));
      return { hook, ...r };
    });
  }

  detachCgroup(cgroupPath: string): number {
    let n = 0;
    for (const hook of CGROUP_HOOKS) {
      const pin = this.linkPin(hook, cgroupPath);
      if (native(`detach ${hook} at ${cgroupPath}`, () => loadBinding().cgroupDetach(pin))) n++;
    }
    return n;
  }

  /** Moves lumen_revision so every connection re-decides identity and policy on its next
   *  packet. Done automatically after writes to maps.policy, maps.ipcache, maps.endpoints;
   *  a process writing those maps through its own pins must call this (or write
   *  lumen_revision) itself. */
  bumpRevision(): number {
    const next = ((this.maps.revision.get(0) ?? 0) + 1) >>> 0;
    this.maps.revision.set(0, next);
    return next;
  }

  /** Drops by reason, summed over CPUs (reasons with zero packets included). */
  dropCounters(): DropCounter[] {
    const out: DropCounter[] = [];
    for (let i = 0; i < DROP_REASON_SLOTS; i++) {
      const per = this.maps.drops.getPerCpu(i);
      const packets = per.reduce((a, c) => a + c.packets, 0);
      const bytes = per.reduce((a, c) => a + c.bytes, 0);
      const known = DROP_REASONS.find((r) => r.id === i);
      if (!known && packets === 0) continue;
      out.push({ reason: i, key: known?.key ?? `reason-${i}`, text: known?.text ?? `unknown drop reason ${i}`, packets, bytes });
    }
    return out;
  }

  counters(): { eventsLost: number; eventsEmitted: number; sockTranslated: number; tcTranslated: number } {
    const sum = (i: number) => this.maps.counters.getPerCpu(i).reduce((a, c) => a + c, 0);
    return {
      eventsLost: sum(abi.Counter.EventsLost),
      eventsEmitted: sum(abi.Counter.EventsEmitted),
      sockTranslated: sum(abi.Counter.SockTranslated),
      tcTranslated: sum(abi.Counter.TcTranslated),
    };
  }

  /** BPF_PROG_TEST_RUN on a loaded program (helpers like FIB lookups run in `netns` if given). */
  testRun(program: string, opts: { data: Buffer; ctx?: Buffer; repeat?: number; netns?: string }): { retval: number; data: Buffer; durationNs: number } {
    if (!Buffer.isBuffer(opts.data) || opts.data.length === 0) throw new BpfError(`test run ${program}`, new Error('data must be a non-empty Buffer'));
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) throw new BpfError(`test run ${program}`, new Error(`repeat must be a positive integer, got ${repeat}`));
    const p = this.program(program);
    const r = native(`test run ${program}`, () => loadBinding().testRun(p.fd, { data: opts.data, repeat, ...(opts.ctx ? { ctx: opts.ctx } : {}), ...(opts.netns ? { netns: opts.netns } : {}) }));
    return { retval: r.retval, data: r.data, durationNs: r.durationNs };
  }

  /** Closes our descriptors; pinned maps and attached programs keep working. */
  close(): void {
    for (const m of Object.values(this.maps)) m.close();
    for (const o of this.objects.values()) o.close();
    this.objects.clear();
  }

  /** Removes every pin Datapath.load and attachCgroup made in pinDir (cgroup links are
   *  detached first), then the directory if it is empty. For teardown and tests. */
  static unpin(pinDir: string): void {
    if (!existsSync(pinDir)) return;
    for (const name of readdirSync(pinDir)) {
      const path = join(pinDir, name);
      if (name.startsWith('lumen_link_')) loadBinding().cgroupDetach(path);
      else if (name.startsWith('lumen_')) unlinkSync(path);
    }
    if (readdirSync(pinDir).length === 0) rmSync(pinDir, { recursive: true });
  }
}
