// FlowPipeline: ring-buffer records → decode → enrich → FlowStore, counting decode errors, lost and skipped events. The one path both the agent and the benchmark use.
import type { FlowLookups } from '../api/view.js';
import { createEnricher, monotonicClock, type EventClock } from './enrich.js';
import { datapathNames, decodeFlowRecord, type DatapathNames, type RawFlowEvent } from './raw.js';
import { FlowStore } from './store.js';

export type RawDecoder = (record: Uint8Array) => RawFlowEvent;

export interface FlowPipelineOptions {
  lookups: FlowLookups;
  /** Default: the datapath's enums (src/shared/flow/datapath.ts). */
  names?: DatapathNames;
  /** Ring-buffer record → RawFlowEvent. Default: decodeFlowRecord (the addon's layout). */
  decode?: RawDecoder;
  /** Flows kept (config flow-buffer-size). */
  bufferSize: number;
  /** Records waiting for ingestRecords' background processing before new ones are skipped (default 65536). */
  maxQueued?: number;
  /** Milliseconds of processing per event-loop turn (default 10). */
  sliceMs?: number;
  clock?: EventClock;
  now?: () => number;
  log?: (message: string) => void;
}

const LOG_EVERY_MS = 10_000;
const CHUNK = 256;

export class FlowPipeline {
  readonly store: FlowStore;
  private readonly enricher;
  private readonly decode: RawDecoder;
  private readonly log: (message: string) => void;
  private readonly maxQueued: number;
  private readonly sliceMs: number;
  private lastLogAt = -Infinity;
  private suppressed = 0;
  private readonly queue: (readonly Uint8Array[])[] = [];
  private head = 0;
  private queued = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(options: FlowPipelineOptions) {
    this.store = new FlowStore(options.bufferSize, options.now);
    this.enricher = createEnricher(options.lookups, options.names ?? datapathNames, options.clock ?? monotonicClock());
    this.decode = options.decode ?? decodeFlowRecord;
    this.log = options.log ?? ((m) => console.warn(`[flows] ${m}`));
    this.maxQueued = options.maxQueued ?? 65536;
    this.sliceMs = options.sliceMs ?? 10;
  }

  /**
   * Hands a batch of ring-buffer records over for processing in time slices, so a saturated
   * ring buffer never starves the event loop (API, watches, probes). The addon's consumer
   * delivers through a thread-safe function that Node drains up to 1000 calls per wake-up;
   * processing inline there would hold the loop for seconds. Records beyond maxQueued are
   * skipped and counted (FlowStatus.skipped, a lost line with reason agent-overloaded).
   */
  ingestRecords(records: readonly Uint8Array[]): void {
    if (records.length === 0) return;
    const room = this.maxQueued - this.queued;
    if (room <= 0) {
      this.store.addSkipped(records.length);
      return;
    }
    const take = records.length <= room ? records : records.slice(0, room);
    if (take.length < records.length) this.store.addSkipped(records.length - take.length);
    this.queue.push(take);
    this.queued += take.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Resolves once every record handed to ingestRecords has been processed. */
  flush(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  get queuedRecords(): number {
    return this.queued;
  }

  private readonly drain = (): void => {
    const deadline = performance.now() + this.sliceMs;
    while (this.queue.length > 0 && performance.now() < deadline) {
      const batch = this.queue[0]!;
      const end = Math.min(batch.length, this.head + CHUNK);
      for (let i = this.head; i < end; i++) this.processOne(batch[i]!);
      this.queued -= end - this.head;
      if (end === batch.length) {
        this.queue.shift();
        this.head = 0;
      } else {
        this.head = end;
      }
    }
    if (this.queue.length > 0) {
      setImmediate(this.drain);
      return;
    }
    this.scheduled = false;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  };

  /** Decodes and enriches records now (tests, benchmarks, callers with their own pacing). */
  processRecords(records: readonly Uint8Array[]): void {
    for (const record of records) this.processOne(record);
  }

  private processOne(record: Uint8Array): void {
    let raw: RawFlowEvent;
    try {
      raw = this.decode(record);
    } catch (err) {
      this.failed(`cannot decode a ${record.byteLength}-byte flow event`, err);
      return;
    }
    this.ingestOne(raw);
  }

  /** Already-decoded events, processed now. */
  ingestEvents(events: readonly RawFlowEvent[]): void {
    for (const raw of events) this.ingestOne(raw);
  }

  private ingestOne(raw: RawFlowEvent): void {
    try {
      this.store.add(this.enricher.enrich(raw));
    } catch (err) {
      this.failed('cannot enrich a flow event', err);
    }
  }

  /** Kernel-side lost events, as the absolute count the addon reports. */
  reportLostTotal(total: number): void {
    this.store.setLostTotal(total);
  }

  private failed(what: string, err: unknown): void {
    this.store.addDecodeError();
    const now = performance.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} similar errors suppressed)` : '';
    this.lastLogAt = now;
    this.suppressed = 0;
    this.log(`${what}: ${err instanceof Error ? err.message : String(err)}${more}`);
  }
}
