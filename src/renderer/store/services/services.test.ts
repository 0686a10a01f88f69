// The services slice over a real store fed through applyDelta (what watch deltas do): rows, incremental updates, query, time slicing.
import { describe, expect, it } from 'vitest';
import type { WatchDelta, WireObject } from '../../../shared/contract/index.js';
import { createLumenStore } from '../index.js';
import { queryRows, serviceRow, SortedOrders, type ServiceRow } from './rows.js';
import { ServicesSync } from './sync.js';
import { serviceObject, sliceObject, syntheticCluster } from './testing.js';

function delta(kind: WatchDelta['kind'], upserted: WireObject[], reset = false, deleted: string[] = []): WatchDelta {
  return { subscription: 's1', kind, source: reset ? 'snapshot' : 'watch', reset, upserted, deleted, resourceVersion: '1' };
}

function storeWith(services: WireObject[], slices: WireObject[]) {
  const store = createLumenStore();
  store.getState().setSubscription('s1');
  store.getState().applyDelta(delta('services', services, true));
  store.getState().applyDelta(delta('endpointslices', slices, true));
  store.getState().flushServices();
  return store;
}

describe('services slice', () => {
  it('builds one row per Service from the caches, with backend counts from its EndpointSlices', () => {
    const store = storeWith(
      [serviceObject('shop', 'web', '10.96.0.10'), serviceObject('shop', 'db', '10.96.0.11', [{ name: 'pg', port: 5432 }])],
      [sliceObject('shop', 'web', [{ ip: '10.200.0.1', node: 'n1' }, { ip: '10.200.0.2', node: 'n2', ready: false, serving: true, terminating: true }])],
    );
    const { rows, visible } = store.getState().services;
    expect(visible).toEqual(['shop/db', 'shop/web']);
    const web = rows.get('shop/web')!.summary;
    expect(web.frontends).toEqual(['10.96.0.10:80/TCP']);
    expect(web.backends).toEqual({ total: 2, ready: 1, serving: 2, terminating: 1 });
    expect(rows.get('shop/db')!.summary.backends.total).toBe(0);
  });

  it('updates only the service a delta touches, keeping the other rows (and their identity)', () => {
    const store = storeWith([serviceObject('a', 'one', '10.96.0.1'), serviceObject('a', 'two', '10.96.0.2')], [sliceObject('a', 'one', [{ ip: '10.200.0.1' }])]);
    const before = store.getState().services.rows;
    store.getState().applyDelta(delta('endpointslices', [sliceObject('a', 'one', [{ ip: '10.200.0.1' }, { ip: '10.200.0.9' }])]));
    // Not flushed yet: the recomputation is scheduled, the store says it is syncing.
    expect(store.getState().services.syncing).toBe(true);
    store.getState().flushServices();
    const after = store.getState().services.rows;
    expect(after.get('a/one')!.summary.backends.total).toBe(2);
    expect(after.get('a/one')).not.toBe(before.get('a/one'));
    expect(after.get('a/two')).toBe(before.get('a/two'));

    store.getState().applyDelta(delta('services', [], false, ['a/two']));
    store.getState().flushServices();
    expect(store.getState().services.visible).toEqual(['a/one']);
  });

  it('filters by namespace and every search term, sorts by column either way', () => {
    const store = storeWith(
      [serviceObject('shop', 'web', '10.96.0.30'), serviceObject('shop', 'api', '10.96.0.20', [{ port: 8443 }]), serviceObject('ops', 'web', '10.96.0.10')],
      [sliceObject('shop', 'api', [{ ip: '10.200.0.1' }, { ip: '10.200.0.2' }], [{ port: 8443 }])],
    );
    const s = () => store.getState();
    s().setServiceQuery({ namespace: 'shop' });
    expect(s().services.visible).toEqual(['shop/api', 'shop/web']);
    s().setServiceQuery({ namespace: null, search: 'WEB 10.96.0.1' });
    expect(s().services.visible).toEqual(['ops/web']);
    s().setServiceQuery({ search: '8443' });
    expect(s().services.visible).toEqual(['shop/api']);
    s().setServiceQuery({ search: '', sort: 'clusterIP', desc: true });
    expect(s().services.visible).toEqual(['shop/web', 'shop/api', 'ops/web']);
    s().setServiceQuery({ sort: 'ready', desc: true });
    expect(s().services.visible[0]).toBe('shop/api');
  });

  it('recomputes a large reset in time-boxed chunks', () => {
    const { services, slices } = syntheticCluster(600, 10);
    const sync = new ServicesSync();
    const byKey = (objs: WireObject[]) => new Map(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
    sync.ingest(byKey(services), byKey(slices));
    let clock = 0;
    // A fake clock that advances 1 ms per read: each call stops at its 5 ms deadline.
    const now = () => ++clock;
    let calls = 0;
    const sizes: number[] = [];
    while (sync.hasPending) {
      sync.work(clock + 5, now);
      sizes.push(sync.snapshot().size);
      calls++;
    }
    // The diff (1,200 objects) and the 600 services took many short steps, rows growing as they went.
    expect(calls).toBeGreaterThan(10);
    expect(sizes.some((n) => n > 0 && n < 600)).toBe(true);
    expect(sync.snapshot().size).toBe(600);
    expect([...sync.snapshot().values()].reduce((n, r) => n + r.summary.backends.total, 0)).toBe(6000);
  });

  it('patches cached sorted orders for a few changed rows exactly as a full sort would order them', () => {
    const summary = (name: string, ns: string, ip: string, ready: number) => ({ key: `${ns}/${name}`, namespace: ns, name, type: 'ClusterIP' as const, clusterIP: ip, ports: [], frontends: [], nodePorts: [], externalIPs: [], backends: { total: ready + 1, ready, serving: ready, terminating: 0 }, sessionAffinity: 'None' as const, externalTrafficPolicy: 'Cluster' as const, internalTrafficPolicy: 'Cluster' as const, headless: false });
    let rows = new Map<string, ServiceRow>();
    for (let i = 0; i < 300; i++) {
      const r = serviceRow(summary(`s${(i * 7919) % 300}`, `ns${i % 5}`, `10.96.${i % 3}.${(i * 31) % 250}`, i % 9));
      rows.set(r.key, r);
    }
    const patched = new SortedOrders();
    for (const key of ['name', 'clusterIP', 'ready'] as const) patched.get(rows, key);
    for (let round = 0; round < 20; round++) {
      const next = new Map(rows);
      const changed = new Set<string>();
      for (let j = 0; j < 3; j++) {
        const k = (round * 13 + j * 101) % 400;
        const key = `ns${k % 5}/s${k}`;
        changed.add(key);
        if (k % 4 === 0) next.delete(key);
        else next.set(key, serviceRow(summary(`s${k}`, `ns${k % 5}`, `10.96.9.${k % 250}`, (k + round) % 9)));
      }
      patched.patch(next, changed);
      rows = next;
      for (const sort of ['name', 'clusterIP', 'ready'] as const) {
        const q = { namespace: null, search: '', sort, desc: false };
        expect(queryRows(rows, q, patched)).toEqual(queryRows(rows, q, new SortedOrders()));
      }
    }
  });

  it('keeps sorted orders until the rows change', () => {
    const rows = new Map<string, ServiceRow>();
    for (const name of ['c', 'a', 'b']) {
      const r = serviceRow({ key: `ns/${name}`, namespace: 'ns', name, type: 'ClusterIP', ports: [], frontends: [], nodePorts: [], externalIPs: [], backends: { total: 0, ready: 0, serving: 0, terminating: 0 }, sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', headless: false });
      rows.set(r.key, r);
    }
    const orders = new SortedOrders();
    expect(queryRows(rows, { namespace: null, search: '', sort: 'name', desc: false }, orders)).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(orders.get(rows, 'name')).toBe(orders.get(rows, 'name'));
    expect(queryRows(rows, { namespace: null, search: '', sort: 'name', desc: true }, orders)).toEqual(['ns/c', 'ns/b', 'ns/a']);
  });
});
