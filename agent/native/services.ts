// Services in the datapath: a service spec (frontend + backends) becomes backends, slot
// and rev-NAT entries; writes are ordered so a packet never sees a frontend whose slots
// are not there yet; the realized table can be read back for `lumen bpf lb list`.
import { BackendState, SVC_INLINE, SvcFlag, backendVal, revNatVal, svcKey, svcVal, u16Key, u32Key, type BackendVal, type RevNatVal, type SvcKey, type SvcVal } from './abi';
import type { BpfMap } from './bpf';
import { ipv4ToNumber, isIpv4 } from './codec';

export type ServiceProtocol = 'TCP' | 'UDP';
const PROTO_NUMBER: Record<ServiceProtocol, number> = { TCP: 6, UDP: 17 };
const PROTO_NAME: Record<number, ServiceProtocol> = { 6: 'TCP', 17: 'UDP' };

export interface ServiceBackend {
  /** Backend id (1..2^32-1), allocated by the agent; one id per address:port. */
  id: number;
  address: string;
  port: number;
  state?: 'active' | 'terminating';
}

export interface ServiceFrontend {
  address: string;
  port: number;
  protocol: ServiceProtocol;
}

export interface ServiceSpec extends ServiceFrontend {
  /** 1..65535, unique per frontend; replies are translated back to this frontend. */
  revNatId: number;
  backends: ServiceBackend[];
  /** Frontend is <node address>:<nodePort>, load balanced on the uplink too. */
  nodePort?: boolean;
  /** externalTrafficPolicy=Local: only backends on this node are chosen. */
  externalLocal?: boolean;
  /** sessionAffinity=ClientIP with this timeout (seconds). */
  affinityTimeoutSec?: number;
}

export class ServiceError extends Error {
  constructor(message: string) {
    super(`[lumen-bpf] service: ${message}`);
    this.name = 'ServiceError';
  }
}

function where(f: ServiceFrontend): string {
  return `${f.protocol} ${f.address}:${f.port}`;
}

function checkPort(ctx: string, port: unknown): void {
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) throw new ServiceError(`${ctx}: port must be 1..65535, got ${String(port)}`);
}

export function validateService(s: ServiceSpec): void {
  if (!s || typeof s !== 'object') throw new ServiceError('spec must be an object');
  if (!isIpv4(s.address)) throw new ServiceError(`frontend address "${s.address}" is not IPv4`);
  checkPort(`frontend ${s.address}`, s.port);
  if (!(s.protocol in PROTO_NUMBER)) throw new ServiceError(`${s.address}:${s.port}: protocol must be TCP or UDP, got ${String(s.protocol)}`);
  // Messages are built only on failure: this runs for every service of a bulk write.
  const w = () => where(s);
  if (!Number.isInteger(s.revNatId) || s.revNatId < 1 || s.revNatId > 65535) throw new ServiceError(`${w()}: revNatId must be 1..65535, got ${s.revNatId}`);
  if (!Array.isArray(s.backends)) throw new ServiceError(`${w()}: backends must be an array`);
  if (s.backends.length > 65535) throw new ServiceError(`${w()}: at most 65535 backends, got ${s.backends.length}`);
  for (let i = 0; i < s.backends.length; i++) {
    const b = s.backends[i]!;
    const bw = () => `${w()} backend #${i}`;
    if (!Number.isInteger(b.id) || b.id < 1 || b.id > 0xffffffff) throw new ServiceError(`${bw()}: id must be 1..2^32-1, got ${b.id}`);
    for (let j = 0; j < i; j++) if (s.backends[j]!.id === b.id) throw new ServiceError(`${bw()}: duplicate backend id ${b.id}`);
    if (!isIpv4(b.address)) throw new ServiceError(`${bw()}: address "${b.address}" is not IPv4`);
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) checkPort(bw(), b.port);
    if (b.state !== undefined && b.state !== 'active' && b.state !== 'terminating') throw new ServiceError(`${bw()}: state must be active or terminating, got ${String(b.state)}`);
  }
  if (s.affinityTimeoutSec !== undefined && (!Number.isInteger(s.affinityTimeoutSec) || s.affinityTimeoutSec < 1 || s.affinityTimeoutSec > 86400 * 365)) {
    throw new ServiceError(`${w()}: affinityTimeoutSec must be a positive integer, got ${s.affinityTimeoutSec}`);
  }
}

export function frontendKey(f: ServiceFrontend, slot = 0): SvcKey {
  return { addr: f.address, port: f.port, proto: PROTO_NUMBER[f.protocol], scope: 0, slot };
}

export interface ServiceEntries {
  backends: Array<[number, BackendVal]>;
  /** Backend slots 1..n, active backends first. */
  slots: Array<[SvcKey, SvcVal]>;
  frontend: [SvcKey, SvcVal];
  revNat: [number, RevNatVal];
}

/** The frontend's copies of its first slots (LUMEN_SVC_INLINE in lumen_abi.h). */
function inlineCopies(ordered: readonly ServiceBackend[]): Partial<SvcVal> {
  const out: Record<string, number | string> = {};
  for (let i = 0; i < SVC_INLINE && i < ordered.length; i++) {
    out[`inline_id${i}`] = ordered[i]!.id;
    out[`inline_addr${i}`] = ordered[i]!.address;
    out[`inline_port${i}`] = ordered[i]!.port;
  }
  return out as Partial<SvcVal>;
}

/** The map entries of one service (pure). */
export function serviceEntries(s: ServiceSpec): ServiceEntries {
  validateService(s);
  // Active backends take slots 1..active: the datapath picks among those and only falls
  // back to terminating ones when no active backend is left.
  const ordered = [...s.backends.filter((b) => b.state !== 'terminating'), ...s.backends.filter((b) => b.state === 'terminating')];
  const active = s.backends.length - s.backends.filter((b) => b.state === 'terminating').length;
  let flags = 0;
  if (s.nodePort) flags |= SvcFlag.NodePort;
  if (s.externalLocal) flags |= SvcFlag.Local;
  if (s.affinityTimeoutSec) flags |= SvcFlag.Affinity;
  return {
    backends: ordered.map((b) => [b.id, { addr: b.address, port: b.port, state: b.state === 'terminating' ? BackendState.Terminating : BackendState.Active }]),
    slots: ordered.map((b, i) => [frontendKey(s, i + 1), { ...svcVal.zero(), backend_id: b.id, backend_addr: b.address, backend_port: b.port }]),
    frontend: [frontendKey(s, 0), { ...svcVal.zero(), count: ordered.length, active, rev_nat_id: s.revNatId, flags, affinity_timeout: s.affinityTimeoutSec ?? 0, ...inlineCopies(ordered) }],
    revNat: [s.revNatId, { addr: s.address, port: s.port }],
  };
}

interface ServiceBatch {
  backendKeys: Buffer;
  backendVals: Buffer;
  slotKeys: Buffer;
  slotVals: Buffer;
  frontKeys: Buffer;
  frontVals: Buffer;
  revKeys: Buffer;
  revVals: Buffer;
  entries: number;
}

/** The map records of many services, laid out as the codecs define (offsets from the
 *  codecs, so a layout change cannot silently desynchronise this fast path). */
export function encodeServiceBatch(specs: readonly ServiceSpec[]): ServiceBatch {
  let slotCount = 0;
  for (const s of specs) {
    validateService(s);
    slotCount += s.backends.length;
  }
  const off = (c: { fields: readonly { name: string; offset: number }[] }, f: string) => c.fields.find((x) => x.name === f)!.offset;
  const K = { addr: off(svcKey, 'addr'), port: off(svcKey, 'port'), proto: off(svcKey, 'proto'), slot: off(svcKey, 'slot') };
  const V = {
    backend: off(svcVal, 'backend_id'), count: off(svcVal, 'count'), active: off(svcVal, 'active'), rev: off(svcVal, 'rev_nat_id'),
    flags: off(svcVal, 'flags'), aff: off(svcVal, 'affinity_timeout'), baddr: off(svcVal, 'backend_addr'), bport: off(svcVal, 'backend_port'),
    iid: off(svcVal, 'inline_id0'), iaddr: off(svcVal, 'inline_addr0'), iport: off(svcVal, 'inline_port0'),
  };
  const B = { addr: off(backendVal, 'addr'), port: off(backendVal, 'port'), state: off(backendVal, 'state') };
  const R = { addr: off(revNatVal, 'addr'), port: off(revNatVal, 'port') };
  const slotKeys = Buffer.alloc(svcKey.size * slotCount);
  const slotVals = Buffer.alloc(svcVal.size * slotCount);
  const frontKeys = Buffer.alloc(svcKey.size * specs.length);
  const frontVals = Buffer.alloc(svcVal.size * specs.length);
  const revKeys = Buffer.alloc(u16Key.size * specs.length);
  const revVals = Buffer.alloc(revNatVal.size * specs.length);
  // Plain loops and no per-service allocations: this is the cold-start path for every
  // service of the cluster.
  const backends = new Map<number, number>(); // id -> index of its first occurrence
  const bAddr: number[] = [];
  const bPort: number[] = [];
  const bState: number[] = [];
  let slot = 0;
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    const addr = ipv4ToNumber(s.address);
    const proto = PROTO_NUMBER[s.protocol];
    let active = 0;
    let n = 0;
    // Active backends take the first slots, terminating ones follow.
    for (let pass = 0; pass < 2; pass++) {
      for (const be of s.backends) {
        const terminating = be.state === 'terminating';
        if (terminating !== (pass === 1)) continue;
        if (!terminating) active++;
        n++;
        const ko = slot * svcKey.size;
        slotKeys.writeUInt32BE(addr, ko + K.addr);
        slotKeys.writeUInt16BE(s.port, ko + K.port);
        slotKeys[ko + K.proto] = proto;
        slotKeys.writeUInt16LE(n, ko + K.slot);
        const vo = slot * svcVal.size;
        const beAddr = ipv4ToNumber(be.address);
        slotVals.writeUInt32LE(be.id, vo + V.backend);
        // The slot carries its backend's address: one lookup less per new connection.
        slotVals.writeUInt32BE(beAddr, vo + V.baddr);
        slotVals.writeUInt16BE(be.port, vo + V.bport);
        if (n <= SVC_INLINE) {
          // The frontend's copy of this slot (its value is written after the loop).
          const fo = i * svcVal.size;
          frontVals.writeUInt32LE(be.id, fo + V.iid + 4 * (n - 1));
          frontVals.writeUInt32BE(beAddr, fo + V.iaddr + 4 * (n - 1));
          frontVals.writeUInt16BE(be.port, fo + V.iport + 2 * (n - 1));
        }
        slot++;
        if (!backends.has(be.id)) {
          backends.set(be.id, bAddr.length);
          bAddr.push(beAddr);
          bPort.push(be.port);
          bState.push(terminating ? BackendState.Terminating : BackendState.Active);
        } else {
          // The last spec naming a backend decides its state, as with per-service upserts.
          const j = backends.get(be.id)!;
          bAddr[j] = beAddr;
          bPort[j] = be.port;
          bState[j] = terminating ? BackendState.Terminating : BackendState.Active;
        }
      }
    }
    let flags = 0;
    if (s.nodePort) flags |= SvcFlag.NodePort;
    if (s.externalLocal) flags |= SvcFlag.Local;
    if (s.affinityTimeoutSec) flags |= SvcFlag.Affinity;
    const ko = i * svcKey.size;
    frontKeys.writeUInt32BE(addr, ko + K.addr);
    frontKeys.writeUInt16BE(s.port, ko + K.port);
    frontKeys[ko + K.proto] = proto;
    const fo = i * svcVal.size;
    frontVals.writeUInt16LE(n, fo + V.count);
    frontVals.writeUInt16LE(active, fo + V.active);
    frontVals.writeUInt16LE(s.revNatId, fo + V.rev);
    frontVals.writeUInt16LE(flags, fo + V.flags);
    frontVals.writeUInt32LE(s.affinityTimeoutSec ?? 0, fo + V.aff);
    revKeys.writeUInt16LE(s.revNatId, i * u16Key.size);
    revVals.writeUInt32BE(addr, i * revNatVal.size + R.addr);
    revVals.writeUInt16BE(s.port, i * revNatVal.size + R.port);
  }
  const backendKeys = Buffer.alloc(u32Key.size * backends.size);
  const backendVals = Buffer.alloc(backendVal.size * backends.size);
  let k = 0;
  for (const [id, j] of backends) {
    backendKeys.writeUInt32LE(id, k * u32Key.size);
    backendVals.writeUInt32BE(bAddr[j]!, k * backendVal.size + B.addr);
    backendVals.writeUInt16BE(bPort[j]!, k * backendVal.size + B.port);
    backendVals[k * backendVal.size + B.state] = bState[j]!;
    k++;
  }
  return { backendKeys, backendVals, slotKeys, slotVals, frontKeys, frontVals, revKeys, revVals, entries: backends.size + slotCount + specs.length * 2 };
}

export interface ServiceMaps {
  services: BpfMap<SvcKey, SvcVal>;
  backends: BpfMap<number, BackendVal>;
  revNat: BpfMap<number, RevNatVal>;
}

export interface RealizedService extends ServiceFrontend {
  revNatId: number;
  nodePort: boolean;
  externalLocal: boolean;
  affinityTimeoutSec: number;
  backends: Array<ServiceBackend & { slot: number }>;
  /** Slots the frontend counts but that are missing in the map (drift). */
  missingSlots: number[];
}

/** Reads and writes services in the datapath maps. */
export class ServiceTable {
  constructor(private readonly maps: ServiceMaps) {}

  /** Creates or replaces one service. Order: backends, slots, rev-NAT, then the frontend
   *  (its count only grows after the slots exist), then slots beyond the new count. */
  upsert(s: ServiceSpec): void {
    const e = serviceEntries(s);
    const old = this.maps.services.get(e.frontend[0]);
    this.maps.backends.setMany(e.backends);
    this.maps.services.setMany(e.slots);
    this.maps.revNat.set(e.revNat[0], e.revNat[1]);
    this.maps.services.set(e.frontend[0], e.frontend[1]);
    if (old && old.count > e.slots.length) {
      const stale: SvcKey[] = [];
      for (let slot = e.slots.length + 1; slot <= old.count; slot++) stale.push(frontendKey(s, slot));
      this.maps.services.deleteMany(stale);
    }
  }

  /** Writes many services with one batch per map (cold start, resync), encoding straight
   *  into the batch buffers. Same order as upsert: backends, slots, rev-NAT, frontends. */
  writeAll(specs: readonly ServiceSpec[]): { entries: number } {
    const b = encodeServiceBatch(specs);
    this.maps.backends.setManyRaw(b.backendKeys, b.backendVals);
    this.maps.services.setManyRaw(b.slotKeys, b.slotVals);
    this.maps.revNat.setManyRaw(b.revKeys, b.revVals);
    this.maps.services.setManyRaw(b.frontKeys, b.frontVals);
    return { entries: b.entries };
  }

  /** Removes a service: frontend first (no new connections), then its slots. The rev-NAT
   *  entry stays unless dropRevNat, so replies of connections still open keep their
   *  service address. Backends are shared between services: see deleteBackends(). */
  remove(f: ServiceFrontend, opts: { dropRevNat?: boolean } = {}): boolean {
    const key = frontendKey(f, 0);
    const fe = this.maps.services.get(key);
    if (!fe) return false;
    this.maps.services.delete(key);
    const slots: SvcKey[] = [];
    for (let slot = 1; slot <= fe.count; slot++) slots.push(frontendKey(f, slot));
    this.maps.services.deleteMany(slots);
    if (opts.dropRevNat) this.maps.revNat.delete(fe.rev_nat_id);
    return true;
  }

  deleteBackends(ids: readonly number[]): number {
    return this.maps.backends.deleteMany(ids).count;
  }

  /** The services as the datapath has them (frontends with their slots, in slot order). */
  list(): RealizedService[] {
    const entries = this.maps.services.entries();
    const backends = new Map(this.maps.backends.entries());
    const byFront = new Map<string, Map<number, SvcVal>>();
    const id = (k: SvcKey) => `${k.proto}/${k.addr}/${k.port}`;
    for (const [k, v] of entries) {
      let m = byFront.get(id(k));
      if (!m) byFront.set(id(k), (m = new Map()));
      m.set(k.slot, v);
    }
    const out: RealizedService[] = [];
    for (const [k, fe] of entries) {
      if (k.slot !== 0) continue;
      const slots = byFront.get(id(k))!;
      const svc: RealizedService = {
        address: k.addr, port: k.port, protocol: PROTO_NAME[k.proto] ?? 'TCP',
        revNatId: fe.rev_nat_id, nodePort: (fe.flags & SvcFlag.NodePort) !== 0, externalLocal: (fe.flags & SvcFlag.Local) !== 0,
        affinityTimeoutSec: fe.flags & SvcFlag.Affinity ? fe.affinity_timeout : 0, backends: [], missingSlots: [],
      };
      for (let slot = 1; slot <= fe.count; slot++) {
        const sv = slots.get(slot);
        const b = sv ? backends.get(sv.backend_id) : undefined;
        if (!sv || !b) {
          svc.missingSlots.push(slot);
          continue;
        }
        svc.backends.push({ slot, id: sv.backend_id, address: b.addr, port: b.port, state: b.state === BackendState.Terminating ? 'terminating' : 'active' });
      }
      out.push(svc);
    }
    return out.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
  }
}
