// Keeps a ServiceIndex and the table rows in step with the resource caches: diffs the caches by object identity and recomputes changed services, both in time-boxed steps so a 5,000-service reset never blocks a frame.
import type { WireObject } from '../../../shared/contract/index.js';
import type { EndpointSlice, Service } from '../../../shared/k8s/index.js';
import { ServiceIndex } from '../../../shared/services/index.js';
import { serviceRow, type ServiceRow } from './rows.js';

type Cache = ReadonlyMap<string, WireObject>;
const empty: Cache = new Map();
/** Entries diffed between two clock checks. */
const DIFF_STEP = 256;

export class ServicesSync {
  readonly index = new ServiceIndex();
  /** The caches the index reflects completely. */
  private services: Cache = empty;
  private slices: Cache = empty;
  /** A diff towards newer caches, in progress. */
  private diff: Generator<void, void, void> | null = null;
  private readonly pending = new Set<string>();
  private readonly rows = new Map<string, ServiceRow>();
  /** Keys whose rows changed since the last takeTouched (for patching sorted orders). */
  private touched = new Set<string>();

  /**
   * Notes newer caches. The caches are replaced (never mutated) on every delta and unchanged
   * objects keep their identity, so comparing references finds exactly the upserted and
   * deleted objects without parsing; work() does it. A diff still running restarts against
   * the newest caches: upserting an object twice is harmless.
   */
  ingest(services: Cache, slices: Cache): void {
    if (services === this.services && slices === this.slices && !this.diff) return;
    this.diff = this.diffTo(services, slices);
  }

  get hasPending(): boolean {
    return this.diff !== null || this.pending.size > 0;
  }

  private *diffTo(services: Cache, slices: Cache): Generator<void, void, void> {
    let n = 0;
    if (services !== this.services) {
      for (const [key, obj] of services) {
        if (this.services.get(key) !== obj) this.index.upsertService(obj as Service);
        if (++n % DIFF_STEP === 0) yield;
      }
      for (const key of this.services.keys()) {
        if (!services.has(key)) this.index.deleteService(key);
        if (++n % DIFF_STEP === 0) yield;
      }
      this.services = services;
    }
    if (slices !== this.slices) {
      for (const [key, obj] of slices) {
        if (this.slices.get(key) !== obj) this.index.upsertSlice(obj as unknown as EndpointSlice);
        if (++n % DIFF_STEP === 0) yield;
      }
      for (const key of this.slices.keys()) {
        if (!slices.has(key)) this.index.deleteSlice(key);
        if (++n % DIFF_STEP === 0) yield;
      }
      this.slices = slices;
    }
  }

  /**
   * Advances the diff, then recomputes pending services, until `deadline` (a
   * performance.now() time) or everything is done; returns true when rows changed.
   */
  work(deadline: number, now: () => number = () => performance.now()): boolean {
    while (this.diff) {
      const step = this.diff.next();
      for (const key of this.index.takeChanged()) this.pending.add(key);
      if (step.done) this.diff = null;
      else if (now() >= deadline) return false;
    }
    let changed = false;
    let n = 0;
    for (const key of this.pending) {
      this.pending.delete(key);
      const summary = this.index.summary(key);
      if (summary) this.rows.set(key, serviceRow(summary));
      else this.rows.delete(key);
      this.touched.add(key);
      changed = true;
      // Checking the clock every 8 services keeps its cost out of the loop.
      if (++n % 8 === 0 && now() >= deadline) break;
    }
    return changed;
  }

  /** A new Map of the current rows (the store's state is never mutated in place). */
  snapshot(): Map<string, ServiceRow> {
    return new Map(this.rows);
  }

  /** Keys changed since the last call. */
  takeTouched(): Set<string> {
    const out = this.touched;
    this.touched = new Set();
    return out;
  }

  reset(): void {
    this.services = empty;
    this.slices = empty;
    this.diff = null;
    this.index.replaceAll([], []);
    this.index.takeChanged();
    this.pending.clear();
    this.rows.clear();
    this.touched.clear();
  }
}
