// Tests of the pure cache reducer: events, replays, coalescing and relist diffs.
import { describe, expect, it } from 'vitest';
import { applyWatchEvent, applyWatchEvents, emptyCacheState, objectKey, replaceCache, type CacheState } from './reducer.js';
import type { KubeObject, WatchEvent } from './types.js';

interface Pod extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
}

const pod = (name: string, rv: string, nodeName = 'n1', namespace = 'default'): Pod => ({
  metadata: { name, namespace, resourceVersion: rv },
  spec: { nodeName },
});

function stateOf(...pods: Pod[]): CacheState<Pod> {
  return replaceCache(emptyCacheState<Pod>(), pods, '10').state;
}

describe('objectKey', () => {
  it('uses namespace/name for namespaced and name for cluster-scoped objects', () => {
    expect(objectKey(pod('a', '1'))).toBe('default/a');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
  });
  it('rejects objects without a name', () => {
    expect(() => objectKey({ metadata: { namespace: 'x' } })).toThrow(/metadata\.name/);
  });
});

describe('applyWatchEvent', () => {
  it('adds, modifies and deletes, tracking the resourceVersion', () => {
    let s = emptyCacheState<Pod>();
    let r = applyWatchEvent(s, { type: 'ADDED', object: pod('a', '11') });
    expect(r.changes).toEqual([{ type: 'added', key: 'default/a', object: pod('a', '11') }]);
    expect(r.state.resourceVersion).toBe('11');
    s = r.state;
    r = applyWatchEvent(s, { type: 'MODIFIED', object: pod('a', '12', 'n2') });
    expect(r.changes).toEqual([{ type: 'modified', key: 'default/a', object: pod('a', '12', 'n2'), previous: pod('a', '11') }]);
    s = r.state;
    r = applyWatchEvent(s, { type: 'DELETED', object: pod('a', '13', 'n2') });
    expect(r.changes).toEqual([{ type: 'deleted', key: 'default/a', object: pod('a', '12', 'n2') }]);
    expect(r.state.objects.size).toBe(0);
    expect(r.state.resourceVersion).toBe('13');
  });

  it('never mutates the input state', () => {
    const s = stateOf(pod('a', '1'));
    const before = new Map(s.objects);
    applyWatchEvent(s, { type: 'ADDED', object: pod('b', '2') });
    applyWatchEvent(s, { type: 'DELETED', object: pod('a', '3') });
    expect(new Map(s.objects)).toEqual(before);
    expect(s.resourceVersion).toBe('10');
  });

  it('treats MODIFIED of an unknown object as added and ADDED of a known one as modified', () => {
    const r1 = applyWatchEvent(emptyCacheState<Pod>(), { type: 'MODIFIED', object: pod('a', '5') });
    expect(r1.changes.map((c) => c.type)).toEqual(['added']);
    const r2 = applyWatchEvent(stateOf(pod('a', '1')), { type: 'ADDED', object: pod('a', '6') });
    expect(r2.changes.map((c) => c.type)).toEqual(['modified']);
  });

  it('ignores a replayed event carrying the resourceVersion already held', () => {
    const s = stateOf(pod('a', '7'));
    const r = applyWatchEvent(s, { type: 'MODIFIED', object: pod('a', '7', 'other') });
    expect(r.changes).toEqual([]);
    expect(r.state.objects).toBe(s.objects);
  });

  it('ignores DELETED of an unknown object but still advances the resourceVersion', () => {
    const r = applyWatchEvent(emptyCacheState<Pod>(), { type: 'DELETED', object: pod('ghost', '20') });
    expect(r.changes).toEqual([]);
    expect(r.state.resourceVersion).toBe('20');
  });

  it('moves only the resourceVersion on BOOKMARK and leaves ERROR to the caller', () => {
    const s = stateOf(pod('a', '1'));
    const b = applyWatchEvent(s, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '99' } } });
    expect(b.changes).toEqual([]);
    expect(b.state.objects).toBe(s.objects);
    expect(b.state.resourceVersion).toBe('99');
    const e = applyWatchEvent(s, { type: 'ERROR', object: { code: 500 } } as WatchEvent<Pod>);
    expect(e.state).toEqual(s);
  });
});

describe('applyWatchEvents', () => {
  it('coalesces a batch into net changes per object, in first-touch order', () => {
    const s = stateOf(pod('keep', '1'), pod('gone', '1'), pod('edit', '1'));
    const r = applyWatchEvents(s, [
      { type: 'ADDED', object: pod('tmp', '11') },
      { type: 'MODIFIED', object: pod('edit', '12', 'n2') },
      { type: 'DELETED', object: pod('tmp', '13') },
      { type: 'ADDED', object: pod('new', '14') },
      { type: 'MODIFIED', object: pod('new', '15', 'n3') },
      { type: 'DELETED', object: pod('gone', '16') },
      { type: 'MODIFIED', object: pod('edit', '17', 'n4') },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '18' } } },
    ]);
    expect(r.changes).toEqual([
      { type: 'modified', key: 'default/edit', object: pod('edit', '17', 'n4'), previous: pod('edit', '1') },
      { type: 'added', key: 'default/new', object: pod('new', '15', 'n3') },
      { type: 'deleted', key: 'default/gone', object: pod('gone', '1') },
    ]);
    expect([...r.state.objects.keys()].sort()).toEqual(['default/edit', 'default/keep', 'default/new']);
    expect(r.state.resourceVersion).toBe('18');
  });

  it('reports nothing when an object is deleted and re-added unchanged', () => {
    const s = stateOf(pod('a', '1'));
    const r = applyWatchEvents(s, [{ type: 'DELETED', object: pod('a', '2') }, { type: 'ADDED', object: pod('a', '1') }]);
    expect(r.changes).toEqual([]);
  });
});

describe('replaceCache', () => {
  it('reports only the difference between the old contents and the list', () => {
    const s = stateOf(pod('same', '1'), pod('changed', '1'), pod('removed', '1'));
    const r = replaceCache(s, [pod('same', '1'), pod('changed', '30', 'n9'), pod('fresh', '31')], '40');
    expect(r.changes).toEqual([
      { type: 'modified', key: 'default/changed', object: pod('changed', '30', 'n9'), previous: pod('changed', '1') },
      { type: 'deleted', key: 'default/removed', object: pod('removed', '1') },
      { type: 'added', key: 'default/fresh', object: pod('fresh', '31') },
    ]);
    expect(r.state.resourceVersion).toBe('40');
    expect(r.state.objects.size).toBe(3);
  });

  it('keeps objects with the same name in different namespaces apart', () => {
    const r = replaceCache(emptyCacheState<Pod>(), [pod('a', '1', 'n1', 'x'), pod('a', '2', 'n1', 'y')], '2');
    expect([...r.state.objects.keys()]).toEqual(['x/a', 'y/a']);
  });
});
