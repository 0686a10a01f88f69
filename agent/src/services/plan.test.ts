// Service planning: minimal diffs, stable ids across restarts, and map consistency after
// every single write (a packet in flight never finds a slot without its backend).
import { describe, expect, it } from 'vitest';
import { IdAllocator } from './ids.js';
import { BACKEND_TERMINATING, SVC_F_AFFINITY, emptyServiceMaps, svcKeyString, type ServiceMaps, type WantedFrontend } from './model.js';
import { ServicePlanner, applyOps } from './plan.js';

type B = WantedFrontend['backends'][number];
const fe = (addr: string, port: number, backends: B[], extra: Partial<WantedFrontend> = {}): WantedFrontend => ({
  addr, port, proto: 6, kind: 'ClusterIP', service: { namespace: 'ns', name: `svc-${addr}` }, portName: '',
  affinityTimeout: 0, local: false, backends, ...extra,
});
const be = (addr: string, port = 8080, state: B['state'] = 'active'): B => ({ addr, port, state });

/** Every frontend's slots 1..count exist and point at existing backends; rev-NAT exists. */
function consistent(m: ServiceMaps): string[] {
  const errs: string[] = [];
  for (const { key, val } of m.services.values()) {
    if (key.slot !== 0) continue;
    if (!m.revNat.has(val.revNatId)) errs.push(`${svcKeyString(key)} rev-NAT ${val.revNatId} missing`);
    for (let s = 1; s <= val.count; s++) {
      const slot = m.services.get(svcKeyString({ ...key, slot: s }));
      if (!slot) errs.push(`${svcKeyString(key)} slot ${s} missing`);
      else if (!m.backends.has(slot.val.backendId)) errs.push(`${svcKeyString(key)} slot ${s} backend ${slot.val.backendId} missing`);
    }
  }
  return errs;
}

function applyStepwise(m: ServiceMaps, phases: ReturnType<ServicePlanner['plan']>['phases']): void {
  for (const phase of phases) for (const op of phase) {
    applyOps(m, [op]);
    expect(consistent(m)).toEqual([]);
  }
}

describe('ServicePlanner', () => {
  it('programs frontends cold, then has nothing to do', () => {
    const p = new ServicePlanner();
    const maps = emptyServiceMaps();
    const want = [fe('10.96.0.10', 80, [be('10.200.0.5'), be('10.200.1.5')]), fe('10.96.0.11', 53, [be('10.200.0.5', 53)], { proto: 17 })];
    const plan = p.plan(want, maps);
    applyStepwise(maps, plan.phases);
    expect(maps.services.size).toBe(2 + 3);
    expect(maps.backends.size).toBe(3);
    expect(p.plan(want, maps).phases).toEqual([]);
  });

  it('orders active backends first and counts them; session affinity sets its flag', () => {
    const p = new ServicePlanner();
    const maps = emptyServiceMaps();
    applyStepwise(maps, p.plan([fe('10.96.0.10', 80, [be('10.200.0.9', 80, 'terminating'), be('10.200.0.2', 80), be('10.200.0.3', 80, 'excluded')], { affinityTimeout: 300 })], maps).phases);
    const slot0 = maps.services.get('10.96.0.10:80/TCP#0')!.val;
    expect(slot0).toMatchObject({ count: 2, active: 1, flags: SVC_F_AFFINITY, affinityTimeout: 300 });
    const slot2 = maps.services.get('10.96.0.10:80/TCP#2')!.val;
    expect(maps.backends.get(slot2.backendId)).toEqual({ addr: '10.200.0.9', port: 80, state: BACKEND_TERMINATING });
  });

  it('scales down and up with consistent maps after every write, keeping backend ids', () => {
    const p = new ServicePlanner();
    const maps = emptyServiceMaps();
    applyStepwise(maps, p.plan([fe('10.96.0.10', 80, [be('10.200.0.1'), be('10.200.0.2'), be('10.200.0.3')])], maps).phases);
    const id3 = [...maps.backends].find(([, b]) => b.addr === '10.200.0.3')![0];
    applyStepwise(maps, p.plan([fe('10.96.0.10', 80, [be('10.200.0.1'), be('10.200.0.3')])], maps).phases);
    expect(maps.services.get('10.96.0.10:80/TCP#0')!.val.count).toBe(2);
    expect(maps.services.has('10.96.0.10:80/TCP#3')).toBe(false);
    expect([...maps.backends].find(([, b]) => b.addr === '10.200.0.3')![0]).toBe(id3);
    expect([...maps.backends.values()].some((b) => b.addr === '10.200.0.2')).toBe(false);
    applyStepwise(maps, p.plan([fe('10.96.0.10', 80, [be('10.200.0.1'), be('10.200.0.3'), be('10.200.0.4'), be('10.200.0.5')])], maps).phases);
    expect(maps.services.get('10.96.0.10:80/TCP#0')!.val.count).toBe(4);
  });

  it('after a restart adopts the ids in the maps and removes what is stale', () => {
    const first = new ServicePlanner();
    const maps = emptyServiceMaps();
    const want = [fe('10.96.0.10', 80, [be('10.200.0.1')]), fe('10.96.0.12', 80, [be('10.200.0.2')])];
    applyStepwise(maps, first.plan(want, maps).phases);
    const before = structuredClone(maps);
    const second = new ServicePlanner();
    second.seed(maps);
    // Restart with one service deleted while the agent was down.
    const plan = second.plan([want[0]!], maps);
    applyStepwise(maps, plan.phases);
    expect(maps.services.get('10.96.0.10:80/TCP#0')).toEqual(before.services.get('10.96.0.10:80/TCP#0'));
    expect(maps.services.has('10.96.0.12:80/TCP#0')).toBe(false);
    expect(maps.backends.size).toBe(1);
    expect(maps.revNat.size).toBe(1);
    expect(plan.phases.flat().every((op) => op.op === 'delete')).toBe(true);
  });

  it('repairs drift (a slot deleted behind its back) with a single write', () => {
    const p = new ServicePlanner();
    const maps = emptyServiceMaps();
    const want = [fe('10.96.0.10', 80, [be('10.200.0.1'), be('10.200.0.2')])];
    applyStepwise(maps, p.plan(want, maps).phases);
    maps.services.delete('10.96.0.10:80/TCP#2');
    const plan = p.plan(want, maps);
    expect(plan.phases.flat()).toHaveLength(1);
  });

  it('stays consistent through random changes (seeded)', () => {
    let seed = 42;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const p = new ServicePlanner();
    const maps = emptyServiceMaps();
    for (let round = 0; round < 200; round++) {
      const want: WantedFrontend[] = [];
      for (let s = 0; s < 1 + rnd(6); s++) {
        const bs: B[] = [];
        for (let b = 0; b < rnd(5); b++) bs.push(be(`10.200.0.${1 + rnd(8)}`, 80, (['active', 'terminating', 'excluded'] as const)[rnd(3)]));
        want.push(fe(`10.96.0.${10 + rnd(8)}`, 80, bs));
      }
      const plan = p.plan(want, maps);
      applyStepwise(maps, plan.phases);
      expect(maps).toEqual(plan.next);
      expect(p.plan(want, maps).phases).toEqual([]);
    }
  });

  it('warns about two services claiming one frontend', () => {
    const p = new ServicePlanner();
    const plan = p.plan([fe('10.96.0.10', 80, []), fe('10.96.0.10', 80, [])], emptyServiceMaps());
    expect(plan.warnings[0]).toMatch(/also claimed/);
  });
});

describe('IdAllocator', () => {
  it('does not reuse a freed id before wrapping, and reports exhaustion', () => {
    const ids = new IdAllocator(1, 3, 'test');
    expect(ids.acquire('a')).toBe(1);
    expect(ids.acquire('b')).toBe(2);
    ids.release('a');
    expect(ids.acquire('c')).toBe(3);
    expect(ids.acquire('d')).toBe(1);
    expect(() => ids.acquire('e')).toThrow(/exhausted/);
    expect(ids.acquire('b')).toBe(2);
  });

  it('seeds from existing ids and continues after the highest', () => {
    const ids = new IdAllocator(1, 100, 'test');
    expect(ids.seed('x', 7)).toBe(true);
    expect(ids.seed('y', 7)).toBe(false);
    expect(ids.acquire('z')).toBe(8);
  });
});
