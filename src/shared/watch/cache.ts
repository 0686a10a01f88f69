// The list+watch state machine for one resource kind: list, watch from the list's
// resourceVersion, relist on 410 Gone, reconnect with backoff, batched change delivery.
import { Backoff, defaultBackoff, type BackoffPolicy } from './backoff.js';
import { WatchGoneError, WatchIdleError, WatchStatusError, isGoneError } from './errors.js';
import { applyWatchEvents, emptyCacheState, replaceCache, type CacheState } from './reducer.js';
import {
  systemTimers,
  type KubeObject,
  type Timers,
  type WatchBatch,
  type WatchCacheStatus,
  type WatchEvent,
  type WatchLogger,
  type WatchTransport,
} from './types.js';

export interface WatchCacheOptions<K extends string, T extends KubeObject> {
  kind: K;
  transport: WatchTransport<K, T>;
  timers?: Timers;
  /** Source of jitter, 0..1. */
  random?: () => number;
  backoff?: Partial<BackoffPolicy>;
  /** Watch events are delivered in batches at most this often (default 20 ms). */
  batchMs?: number;
  /** A batch is delivered at once when it reaches this many events (default 500). */
  maxBatch?: number;
  /** A watch with no event (bookmarks count) for this long is reconnected; 0 disables (default 5 min). */
  idleMs?: number;
  /** A watch that ends sooner than this having delivered nothing counts as a failure (default 1 s). */
  minWatchMs?: number;
  log?: WatchLogger;
}

const consoleLogger = (kind: string): WatchLogger => (level, message, fields) => {
  if (level === 'debug' || level === 'info') return;
  const line = `[watch:${kind}] ${message}`;
  if (level === 'error') console.error(line, fields ?? '');
  else console.warn(line, fields ?? '');
};

export class WatchCache<K extends string = string, T extends KubeObject = KubeObject> {
  readonly kind: K;
  private readonly transport: WatchTransport<K, T>;
  private readonly timers: Timers;
  private readonly backoff: Backoff;
  private readonly batchMs: number;
  private readonly maxBatch: number;
  private readonly idleMs: number;
  private readonly minWatchMs: number;
  private readonly log: WatchLogger;

  private state: CacheState<T> = emptyCacheState<T>();
  private currentStatus: WatchCacheStatus = 'idle';
  private synced = false;
  private error: unknown;
  private readonly life = new AbortController();
  private pending: WatchEvent<T>[] = [];
  private flushTimer: unknown;
  private running: Promise<void> | undefined;
  /** What the latest watch request achieved; decides whether its end counts as a failure. */
  private lastWatch = { events: 0, durationMs: 0 };
  private readonly batchListeners = new Set<(batch: WatchBatch<K, T>) => void>();
  private readonly statusListeners = new Set<(status: WatchCacheStatus, error?: unknown) => void>();
  private readonly syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(options: WatchCacheOptions<K, T>) {
    this.kind = options.kind;
    this.transport = options.transport;
    this.timers = options.timers ?? systemTimers;
    this.backoff = new Backoff({ ...defaultBackoff, ...options.backoff }, options.random);
    this.batchMs = options.batchMs ?? 20;
    this.maxBatch = options.maxBatch ?? 500;
    this.idleMs = options.idleMs ?? 300_000;
    this.minWatchMs = options.minWatchMs ?? 1_000;
    this.log = options.log ?? consoleLogger(options.kind);
  }

  /** Starts the list+watch loop (idempotent). */
  start(): this {
    if (!this.running && !this.life.signal.aborted) this.running = this.run();
    return this;
  }

  /** Stops the loop, aborts the in-flight request and drops listeners. Safe to call twice. */
  dispose(): void {
    if (this.life.signal.aborted) return;
    this.life.abort();
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pending = [];
    this.setStatus('disposed');
    for (const waiter of this.syncWaiters.splice(0)) waiter.reject(new Error(`watch ${this.kind}: disposed before the first list completed`));
    this.batchListeners.clear();
    this.statusListeners.clear();
  }

  /** Resolves when the loop has exited after `dispose`. */
  async stopped(): Promise<void> {
    await this.running;
  }

  /** The current contents; an immutable map that later events never modify. */
  snapshot(): ReadonlyMap<string, T> {
    return this.state.objects;
  }

  get(key: string): T | undefined {
    return this.state.objects.get(key);
  }

  get resourceVersion(): string {
    return this.state.resourceVersion;
  }

  get status(): WatchCacheStatus {
    return this.currentStatus;
  }

  /** True once the first list has been applied. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** The last list/watch failure (kept while the loop retries). */
  get lastError(): unknown {
    return this.error;
  }

  /** Resolves after the first list; rejects if the cache is disposed first. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.life.signal.aborted) return Promise.reject(new Error(`watch ${this.kind}: disposed`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /** Batches of net changes, in order. Returns the unsubscribe function. */
  subscribe(listener: (batch: WatchBatch<K, T>) => void): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  onStatus(listener: (status: WatchCacheStatus, error?: unknown) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private async run(): Promise<void> {
    let needList = true;
    let listedBefore = false;
    let goneStreak = 0;
    while (!this.life.signal.aborted) {
      try {
        if (needList) {
          this.setStatus('listing');
          this.lastWatch = { events: 0, durationMs: 0 };
          const result = await this.transport.list(this.kind, this.life.signal);
          if (this.life.signal.aborted) break;
          this.flush();
          const { state, changes } = replaceCache(this.state, result.items, result.resourceVersion);
          this.state = state;
          this.emit({ kind: this.kind, source: listedBefore ? 'relist' : 'list', changes, resourceVersion: state.resourceVersion });
          this.log('debug', `listed ${result.items.length} objects`, { resourceVersion: state.resourceVersion });
          listedBefore = true;
          needList = false;
          this.error = undefined;
          this.markSynced();
        }
        this.setStatus('watching');
        await this.watchOnce();
        if (this.lastWatchUseful()) {
          this.backoff.reset();
          goneStreak = 0;
          continue;
        }
        this.log('debug', 'watch ended at once without events');
      } catch (error) {
        if (this.life.signal.aborted) break;
        this.flush();
        // A stream that worked for a while and then broke reconnects at once; only
        // failures in a row back off.
        const worked = this.lastWatchUseful();
        if (worked) {
          this.backoff.reset();
          goneStreak = 0;
        }
        if (isGoneError(error)) {
          // The resourceVersion fell out of the server's window: only a relist can resync.
          this.log('info', 'resourceVersion expired, relisting');
          needList = true;
          if (++goneStreak === 1) continue;
        } else {
          this.error = error;
          this.log(worked ? 'info' : 'warn', `${needList ? 'list' : 'watch'} failed: ${error instanceof Error ? error.message : String(error)}`);
          if (worked) continue;
        }
      }
      this.setStatus('backoff', this.error);
      await this.sleep(this.backoff.next());
    }
    this.flush();
  }

  private lastWatchUseful(): boolean {
    return this.lastWatch.events > 0 || this.lastWatch.durationMs >= this.minWatchMs;
  }

  /** One watch request; resolves with how useful it was, throws what ended it badly. */
  private async watchOnce(): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.life.signal.addEventListener('abort', stop, { once: true });
    const started = this.timers.now();
    const stats = { events: 0, durationMs: 0 };
    this.lastWatch = stats;
    let failure: Error | undefined;
    let idleTimer: unknown;
    const armIdle = () => {
      if (this.idleMs <= 0) return;
      if (idleTimer !== undefined) this.timers.clearTimeout(idleTimer);
      idleTimer = this.timers.setTimeout(() => {
        failure ??= new WatchIdleError(this.kind, this.idleMs);
        controller.abort();
      }, this.idleMs);
    };
    armIdle();
    try {
      await this.transport.watch(this.kind, this.state.resourceVersion, controller.signal, (event) => {
        if (controller.signal.aborted) return;
        stats.events++;
        armIdle();
        if (event.type === 'ERROR') {
          failure = event.object.code === 410 ? new WatchGoneError(this.kind, event.object) : new WatchStatusError(this.kind, event.object);
          controller.abort();
          return;
        }
        this.enqueue(event);
      });
    } catch (error) {
      if (!failure && !this.life.signal.aborted) throw error;
    } finally {
      stats.durationMs = this.timers.now() - started;
      if (idleTimer !== undefined) this.timers.clearTimeout(idleTimer);
      this.life.signal.removeEventListener('abort', stop);
    }
    if (failure) throw failure;
    this.flush();
  }

  private enqueue(event: WatchEvent<T>): void {
    if ((event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') && !event.object?.metadata?.name) {
      this.log('warn', `ignoring ${event.type} event without metadata.name`);
      return;
    }
    this.pending.push(event);
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (this.flushTimer === undefined) {
      this.flushTimer = this.timers.setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, this.batchMs);
    }
  }

  private flush(): void {
    if (this.flushTimer !== undefined) {
      this.timers.clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const { state, changes } = applyWatchEvents(this.state, events);
    this.state = state;
    if (changes.length > 0) this.emit({ kind: this.kind, source: 'watch', changes, resourceVersion: state.resourceVersion });
  }

  private emit(batch: WatchBatch<K, T>): void {
    for (const listener of [...this.batchListeners]) {
      try {
        listener(batch);
      } catch (error) {
        this.log('error', 'a batch listener threw', { error });
      }
    }
  }

  private setStatus(status: WatchCacheStatus, error?: unknown): void {
    if (this.currentStatus === 'disposed') return;
    if (this.currentStatus === status && status !== 'backoff') return;
    this.currentStatus = status;
    for (const listener of [...this.statusListeners]) {
      try {
        listener(status, error);
      } catch (listenerError) {
        this.log('error', 'a status listener threw', { error: listenerError });
      }
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const waiter of this.syncWaiters.splice(0)) waiter.resolve();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.life.signal.aborted) return resolve();
      const done = () => {
        this.timers.clearTimeout(handle);
        this.life.signal.removeEventListener('abort', done);
        resolve();
      };
      const handle = this.timers.setTimeout(done, ms);
      this.life.signal.addEventListener('abort', done, { once: true });
    });
  }
}
