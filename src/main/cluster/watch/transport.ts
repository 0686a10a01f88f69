// The console's WatchTransport: paged lists and watch streams over KubeHttp for the cached kinds.
import type { ResourceKind, WireObject } from '../../../shared/contract/index.js';
import { slimWatchEvent, withoutManagedFields, type ListResult, type WatchEvent, type WatchTransport } from '../../../shared/watch/index.js';
import { collectionPaths } from '../../../shared/k8s/paths.js';
import type { KubeHttp } from '../http.js';

/** Collection paths across all namespaces. */
export const kindPaths: Record<ResourceKind, string> = collectionPaths;

interface ListAnswer {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: WireObject[];
}

export interface KubeWatchTransportOptions {
  pageSize?: number;
  /** Server-side watch timeout; the cache resumes from the last resourceVersion after it. */
  watchTimeoutSeconds?: () => number;
}

export function kubeWatchTransport(client: KubeHttp, options: KubeWatchTransportOptions = {}): WatchTransport<ResourceKind, WireObject> {
  const pageSize = options.pageSize ?? 500;
  // Spread over 5-10 minutes so the watches of one console do not all restart together.
  const timeoutSeconds = options.watchTimeoutSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
  return {
    async list(kind, signal): Promise<ListResult<WireObject>> {
      const items: WireObject[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const query = new URLSearchParams({ limit: String(pageSize) });
        if (cont) query.set('continue', cont);
        const page = await client.getJson<ListAnswer>(`${kindPaths[kind]}?${query}`, { signal, timeoutMs: 60_000 });
        for (const item of page.items ?? []) items.push(withoutManagedFields(item));
        // Every page of a paged list carries the first page's snapshot resourceVersion.
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return { items, resourceVersion };
    },

    async watch(kind, resourceVersion, signal, onEvent) {
      const query = new URLSearchParams({
        watch: '1',
        resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(timeoutSeconds()),
      });
      await client.stream(
        `${kindPaths[kind]}?${query}`,
        (value) => {
          const event = value as WatchEvent<WireObject>;
          if (!event || typeof event !== 'object' || typeof event.type !== 'string') return;
          onEvent(slimWatchEvent(event));
        },
        { signal, timeoutMs: 30_000 },
      );
    },
  };
}
