// Tests of the watch hub: shared caches per kind, resets then deltas per subscriber, cleanup.
import { afterEach, describe, expect, it } from 'vitest';
import { LumenError, type EventChannel, type ResourceKind, type WatchDelta, type WireObject } from '../../../shared/contract/index.js';
import { ScriptedTransport, settle } from '../../../shared/watch/testing.js';
import { WatchHub, type Subscriber } from './hub.js';

const node = (name: string, rv: string): WireObject => ({ metadata: { name, resourceVersion: rv } });

function subscriber(id: string) {
  const deltas: WatchDelta[] = [];
  const s: Subscriber = {
    id,
    send: (event: EventChannel, payload: unknown) => {
      if (event === 'watch:delta') deltas.push(payload as WatchDelta);
    },
  };
  return { s, deltas };
}

let hub: WatchHub;
afterEach(() => hub?.dispose());

function setup() {
  const transport = new ScriptedTransport<ResourceKind, WireObject>();
  const statuses: unknown[] = [];
  hub = new WatchHub({ broadcast: (_e, p) => statuses.push(p), cacheOptions: { batchMs: 0 } });
  hub.attach({ transport, classify: (e) => LumenError.of('unreachable', String(e)) });
  return { transport, statuses };
}

describe('WatchHub', () => {
  it('starts one cache per kind on demand and shares it between subscribers', async () => {
    const { transport } = setup();
    transport.listAnswers.push({ items: [node('n1', '1'), node('n2', '2')], resourceVersion: '10' });
    const a = subscriber('a');
    hub.subscribe(a.s, ['nodes']);
    await settle();
    expect(transport.listCalls).toBe(1);
    expect(a.deltas).toEqual([
      { subscription: expect.any(String), kind: 'nodes', source: 'list', reset: true, upserted: [node('n1', '1'), node('n2', '2')], deleted: [], resourceVersion: '10' },
    ]);

    const b = subscriber('b');
    hub.subscribe(b.s, ['nodes']);
    expect(transport.listCalls).toBe(1);
    expect(b.deltas[0]).toMatchObject({ source: 'snapshot', reset: true, upserted: [node('n1', '1'), node('n2', '2')] });

    transport.lastWatch.emit({ type: 'MODIFIED', object: node('n1', '11') });
    transport.lastWatch.emit({ type: 'DELETED', object: node('n2', '12') });
    await settle();
    for (const { deltas } of [a, b]) {
      expect(deltas.at(-1)).toMatchObject({ source: 'watch', reset: false, upserted: [node('n1', '11')], deleted: ['n2'], resourceVersion: '12' });
    }
    expect(hub.statuses()).toEqual([{ kind: 'nodes', status: 'watching', synced: true, count: 1, error: null }]);
  });

  it('stops a cache when its last subscriber leaves, and on detach keeps subscriptions for the next connection', async () => {
    const { transport } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '1' });
    const a = subscriber('a');
    const id = hub.subscribe(a.s, ['pods']);
    await settle();
    const watch = transport.lastWatch;
    expect(hub.unsubscribe(subscriber('intruder').s, id)).toBe(false);
    expect(hub.unsubscribe(a.s, id)).toBe(true);
    expect(watch.signal.aborted).toBe(true);
    expect(hub.statuses()).toEqual([]);

    const b = subscriber('b');
    hub.subscribe(b.s, ['services']);
    await settle();
    const next = new ScriptedTransport<ResourceKind, WireObject>();
    next.listAnswers.push({ items: [{ metadata: { name: 'web', namespace: 'prod' } }], resourceVersion: '5' });
    hub.attach({ transport: next, classify: (e) => LumenError.of('unreachable', String(e)) });
    await settle();
    expect(b.deltas.at(-1)).toMatchObject({ kind: 'services', reset: true, upserted: [{ metadata: { name: 'web', namespace: 'prod' } }] });
    hub.dropSubscriber(b.s);
    expect(next.lastWatch.signal.aborted).toBe(true);
  });

  it('reports a failing watch with a classified error', async () => {
    const { transport, statuses } = setup();
    transport.listAnswers.push(new Error('connect ECONNREFUSED'));
    hub.subscribe(subscriber('a').s, ['namespaces']);
    await settle();
    expect(statuses.at(-1)).toMatchObject({ kind: 'namespaces', status: 'backoff', synced: false, error: { code: 'unreachable' } });
  });
});
