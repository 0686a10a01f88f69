// Shared list+watch caches of the connected cluster, and per-peer subscriptions fed with deltas.
import { randomUUID } from 'node:crypto';
import {
  toErrorPayload,
  type EventChannel,
  type EventOf,
  type LumenError,
  type ResourceKind,
  type WatchDelta,
  type WatchKindStatus,
  type WireObject,
} from '../../../shared/contract/index.js';
import { WatchCache, type WatchBatch, type WatchTransport } from '../../../shared/watch/index.js';
import { logger } from '../../log.js';

const log = logger('cluster:watch');

/** Whoever receives deltas: an IPC window or a WebSocket client. */
export interface Subscriber {
  readonly id: string;
  send<E extends EventChannel>(event: E, payload: EventOf<E>): void;
}

interface Subscription {
  id: string;
  subscriber: Subscriber;
  kinds: Set<ResourceKind>;
  /** Kinds this subscription has received its reset for. */
  primed: Set<ResourceKind>;
}

export interface WatchSource {
  transport: WatchTransport<ResourceKind, WireObject>;
  classify(error: unknown): LumenError;
}

export interface WatchHubOptions {
  /** Passed to each WatchCache (tests shorten backoffs). */
  cacheOptions?: { batchMs?: number; backoff?: { initialMs?: number; maxMs?: number } };
  /** Status changes go to every peer, not only subscribers. */
  broadcast: <E extends EventChannel>(event: E, payload: EventOf<E>) => void;
}

export class WatchHub {
  private source: WatchSource | null = null;
  private readonly caches = new Map<ResourceKind, WatchCache<ResourceKind, WireObject>>();
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(private readonly options: WatchHubOptions) {}

  /** Points the hub at a (new) connection: caches restart and every subscriber gets fresh resets. */
  attach(source: WatchSource): void {
    this.detach();
    this.source = source;
    for (const kind of this.wantedKinds()) this.ensureCache(kind);
  }

  /** Stops every cache (disconnect); subscriptions stay and resume on the next attach. */
  detach(): void {
    for (const cache of this.caches.values()) cache.dispose();
    this.caches.clear();
    this.source = null;
    for (const s of this.subscriptions.values()) s.primed.clear();
  }

  subscribe(subscriber: Subscriber, kinds: readonly ResourceKind[]): string {
    const subscription: Subscription = { id: randomUUID(), subscriber, kinds: new Set(kinds), primed: new Set() };
    this.subscriptions.set(subscription.id, subscription);
    for (const kind of subscription.kinds) {
      const cache = this.ensureCache(kind);
      if (cache?.isSynced) this.prime(subscription, kind, cache, 'snapshot');
    }
    return subscription.id;
  }

  /** Returns false when the subscription does not exist or belongs to someone else. */
  unsubscribe(subscriber: Subscriber, id: string): boolean {
    const s = this.subscriptions.get(id);
    if (!s || s.subscriber.id !== subscriber.id) return false;
    this.subscriptions.delete(id);
    this.stopUnwanted();
    return true;
  }

  /** A window closed or a socket dropped. */
  dropSubscriber(subscriber: Subscriber): void {
    for (const [id, s] of this.subscriptions) if (s.subscriber.id === subscriber.id) this.subscriptions.delete(id);
    this.stopUnwanted();
  }

  statuses(): WatchKindStatus[] {
    return [...this.caches.entries()].map(([kind, cache]) => this.statusOf(kind, cache));
  }

  /** The cache of a kind while connected (for main-side consumers). */
  cache(kind: ResourceKind): WatchCache<ResourceKind, WireObject> | undefined {
    return this.caches.get(kind);
  }

  dispose(): void {
    this.detach();
    this.subscriptions.clear();
  }

  private wantedKinds(): Set<ResourceKind> {
    const kinds = new Set<ResourceKind>();
    for (const s of this.subscriptions.values()) for (const k of s.kinds) kinds.add(k);
    return kinds;
  }

  /** Caches start on first demand and stop when nobody watches their kind any more. */
  private stopUnwanted(): void {
    const wanted = this.wantedKinds();
    for (const [kind, cache] of this.caches) {
      if (!wanted.has(kind)) {
        cache.dispose();
        this.caches.delete(kind);
      }
    }
  }

  private ensureCache(kind: ResourceKind): WatchCache<ResourceKind, WireObject> | undefined {
    if (!this.source) return undefined;
    const existing = this.caches.get(kind);
    if (existing) return existing;
    const source = this.source;
    const cache = new WatchCache<ResourceKind, WireObject>({
      kind,
      transport: source.transport,
      batchMs: this.options.cacheOptions?.batchMs ?? 100,
      ...(this.options.cacheOptions?.backoff ? { backoff: this.options.cacheOptions.backoff } : {}),
      log: (level, message, fields) => log[level](`${kind}: ${message}`, fields),
    });
    cache.subscribe((batch) => this.deliver(batch, cache));
    cache.onStatus(() => this.options.broadcast('watch:status', this.statusOf(kind, cache)));
    this.caches.set(kind, cache);
    cache.start();
    return cache;
  }

  private statusOf(kind: ResourceKind, cache: WatchCache<ResourceKind, WireObject>): WatchKindStatus {
    const error = cache.lastError;
    return {
      kind,
      status: cache.status,
      synced: cache.isSynced,
      count: cache.snapshot().size,
      error: error && this.source ? toErrorPayload(this.source.classify(error)) : null,
    };
  }

  private deliver(batch: WatchBatch<ResourceKind, WireObject>, cache: WatchCache<ResourceKind, WireObject>): void {
    for (const s of this.subscriptions.values()) {
      if (!s.kinds.has(batch.kind)) continue;
      if (!s.primed.has(batch.kind)) {
        // The first thing a subscriber sees of a kind is always a full reset.
        this.prime(s, batch.kind, cache, batch.source === 'watch' ? 'snapshot' : batch.source);
        continue;
      }
      const delta: WatchDelta = {
        subscription: s.id,
        kind: batch.kind,
        source: batch.source,
        reset: false,
        upserted: batch.changes.filter((c) => c.type !== 'deleted').map((c) => c.object),
        deleted: batch.changes.filter((c) => c.type === 'deleted').map((c) => c.key),
        resourceVersion: batch.resourceVersion,
      };
      this.send(s, delta);
    }
  }

  private prime(s: Subscription, kind: ResourceKind, cache: WatchCache<ResourceKind, WireObject>, source: WatchDelta['source']): void {
    s.primed.add(kind);
    this.send(s, {
      subscription: s.id,
      kind,
      source,
      reset: true,
      upserted: [...cache.snapshot().values()],
      deleted: [],
      resourceVersion: cache.resourceVersion,
    });
  }

  private send(s: Subscription, delta: WatchDelta): void {
    try {
      s.subscriber.send('watch:delta', delta);
    } catch (error) {
      log.warn(`delivering a ${delta.kind} delta to ${s.subscriber.id} failed`, { error });
    }
  }
}
