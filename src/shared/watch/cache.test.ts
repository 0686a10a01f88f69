// Tests of the list+watch state machine with a manual clock and a scripted API server.
import { afterEach, describe, expect, it } from 'vitest';
import { WatchCache } from './cache.js';
import { ManualTimers, ScriptedTransport, settle } from './testing.js';
import type { KubeObject, WatchBatch, WatchCacheStatus } from './types.js';

interface Pod extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion: string };
  phase?: string;
}
const pod = (name: string, rv: string, phase = 'Running'): Pod => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, phase });

let caches: WatchCache<'pods', Pod>[] = [];
afterEach(async () => {
  for (const c of caches) c.dispose();
  await Promise.all(caches.map((c) => c.stopped()));
  caches = [];
});

function setup(opts: { idleMs?: number } = {}) {
  const timers = new ManualTimers();
  const transport = new ScriptedTransport<'pods', Pod>();
  const batches: WatchBatch<'pods', Pod>[] = [];
  const statuses: WatchCacheStatus[] = [];
  const logs: string[] = [];
  const cache = new WatchCache<'pods', Pod>({
    kind: 'pods',
    transport,
    timers,
    random: () => 0,
    backoff: { initialMs: 500, maxMs: 4000, factor: 2, jitter: 0.5 },
    batchMs: 20,
    idleMs: opts.idleMs ?? 0,
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  cache.subscribe((b) => batches.push(b));
  cache.onStatus((s) => statuses.push(s));
  caches.push(cache);
  return { timers, transport, batches, statuses, logs, cache };
}

describe('WatchCache', () => {
  it('lists, then watches from the list resourceVersion and delivers batched changes', async () => {
    const { timers, transport, batches, cache } = setup();
    transport.listAnswers.push({ items: [pod('a', '5'), pod('b', '6')], resourceVersion: '100' });
    cache.start();
    await cache.whenSynced();
    await settle();
    expect(cache.isSynced).toBe(true);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.source).toBe('list');
    expect(batches[0]!.changes.map((c) => c.key)).toEqual(['ns/a', 'ns/b']);
    expect(transport.lastWatch.resourceVersion).toBe('100');
    expect(cache.status).toBe('watching');

    transport.lastWatch.emit({ type: 'MODIFIED', object: pod('a', '101', 'Failed') });
    transport.lastWatch.emit({ type: 'ADDED', object: pod('c', '102') });
    await settle();
    expect(batches).toHaveLength(1); // still inside the batch window
    await timers.advance(20);
    expect(batches).toHaveLength(2);
    expect(batches[1]!.source).toBe('watch');
    expect(batches[1]!.changes.map((c) => `${c.type} ${c.key}`)).toEqual(['modified ns/a', 'added ns/c']);
    expect(cache.get('ns/a')?.phase).toBe('Failed');
    expect(cache.resourceVersion).toBe('102');
  });

  it('resumes from the latest bookmark after the server closes the stream, without relisting', async () => {
    const { timers, transport, cache } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '1' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '77' } } });
    transport.lastWatch.end();
    await timers.advance(0);
    expect(transport.watches).toHaveLength(2);
    expect(transport.lastWatch.resourceVersion).toBe('77');
    expect(transport.listCalls).toBe(1);
  });

  it('relists on a 410 ERROR event and reports only the diff as a relist batch', async () => {
    const { timers, transport, batches, cache } = setup();
    transport.listAnswers.push({ items: [pod('same', '1'), pod('old', '2'), pod('edited', '3')], resourceVersion: '10' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.listAnswers.push({ items: [pod('same', '1'), pod('edited', '30'), pod('new', '31')], resourceVersion: '40' });
    const first = transport.lastWatch;
    first.emit({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old resource version: 10 (35)' } });
    await timers.advance(0);
    expect(first.signal.aborted).toBe(true);
    expect(transport.listCalls).toBe(2);
    const relist = batches.at(-1)!;
    expect(relist.source).toBe('relist');
    expect(relist.changes.map((c) => `${c.type} ${c.key}`)).toEqual(['deleted ns/old', 'modified ns/edited', 'added ns/new']);
    expect([...cache.snapshot().keys()].sort()).toEqual(['ns/edited', 'ns/new', 'ns/same']);
    expect(transport.lastWatch.resourceVersion).toBe('40');
  });

  it('relists when the watch request itself fails with 410', async () => {
    const { timers, transport, cache } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '10' }, { items: [pod('x', '50')], resourceVersion: '50' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.fail(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await timers.advance(0);
    expect(transport.listCalls).toBe(2);
    expect(cache.get('ns/x')).toBeDefined();
    expect(transport.lastWatch.resourceVersion).toBe('50');
  });

  it('backs off on repeated 410s right after relisting instead of spinning', async () => {
    const { timers, transport, cache } = setup();
    for (let i = 0; i < 4; i++) transport.listAnswers.push({ items: [], resourceVersion: String(i) });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.fail(Object.assign(new Error('Gone'), { code: 410 }));
    await timers.advance(0);
    expect(transport.listCalls).toBe(2); // first 410: relist at once
    transport.lastWatch.fail(Object.assign(new Error('Gone'), { code: 410 }));
    await timers.advance(0);
    expect(transport.listCalls).toBe(2); // second in a row: wait
    expect(cache.status).toBe('backoff');
    await timers.advance(500);
    expect(transport.listCalls).toBe(3);
  });

  it('reconnects a failed watch from the last resourceVersion with growing, jittered delays', async () => {
    const { timers, transport, statuses, cache } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '10' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.emit({ type: 'ADDED', object: pod('a', '11') });
    const reset = () => transport.lastWatch.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    reset(); // this watch had delivered events: reconnect at once
    await timers.advance(0);
    expect(transport.watches).toHaveLength(2);
    expect(transport.lastWatch.resourceVersion).toBe('11');
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      reset();
      await settle();
      delays.push(timers.pending()[0]!);
      await timers.advance(delays.at(-1)!);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]); // random() = 0: the full delay
    expect(transport.watches).toHaveLength(6);
    expect(transport.listCalls).toBe(1);
    expect(statuses).toContain('backoff');
    expect(cache.lastError).toBeInstanceOf(Error);
  });

  it('retries a failed first list with backoff and syncs when the server answers', async () => {
    const { timers, transport, cache, logs } = setup();
    transport.listAnswers.push(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { items: [pod('a', '1')], resourceVersion: '1' });
    cache.start();
    await settle();
    expect(cache.isSynced).toBe(false);
    expect(cache.status).toBe('backoff');
    expect(logs.some((l) => l.startsWith('warn list failed: connect ECONNREFUSED'))).toBe(true);
    await timers.advance(500);
    await cache.whenSynced();
    expect(cache.snapshot().size).toBe(1);
  });

  it('backs off when watches end at once without events', async () => {
    const { timers, transport, cache } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '10' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.end();
    await timers.advance(0);
    expect(transport.watches).toHaveLength(1);
    expect(timers.pending()).toEqual([500]);
    await timers.advance(500);
    expect(transport.watches).toHaveLength(2);
  });

  it('treats a silent watch as dead after idleMs', async () => {
    const { timers, transport, cache } = setup({ idleMs: 60_000 });
    transport.listAnswers.push({ items: [], resourceVersion: '10' });
    cache.start();
    await cache.whenSynced();
    await settle();
    const first = transport.lastWatch;
    await timers.advance(59_000);
    first.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
    await timers.advance(59_000);
    expect(first.signal.aborted).toBe(false);
    await timers.advance(1_000);
    expect(first.signal.aborted).toBe(true);
    await timers.advance(0);
    expect(transport.watches).toHaveLength(2);
    expect(transport.lastWatch.resourceVersion).toBe('12');
  });

  it('delivers a batch at once when it reaches maxBatch', async () => {
    const timers = new ManualTimers();
    const transport = new ScriptedTransport<'pods', Pod>();
    const cache = new WatchCache<'pods', Pod>({ kind: 'pods', transport, timers, batchMs: 1000, maxBatch: 3, idleMs: 0 });
    caches.push(cache);
    const sizes: number[] = [];
    cache.subscribe((b) => sizes.push(b.changes.length));
    transport.listAnswers.push({ items: [], resourceVersion: '1' });
    cache.start();
    await cache.whenSynced();
    await settle();
    for (let i = 0; i < 7; i++) transport.lastWatch.emit({ type: 'ADDED', object: pod(`p${i}`, String(10 + i)) });
    expect(sizes).toEqual([0, 3, 3]);
    await timers.advance(1000);
    expect(sizes).toEqual([0, 3, 3, 1]);
  });

  it('keeps going when a subscriber throws', async () => {
    const { timers, transport, cache, batches, logs } = setup();
    cache.subscribe(() => {
      throw new Error('boom');
    });
    transport.listAnswers.push({ items: [], resourceVersion: '1' });
    cache.start();
    await cache.whenSynced();
    await settle();
    transport.lastWatch.emit({ type: 'ADDED', object: pod('a', '2') });
    await timers.advance(20);
    expect(batches).toHaveLength(2);
    expect(logs).toContain('error a batch listener threw');
  });

  it('aborts the in-flight watch on dispose and stops for good', async () => {
    const { transport, cache, statuses } = setup();
    transport.listAnswers.push({ items: [], resourceVersion: '1' });
    cache.start();
    await cache.whenSynced();
    await settle();
    const w = transport.lastWatch;
    cache.dispose();
    await cache.stopped();
    expect(w.signal.aborted).toBe(true);
    expect(cache.status).toBe('disposed');
    expect(statuses.at(-1)).toBe('disposed');
    cache.start();
    await settle();
    expect(transport.watches).toHaveLength(1);
    expect(transport.listCalls).toBe(1);
  });

  it('rejects whenSynced when disposed before the first list', async () => {
    const { cache } = setup();
    cache.start(); // no list answer queued: the list fails and the cache waits in backoff
    const synced = cache.whenSynced();
    await settle();
    cache.dispose();
    await expect(synced).rejects.toThrow(/disposed before the first list/);
    await cache.stopped();
  });
});
