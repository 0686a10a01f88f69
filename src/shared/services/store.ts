// ServiceIndex: an incremental index of Services and EndpointSlices that recomputes only the
// service an event touches, for live views (console) and reconcile loops (agent).
import { objectKey, type EndpointSlice, type Service } from '../k8s/index.js';
import { desiredService, sliceServiceKey, type DesiredService, type ServiceModelOptions } from './model.js';
import { summarizeService, type ServiceSummary } from './summary.js';

interface Entry {
  service?: Service;
  /** Slices by `namespace/name` of the slice. */
  slices: Map<string, EndpointSlice>;
  desired?: DesiredService;
  summary?: ServiceSummary;
}

export class ServiceIndex {
  private readonly entries = new Map<string, Entry>();
  /** slice key -> service key, to move a slice whose label changed. */
  private readonly sliceOwner = new Map<string, string>();
  private changed = new Set<string>();
  private versionCounter = 0;

  constructor(private readonly options: ServiceModelOptions = {}) {}

  /** Bumped on every change; cheap for "did anything change" checks. */
  get version(): number {
    return this.versionCounter;
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { slices: new Map() };
      this.entries.set(key, e);
    }
    return e;
  }

  private touch(key: string): void {
    const e = this.entries.get(key);
    if (e !== undefined) {
      delete e.desired;
      delete e.summary;
      if (e.service === undefined && e.slices.size === 0) this.entries.delete(key);
    }
    this.changed.add(key);
    this.versionCounter++;
  }

  upsertService(svc: Service): void {
    const key = objectKey(svc);
    this.entry(key).service = svc;
    this.touch(key);
  }

  deleteService(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined || e.service === undefined) return;
    delete e.service;
    this.touch(key);
  }

  upsertSlice(slice: EndpointSlice): void {
    const sliceKey = objectKey(slice);
    const owner = sliceServiceKey(slice);
    const previous = this.sliceOwner.get(sliceKey);
    if (previous !== undefined && previous !== owner) this.deleteSlice(sliceKey);
    if (owner === undefined) return;
    this.entry(owner).slices.set(sliceKey, slice);
    this.sliceOwner.set(sliceKey, owner);
    this.touch(owner);
  }

  deleteSlice(sliceKey: string): void {
    const owner = this.sliceOwner.get(sliceKey);
    if (owner === undefined) return;
    this.sliceOwner.delete(sliceKey);
    this.entries.get(owner)?.slices.delete(sliceKey);
    this.touch(owner);
  }

  /** Replace everything (after a relist). */
  replaceAll(services: Iterable<Service>, slices: Iterable<EndpointSlice>): void {
    for (const key of this.entries.keys()) this.changed.add(key);
    this.entries.clear();
    this.sliceOwner.clear();
    for (const svc of services) this.entry(objectKey(svc)).service = svc;
    for (const slice of slices) {
      const owner = sliceServiceKey(slice);
      if (owner === undefined) continue;
      const sliceKey = objectKey(slice);
      this.entry(owner).slices.set(sliceKey, slice);
      this.sliceOwner.set(sliceKey, owner);
    }
    for (const key of this.entries.keys()) this.changed.add(key);
    this.versionCounter++;
  }

  /** Keys of services that exist (slices without their Service are held but not listed). */
  keys(): string[] {
    const out: string[] = [];
    for (const [key, e] of this.entries) if (e.service !== undefined) out.push(key);
    return out;
  }

  /** The desired model of one service; computed on first use after a change, then cached. */
  get(key: string): DesiredService | undefined {
    const e = this.entries.get(key);
    if (e?.service === undefined) return undefined;
    e.desired ??= desiredService(e.service, [...e.slices.values()], this.options);
    return e.desired;
  }

  summary(key: string): ServiceSummary | undefined {
    const e = this.entries.get(key);
    if (e?.service === undefined) return undefined;
    e.summary ??= summarizeService(this.get(key)!);
    return e.summary;
  }

  summaries(): ServiceSummary[] {
    return this.keys().map((k) => this.summary(k)!);
  }

  /** Service keys changed since the last call (for diffing the datapath incrementally). */
  takeChanged(): string[] {
    const out = [...this.changed];
    this.changed = new Set();
    return out;
  }
}
