// The agent's watched kinds: API paths, the list+watch transport over KubeClient for the
// shared WatchCache (src/shared/watch), and a set of caches started together.
import { slimWatchEvent, WatchCache, withoutManagedFields, type KubeObject, type ListResult, type WatchTransport } from '../../../src/shared/watch/index.js';
import { collectionPaths, type CollectionKind } from '../../../src/shared/k8s/paths.js';
import type { KubeClient } from './client.js';
import { log } from '../log.js';

export { LUMEN_API_GROUP as LUMEN_GROUP, LUMEN_API_VERSION as LUMEN_VERSION } from '../../../src/shared/k8s/paths.js';
export const kindPaths = collectionPaths;
export type WatchedKind = CollectionKind;

/** Lists page by page (limit 500, following `continue`), watches from the list's version; objects are kept without managedFields. */
export function kubeTransport(client: KubeClient, fieldSelectors: Partial<Record<WatchedKind, string>> = {}): WatchTransport<WatchedKind, KubeObject> {
  const withSelector = (kind: WatchedKind, path: string): string => {
    const fs = fieldSelectors[kind];
    return fs ? `${path}${path.includes('?') ? '&' : '?'}fieldSelector=${encodeURIComponent(fs)}` : path;
  };
  return {
    async list(kind, signal): Promise<ListResult> {
      const items: KubeObject[] = [];
      let cont = '';
      let resourceVersion: string;
      do {
        const path = withSelector(kind, `${kindPaths[kind]}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        const page = await client.get<{ items: KubeObject[]; metadata: { resourceVersion: string; continue?: string } }>(path, signal);
        for (const item of page.items) items.push(withoutManagedFields(item));
        resourceVersion = page.metadata.resourceVersion;
        cont = page.metadata.continue ?? '';
      } while (cont);
      return { items, resourceVersion };
    },
    watch(kind, resourceVersion, signal, onEvent) {
      return client.watch(withSelector(kind, kindPaths[kind]), resourceVersion, signal, ((event: Parameters<typeof onEvent>[0]) => onEvent(slimWatchEvent(event))) as never);
    },
  };
}

/** One WatchCache per kind, started together; `synced()` waits for every first list. */
export class Watches {
  readonly caches: { [K in WatchedKind]?: WatchCache<WatchedKind, KubeObject> } = {};
  readonly lastEvent: Partial<Record<WatchedKind, string>> = {};

  constructor(transport: WatchTransport<WatchedKind, KubeObject>, kinds: WatchedKind[]) {
    for (const kind of kinds) {
      const cache = new WatchCache<WatchedKind, KubeObject>({
        kind,
        transport,
        log: (level, message) => {
          if (level !== 'debug') log[level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info']('watch', `${kind}: ${message}`);
        },
      });
      cache.subscribe(() => { this.lastEvent[kind] = new Date().toISOString(); });
      this.caches[kind] = cache;
    }
  }

  start(): this {
    for (const c of Object.values(this.caches)) c.start();
    return this;
  }

  cache<T>(kind: WatchedKind): WatchCache<WatchedKind, KubeObject & T> {
    const c = this.caches[kind];
    if (!c) throw new Error(`kind ${kind} is not watched`);
    return c as unknown as WatchCache<WatchedKind, KubeObject & T>;
  }

  /** Resolves once every kind has listed; logs the kinds still missing while it waits. */
  async synced(progress?: (pending: WatchedKind[]) => void): Promise<void> {
    const entries = Object.entries(this.caches) as [WatchedKind, WatchCache<WatchedKind, KubeObject>][];
    const timer = setInterval(() => {
      const pending = entries.filter(([, c]) => !c.isSynced).map(([k]) => k);
      if (pending.length) progress?.(pending);
    }, 2000);
    try {
      await Promise.all(entries.map(([, c]) => c.whenSynced()));
    } finally {
      clearInterval(timer);
    }
  }

  async stop(): Promise<void> {
    for (const c of Object.values(this.caches)) c.dispose();
    await Promise.all(Object.values(this.caches).map((c) => c.stopped()));
  }
}
