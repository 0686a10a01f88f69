// A small list+watch cache of one collection (pods of a selector, events of a namespace): list, watch from its resourceVersion, relist on 410 or errors.
import { logger } from '../log.js';
import { isAbort, statusCode, type KubeApi } from './kube.js';

const log = logger('install:informer');

interface Obj {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface Informer<T> {
  /** Current objects by namespace/name. */
  items(): T[];
  /** Resolves after the first list (rejects if it fails). */
  ready: Promise<void>;
  stop(): void;
}

const keyOf = (o: Obj): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export function inform<T extends Obj>(kube: KubeApi, path: string, selector: { labelSelector?: string; fieldSelector?: string }, onChange: () => void): Informer<T> {
  const controller = new AbortController();
  const store = new Map<string, T>();
  let resolveReady!: () => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  let first = true;

  const run = async () => {
    let backoff = 500;
    while (!controller.signal.aborted) {
      try {
        const list = await kube.list<T>(path, { ...selector, signal: controller.signal });
        store.clear();
        for (const o of list.items) store.set(keyOf(o), o);
        let rv = list.metadata?.resourceVersion ?? '';
        onChange();
        if (first) {
          first = false;
          resolveReady();
        }
        backoff = 500;
        // Watch until the server ends it, then resume from the last resourceVersion.
        for (;;) {
          const q = new URLSearchParams({ resourceVersion: rv });
          if (selector.labelSelector) q.set('labelSelector', selector.labelSelector);
          if (selector.fieldSelector) q.set('fieldSelector', selector.fieldSelector);
          let gone = false;
          await kube.watch(path, q, (event) => {
            const o = event.object as T & { code?: number };
            if (event.type === 'ERROR') {
              if (o.code === 410) gone = true;
              return;
            }
            if (o.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
            if (event.type === 'BOOKMARK') return;
            if (event.type === 'DELETED') store.delete(keyOf(o));
            else store.set(keyOf(o), o);
            onChange();
          }, controller.signal);
          if (gone || controller.signal.aborted) break;
        }
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) return;
        if (first) {
          first = false;
          rejectReady(error);
        }
        log.debug(`list/watch of ${path} failed (${statusCode(error) ?? 'network'}); retrying`, { error });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  };
  void run();
  return {
    items: () => [...store.values()],
    ready,
    stop: () => controller.abort(),
  };
}
