// Renderer-side copies of main's watch caches, kept current by batched deltas.
import { resourceKinds, type ResourceKind, type WatchDelta, type WatchKindStatus, type WireObject } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface ResourceCache {
  items: ReadonlyMap<string, WireObject>;
  resourceVersion: string;
  /** True once the first (reset) delta arrived. */
  synced: boolean;
}

export interface ResourcesSlice {
  resources: {
    subscription: string | null;
    kinds: Readonly<Record<ResourceKind, ResourceCache>>;
    status: Readonly<Partial<Record<ResourceKind, WatchKindStatus>>>;
  };
  setSubscription(id: string | null): void;
  applyDelta(delta: WatchDelta): void;
  setWatchStatus(status: WatchKindStatus): void;
  resetResources(): void;
}

export function keyOf(object: WireObject): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

const emptyCache: ResourceCache = { items: new Map(), resourceVersion: '', synced: false };

function emptyKinds(): Record<ResourceKind, ResourceCache> {
  return Object.fromEntries(resourceKinds.map((k) => [k, emptyCache])) as Record<ResourceKind, ResourceCache>;
}

/** Pure: the cache after a delta; a reset replaces everything. Returns a new Map every time. */
export function applyDeltaToCache(cache: ResourceCache, delta: WatchDelta): ResourceCache {
  const items = delta.reset ? new Map<string, WireObject>() : new Map(cache.items);
  for (const key of delta.deleted) items.delete(key);
  for (const object of delta.upserted) items.set(keyOf(object), object);
  return { items, resourceVersion: delta.resourceVersion, synced: cache.synced || delta.reset };
}

export const createResourcesSlice: SliceCreator<ResourcesSlice> = (set) => ({
  resources: { subscription: null, kinds: emptyKinds(), status: {} },
  setSubscription: (subscription) => set((s) => ({ resources: { ...s.resources, subscription, kinds: emptyKinds() } })),
  applyDelta: (delta) =>
    set((s) => {
      // Deltas of an older subscription (before a reconnect) would corrupt the copy.
      if (delta.subscription !== s.resources.subscription) return s;
      return { resources: { ...s.resources, kinds: { ...s.resources.kinds, [delta.kind]: applyDeltaToCache(s.resources.kinds[delta.kind], delta) } } };
    }),
  setWatchStatus: (status) => set((s) => ({ resources: { ...s.resources, status: { ...s.resources.status, [status.kind]: status } } })),
  resetResources: () => set((s) => ({ resources: { ...s.resources, kinds: emptyKinds(), status: {} } })),
});
