// Service programming as a pure diff: wanted frontends + what the maps hold → ordered
// phases of map writes. Order matters for packets in flight: backends and rev-NAT entries
// exist before a slot points at them, a frontend's slots exist before its count grows,
// the count shrinks before slots disappear, and backends go last.
import { IdAllocator } from './ids.js';
import {
  BACKEND_ACTIVE,
  BACKEND_TERMINATING,
  SVC_F_AFFINITY,
  SVC_F_LOCAL,
  SVC_F_NODEPORT,
  backendKey,
  emptyServiceMaps,
  frontendKey,
  svcKeyString,
  type BackendVal,
  type MapOp,
  type RevNatVal,
  type ServiceMaps,
  type SvcKey,
  type SvcVal,
  type WantedFrontend,
} from './model.js';

export interface Plan {
  /** Apply in order; ops within a phase are independent (batchable). */
  phases: MapOp[][];
  /** The map content after the plan is applied. */
  next: ServiceMaps;
  /** Frontend key → rev-NAT id (the frontend's stable id). */
  frontendIds: Map<string, number>;
  warnings: string[];
}

const sameSvc = (a: SvcVal, b: SvcVal): boolean =>
  a.backendId === b.backendId && a.count === b.count && a.active === b.active && a.revNatId === b.revNatId &&
  a.flags === b.flags && a.affinityTimeout === b.affinityTimeout;
const sameBackend = (a: BackendVal, b: BackendVal): boolean => a.addr === b.addr && a.port === b.port && a.state === b.state;
const sameRevNat = (a: RevNatVal, b: RevNatVal): boolean => a.addr === b.addr && a.port === b.port;

export class ServicePlanner {
  readonly backendIds = new IdAllocator(1, 0x7fffffff, 'backend');
  readonly revNatIds = new IdAllocator(1, 0xffff, 'rev-NAT');

  /** Adopts the ids found in the maps, so a restarted agent keeps every id it wrote. */
  seed(realized: ServiceMaps): void {
    for (const { key, val } of realized.services.values()) {
      if (key.slot === 0 && val.revNatId) this.revNatIds.seed(frontendKey(key.addr, key.port, key.proto), val.revNatId);
    }
    for (const [id, b] of realized.backends) this.backendIds.seed(backendKey(b.addr, b.port), id);
  }

  plan(wanted: WantedFrontend[], realized: ServiceMaps): Plan {
    const warnings: string[] = [];
    const desired = emptyServiceMaps();
    const frontendIds = new Map<string, number>();
    const usedBackendKeys = new Set<string>();

    for (const f of wanted) {
      const fk = frontendKey(f.addr, f.port, f.proto);
      if (frontendIds.has(fk)) {
        warnings.push(`frontend ${fk} of ${f.service.namespace}/${f.service.name} is also claimed by another service: ignored`);
        continue;
      }
      const byAddr = new Map<string, { addr: string; port: number; active: boolean }>();
      for (const b of f.backends) {
        if (b.state === 'excluded') continue;
        const k = backendKey(b.addr, b.port);
        const prev = byAddr.get(k);
        byAddr.set(k, { addr: b.addr, port: b.port, active: (prev?.active ?? false) || b.state === 'active' });
      }
      const order = (x: { addr: string; port: number }) => backendKey(x.addr, x.port);
      const list = [...byAddr.values()].sort((a, b) => (a.active === b.active ? (order(a) < order(b) ? -1 : 1) : a.active ? -1 : 1));
      const active = list.filter((b) => b.active).length;
      const revNatId = this.revNatIds.acquire(fk);
      frontendIds.set(fk, revNatId);
      desired.revNat.set(revNatId, { addr: f.addr, port: f.port });
      let flags = 0;
      if (f.kind === 'NodePort') flags |= SVC_F_NODEPORT;
      if (f.local) flags |= SVC_F_LOCAL;
      if (f.affinityTimeout > 0) flags |= SVC_F_AFFINITY;
      const base = { addr: f.addr, port: f.port, proto: f.proto };
      desired.services.set(svcKeyString({ ...base, slot: 0 }), {
        key: { ...base, slot: 0 },
        val: { backendId: 0, count: list.length, active, revNatId, flags, affinityTimeout: f.affinityTimeout },
      });
      list.forEach((b, i) => {
        const bk = backendKey(b.addr, b.port);
        const id = this.backendIds.acquire(bk);
        usedBackendKeys.add(bk);
        const state = b.active ? BACKEND_ACTIVE : BACKEND_TERMINATING;
        const prev = desired.backends.get(id);
        // A backend shared by frontends is active if any of them sees it active.
        desired.backends.set(id, { addr: b.addr, port: b.port, state: prev?.state === BACKEND_ACTIVE ? BACKEND_ACTIVE : state });
        const key: SvcKey = { ...base, slot: i + 1 };
        desired.services.set(svcKeyString(key), { key, val: { backendId: id, count: 0, active: 0, revNatId: 0, flags: 0, affinityTimeout: 0 } });
      });
    }

    const upBackends: MapOp[] = [];
    const upRevNat: MapOp[] = [];
    const upSlots: MapOp[] = [];
    const upFrontends: MapOp[] = [];
    const delFrontends: MapOp[] = [];
    const delSlots: MapOp[] = [];
    const delRest: MapOp[] = [];

    for (const [id, val] of desired.backends) {
      const have = realized.backends.get(id);
      if (!have || !sameBackend(have, val)) upBackends.push({ map: 'backends', op: 'update', key: id, val });
    }
    for (const [id, val] of desired.revNat) {
      const have = realized.revNat.get(id);
      if (!have || !sameRevNat(have, val)) upRevNat.push({ map: 'revNat', op: 'update', key: id, val });
    }
    for (const [k, { key, val }] of desired.services) {
      const have = realized.services.get(k);
      if (have && sameSvc(have.val, val)) continue;
      (key.slot === 0 ? upFrontends : upSlots).push({ map: 'services', op: 'update', key, val });
    }
    for (const [k, { key }] of realized.services) {
      if (desired.services.has(k)) continue;
      (key.slot === 0 ? delFrontends : delSlots).push({ map: 'services', op: 'delete', key });
    }
    for (const id of realized.revNat.keys()) if (!desired.revNat.has(id)) delRest.push({ map: 'revNat', op: 'delete', key: id });
    for (const id of realized.backends.keys()) if (!desired.backends.has(id)) delRest.push({ map: 'backends', op: 'delete', key: id });

    // Ids of frontends and backends that are gone can be handed out again (after a wrap).
    for (const fk of [...this.revNatIds.keys()]) if (!frontendIds.has(fk)) this.revNatIds.release(fk);
    for (const bk of [...this.backendIds.keys()]) if (!usedBackendKeys.has(bk)) this.backendIds.release(bk);

    const phases = [upBackends, upRevNat, upSlots, upFrontends, delFrontends, delSlots, delRest].filter((p) => p.length > 0);
    return { phases, next: desired, frontendIds, warnings };
  }
}

/** Applies a plan's ops to an in-memory copy of the maps (what the kernel maps become). */
export function applyOps(maps: ServiceMaps, ops: MapOp[]): void {
  for (const op of ops) {
    if (op.map === 'services') {
      const k = svcKeyString(op.key);
      if (op.op === 'update') maps.services.set(k, { key: op.key, val: op.val });
      else maps.services.delete(k);
    } else if (op.map === 'backends') {
      if (op.op === 'update') maps.backends.set(op.key, op.val);
      else maps.backends.delete(op.key);
    } else if (op.op === 'update') maps.revNat.set(op.key, op.val);
    else maps.revNat.delete(op.key);
  }
}
