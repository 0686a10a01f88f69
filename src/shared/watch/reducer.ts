// Pure cache reducer: watch events and relists applied to an immutable snapshot, as net changes.
import type { KubeObject, WatchChange, WatchEvent } from './types.js';

/** An immutable cache snapshot: objects by key, and the resourceVersion it reflects. */
export interface CacheState<T extends KubeObject = KubeObject> {
  readonly objects: ReadonlyMap<string, T>;
  readonly resourceVersion: string;
}

export function emptyCacheState<T extends KubeObject>(): CacheState<T> {
  return { objects: new Map(), resourceVersion: '' };
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('watch: object without metadata.name cannot be cached');
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export interface ApplyResult<T extends KubeObject> {
  state: CacheState<T>;
  changes: WatchChange<T>[];
}

/** Applies one event. BOOKMARK only moves the resourceVersion; ERROR is the caller's to handle. */
export function applyWatchEvent<T extends KubeObject>(state: CacheState<T>, event: WatchEvent<T>): ApplyResult<T> {
  return applyWatchEvents(state, [event]);
}

/**
 * Applies a batch with one copy of the map, and reports the net change per touched key
 * in first-touch order. An event whose object has the resourceVersion the cache already
 * holds is a replay (watch restarted from an older point) and changes nothing.
 */
export function applyWatchEvents<T extends KubeObject>(state: CacheState<T>, events: readonly WatchEvent<T>[]): ApplyResult<T> {
  if (events.length === 0) return { state, changes: [] };
  const objects = new Map(state.objects);
  let resourceVersion = state.resourceVersion;
  const touched = new Set<string>();
  for (const event of events) {
    if (event.type === 'ERROR') continue;
    const rv = event.object.metadata?.resourceVersion;
    if (rv) resourceVersion = rv;
    if (event.type === 'BOOKMARK') continue;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') {
      if (objects.delete(key)) touched.add(key);
      continue;
    }
    const held = objects.get(key);
    if (held && rv && held.metadata?.resourceVersion === rv) continue;
    objects.set(key, event.object);
    touched.add(key);
  }
  const changes = netChanges(state.objects, objects, touched);
  return { state: { objects: changes.length > 0 ? objects : state.objects, resourceVersion }, changes };
}

/** Replaces the whole cache with a list result and reports what differs from before. */
export function replaceCache<T extends KubeObject>(state: CacheState<T>, items: readonly T[], resourceVersion: string): ApplyResult<T> {
  const objects = new Map<string, T>();
  for (const item of items) objects.set(objectKey(item), item);
  const keys = new Set<string>([...state.objects.keys(), ...objects.keys()]);
  return { state: { objects, resourceVersion }, changes: netChanges(state.objects, objects, keys) };
}

function netChanges<T extends KubeObject>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  keys: Iterable<string>,
): WatchChange<T>[] {
  const changes: WatchChange<T>[] = [];
  for (const key of keys) {
    const previous = before.get(key);
    const object = after.get(key);
    if (previous === object) continue;
    if (!previous && object) changes.push({ type: 'added', key, object });
    else if (previous && !object) changes.push({ type: 'deleted', key, object: previous });
    else if (previous && object) {
      const unchanged = previous.metadata?.resourceVersion !== undefined
        && previous.metadata.resourceVersion === object.metadata?.resourceVersion;
      if (!unchanged) changes.push({ type: 'modified', key, object, previous });
    }
  }
  return changes;
}
