// Types of the list+watch machinery: objects, wire events, the injected transport and timers.

/** The part of a Kubernetes object the cache needs; any client's typed objects fit. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
}

/** A Kubernetes watch status (the object of an ERROR event, or a failed list/watch). */
export interface WatchStatus {
  code?: number;
  reason?: string;
  message?: string;
}

/** One event exactly as the API server streams it (`{type, object}` per line). */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: WatchStatus };

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** Opaque: pass it back to `watch` unchanged, never compare or parse it. */
  resourceVersion: string;
}

/**
 * How the cache reaches the API server. Implementations: the console's client-node
 * transport (src/main/cluster/watch) and the agent's.
 *
 * - `list` returns every object of the kind (following `continue` pages itself) and the
 *   list's resourceVersion. It rejects on failure; a 410 must be recognisable by
 *   `isGoneError` (a `code`, `statusCode` or `status.code` of 410).
 * - `watch` streams events from `resourceVersion` (with allowWatchBookmarks=true) into
 *   `onEvent` and resolves when the server ends the stream; it rejects on a transport
 *   or HTTP failure, and must stop promptly (resolve or reject) when `signal` aborts.
 */
export interface WatchTransport<K extends string = string, T extends KubeObject = KubeObject> {
  list(kind: K, signal: AbortSignal): Promise<ListResult<T>>;
  watch(kind: K, resourceVersion: string, signal: AbortSignal, onEvent: (event: WatchEvent<T>) => void): Promise<void>;
}

/** Injected clock so the state machine is testable without real time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

/** A net change of one object within a batch (coalesced: add+modify = added, add+delete = nothing). */
export type WatchChange<T extends KubeObject = KubeObject> =
  | { type: 'added'; key: string; object: T }
  | { type: 'modified'; key: string; object: T; previous: T }
  | { type: 'deleted'; key: string; object: T };

/**
 * What a cache hands its subscribers. `source` says why: the first list, a relist after
 * 410 Gone or an error (the cache was replaced; `changes` is the diff to the old
 * contents), or watch events.
 */
export interface WatchBatch<K extends string = string, T extends KubeObject = KubeObject> {
  kind: K;
  source: 'list' | 'relist' | 'watch';
  changes: WatchChange<T>[];
  resourceVersion: string;
}

export type WatchCacheStatus = 'idle' | 'listing' | 'watching' | 'backoff' | 'disposed';

export type WatchLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type WatchLogger = (level: WatchLogLevel, message: string, fields?: Record<string, unknown>) => void;
