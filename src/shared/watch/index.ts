// List+watch caches for Kubernetes resources: pure state machine, transport and clock injected.
//
// Used by the console (src/main/cluster/watch, client-node transport) and by lumen-agent
// (its own transport). Nothing here touches the network, Node or the DOM.
//
// ## Use
//
//   import { WatchCache, type WatchTransport } from '../shared/watch/index.js';
//
//   const transport: WatchTransport<'pods', V1Pod> = {
//     // every object of the kind (follow `continue` pages yourself) + the list's RV
//     list: async (kind, signal) => ({ items, resourceVersion }),
//     // stream `{type, object}` events from `resourceVersion` into onEvent (ask for
//     // allowWatchBookmarks=true); resolve when the server closes the stream, reject on
//     // failure, stop promptly when `signal` aborts. Errors with a 410 status
//     // (`code`/`statusCode`/`status.code`) mean "relist".
//     watch: async (kind, resourceVersion, signal, onEvent) => { ... },
//   };
//   const pods = new WatchCache({ kind: 'pods', transport }).start();
//   const off = pods.subscribe((batch) => {
//     // batch.source: 'list' (first list) | 'relist' (cache replaced after 410 Gone)
//     //               | 'watch'; batch.changes: net changes since the previous batch:
//     // { type: 'added', key, object } | { type: 'modified', key, object, previous }
//     // | { type: 'deleted', key, object }   (key = "namespace/name" or "name")
//   });
//   await pods.whenSynced();          // first list applied
//   pods.snapshot();                  // ReadonlyMap<key, object>, never mutated later
//   pods.get('default/web-0');
//   pods.status;                      // 'idle' | 'listing' | 'watching' | 'backoff' | 'disposed'
//   pods.onStatus((status, error) => ...);
//   off(); pods.dispose(); await pods.stopped();
//
// ## Behaviour
//
// - list, then watch from the list's resourceVersion (opaque: only passed back);
//   BOOKMARK events advance it; a watch that ends normally is resumed from the latest one.
// - 410 Gone (thrown, or an ERROR event with code 410) → relist at once and replace the
//   cache; the 'relist' batch carries the diff to the old contents, so consumers never
//   see a spurious delete/re-add of unchanged objects.
// - any other failure → retry with exponential backoff + jitter (options.backoff); a
//   watch that had worked for a while reconnects at once; a watch silent (not even a
//   bookmark) for `idleMs` is treated as dead.
// - watch events are applied and delivered in batches (`batchMs`, `maxBatch`), coalesced
//   per object (added+deleted within one batch = nothing).
// - `applyWatchEvent(state, event)` / `applyWatchEvents` / `replaceCache` are the pure
//   reducers underneath, usable on their own.
// - timers (`Timers`: setTimeout/clearTimeout/now) and `random` are injectable for tests.

export { WatchCache, type WatchCacheOptions } from './cache.js';
export {
  applyWatchEvent,
  applyWatchEvents,
  emptyCacheState,
  objectKey,
  replaceCache,
  type ApplyResult,
  type CacheState,
} from './reducer.js';
export { Backoff, defaultBackoff, type BackoffPolicy } from './backoff.js';
export { slimWatchEvent, withoutManagedFields } from './slim.js';
export { WatchGoneError, WatchIdleError, WatchStatusError, errorStatusCode, isGoneError } from './errors.js';
export {
  systemTimers,
  type KubeObject,
  type ListResult,
  type Timers,
  type WatchBatch,
  type WatchCacheStatus,
  type WatchChange,
  type WatchEvent,
  type WatchLogLevel,
  type WatchLogger,
  type WatchStatus,
  type WatchTransport,
} from './types.js';
