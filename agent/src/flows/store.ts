// FlowStore: the ring of recent flows, follow subscriptions, and the counters (total, by verdict, drops by reason, lost, decode errors, rate).
import type { Flow, FlowFilter, FlowStreamLine } from '../../../src/shared/flow/index.js';
import { matchFlow } from '../../../src/shared/flow/index.js';
import type { FlowStatus } from '../../../src/shared/agent-api/index.js';
import { Ring } from './ring.js';

export type FlowSink = (line: FlowStreamLine) => void;

export interface FollowOptions {
  /** Send the newest `backlog` matching flows from the ring first (default 0). */
  backlog?: number;
}

const RATE_WINDOW_S = 60;

export class FlowStore {
  private readonly ring: Ring<Flow>;
  private readonly subscribers = new Set<{ filter: FlowFilter; sink: FlowSink }>();
  private total = 0;
  private lostTotal = 0;
  private lostReported = 0;
  private decodeErrorCount = 0;
  private skippedTotal = 0;
  private skippedReported = 0;
  private skippedReportedAt = -Infinity;
  readonly byVerdict = new Map<string, number>();
  readonly dropsByReason = new Map<string, number>();
  // Flows per wall-clock second for the last RATE_WINDOW_S seconds.
  private readonly buckets = new Float64Array(RATE_WINDOW_S);
  private bucketSecond = 0;
  private readonly startedAt: number;

  constructor(capacity: number, private readonly now: () => number = Date.now) {
    this.ring = new Ring<Flow>(capacity);
    this.startedAt = now();
    this.bucketSecond = Math.floor(this.startedAt / 1000);
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  add(flow: Flow): void {
    if (this.skippedTotal > this.skippedReported && this.now() - this.skippedReportedAt >= 1000) this.announceSkipped();
    this.ring.push(flow);
    this.total++;
    this.byVerdict.set(flow.verdict, (this.byVerdict.get(flow.verdict) ?? 0) + 1);
    if (flow.verdict === 'DROPPED') {
      const reason = flow.dropReason ?? 'unknown';
      this.dropsByReason.set(reason, (this.dropsByReason.get(reason) ?? 0) + 1);
    }
    this.tick(1);
    for (const s of this.subscribers) if (matchFlow(s.filter, flow)) s.sink({ flow });
  }

  /** Events the kernel could not queue (ring buffer full), as a delta. */
  addLost(count: number): void {
    if (!(count > 0)) return;
    this.lostTotal += count;
    this.announceLost();
  }

  /** The same as an absolute counter (e.g. summed per-CPU kernel counter): only increases count. */
  setLostTotal(total: number): void {
    if (total > this.lostTotal) this.addLost(total - this.lostTotal);
  }

  addDecodeError(): void {
    this.decodeErrorCount++;
  }

  /** Events the agent skipped because it could not keep up (announced to followers at most once a second). */
  addSkipped(count: number): void {
    if (!(count > 0)) return;
    this.skippedTotal += count;
    if (this.now() - this.skippedReportedAt >= 1000) this.announceSkipped();
  }

  private announceSkipped(): void {
    const count = this.skippedTotal - this.skippedReported;
    this.skippedReported = this.skippedTotal;
    this.skippedReportedAt = this.now();
    const line: FlowStreamLine = { lost: { reason: 'agent-overloaded', count, total: this.skippedTotal, time: new Date(this.now()).toISOString() } };
    for (const s of this.subscribers) s.sink(line);
  }

  private announceLost(): void {
    const count = this.lostTotal - this.lostReported;
    if (count <= 0) return;
    this.lostReported = this.lostTotal;
    const line: FlowStreamLine = { lost: { reason: 'ring-buffer-full', count, total: this.lostTotal, time: new Date(this.now()).toISOString() } };
    for (const s of this.subscribers) s.sink(line);
  }

  /** The newest `limit` flows matching `filter`, oldest first. */
  query(filter: FlowFilter, limit: number): Flow[] {
    return this.ring.last(limit, (f) => matchFlow(filter, f));
  }

  /** Streams matching flows (and lost-event notices) to `sink` until the returned function is called. */
  follow(filter: FlowFilter, sink: FlowSink, options: FollowOptions = {}): () => void {
    if (options.backlog && options.backlog > 0) for (const flow of this.query(filter, options.backlog)) sink({ flow });
    const sub = { filter, sink };
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  get followers(): number {
    return this.subscribers.size;
  }

  get lost(): number {
    return this.lostTotal;
  }

  get skipped(): number {
    return this.skippedTotal;
  }

  get decodeErrors(): number {
    return this.decodeErrorCount;
  }

  get totalFlows(): number {
    return this.total;
  }

  private tick(n: number): void {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.bucketSecond) {
      const gap = Math.min(second - this.bucketSecond, RATE_WINDOW_S);
      for (let i = 1; i <= gap; i++) this.buckets[(this.bucketSecond + i) % RATE_WINDOW_S] = 0;
      this.bucketSecond = second;
    }
    this.buckets[second % RATE_WINDOW_S]! += n;
  }

  /** Flows per second over the last complete seconds of the window (shorter right after start). */
  rate(): number {
    this.tick(0);
    const current = this.bucketSecond;
    const span = Math.min(RATE_WINDOW_S - 1, current - Math.floor(this.startedAt / 1000));
    if (span <= 0) return 0;
    let sum = 0;
    for (let i = 1; i <= span; i++) sum += this.buckets[(current - i) % RATE_WINDOW_S]!;
    return sum / span;
  }

  stats(): FlowStatus {
    return {
      ratePerSecond: Math.round(this.rate() * 100) / 100,
      total: this.total,
      lost: this.lostTotal,
      decodeErrors: this.decodeErrorCount,
      skipped: this.skippedTotal,
      bufferSize: this.ring.capacity,
      buffered: this.ring.size,
    };
  }
}
