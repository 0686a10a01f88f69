// Flow events: decoding lumen_flow_event records into FlowEvent objects, and readers over
// the ring buffer (a consumer thread delivering batches, or a synchronous drain).
import {
  EventFlag, dropReasonText, obsPointName, tcpFlagNames, verdictName,
  type ObsPointName, type VerdictName,
} from '../../src/shared/flow/datapath';
import { flowEvent, type RawFlowEvent } from './abi';
import { loadBinding, type NativeRingBufferConsumer } from './binding';
import { native } from './errors';

export interface FlowEndpoint {
  ip: string;
  port: number;
  identity: number;
}

export interface FlowEvent {
  /** Wall-clock milliseconds (from the monotonic kernel timestamp). */
  time: number;
  /** CLOCK_MONOTONIC nanoseconds as the kernel stamped it. */
  monotonicNs: number;
  source: FlowEndpoint;
  destination: FlowEndpoint;
  protocol: number;
  verdict: VerdictName | `verdict-${number}`;
  dropReason: number;
  /** Text name of dropReason ('policy denied', ...); '' when not dropped. */
  dropReasonText: string;
  obsPoint: ObsPointName | `point-${number}`;
  endpointId: number;
  ifindex: number;
  ruleId: number;
  /** Service frontend when the packet was load balanced (or reverse-translated). */
  service?: { ip: string; port: number };
  tcpFlags: string[];
  isReply: boolean;
  isNew: boolean;
  /** Packets/bytes of this direction of the connection so far. */
  packets: number;
  bytes: number;
  /** LUMEN_EV_F_* bits as sent. */
  flags: number;
}

/** Converts monotonic ns to wall ms; the offset is taken once per call site batch. */
export function monotonicToWallClock(): (ns: number) => number {
  const offsetMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
  return (ns) => ns / 1e6 + offsetMs;
}

export function toFlowEvent(r: RawFlowEvent, wall: (ns: number) => number): FlowEvent {
  const ev: FlowEvent = {
    time: wall(r.time_ns),
    monotonicNs: r.time_ns,
    source: { ip: r.saddr, port: r.sport, identity: r.src_identity },
    destination: { ip: r.daddr, port: r.dport, identity: r.dst_identity },
    protocol: r.proto,
    verdict: verdictName(r.verdict),
    dropReason: r.drop_reason,
    dropReasonText: r.drop_reason ? dropReasonText(r.drop_reason) : '',
    obsPoint: obsPointName(r.obs_point),
    endpointId: r.endpoint_id,
    ifindex: r.ifindex,
    ruleId: r.rule_id,
    tcpFlags: r.proto === 6 ? tcpFlagNames(r.tcp_flags) : [],
    isReply: (r.flags & EventFlag.Reply) !== 0,
    isNew: (r.flags & EventFlag.New) !== 0,
    packets: r.packets,
    bytes: r.bytes,
    flags: r.flags,
  };
  if (r.flags & EventFlag.Translated) ev.service = { ip: r.svc_addr, port: r.svc_port };
  return ev;
}

/** Splits a batch (records of: u32 length, u32 reserved, payload padded to 8). */
export function splitRecords(batch: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 8 <= batch.length) {
    const len = batch.readUInt32LE(off);
    if (off + 8 + len > batch.length) throw new Error(`[lumen-bpf] events: truncated record at offset ${off}`);
    out.push(batch.subarray(off + 8, off + 8 + len));
    off += 8 + ((len + 7) & ~7);
  }
  return out;
}

/** Decodes a batch; records of another size (a newer/older datapath) are counted, not decoded. */
export function decodeBatch(batch: Buffer, wall = monotonicToWallClock()): { events: FlowEvent[]; skipped: number } {
  const events: FlowEvent[] = [];
  let skipped = 0;
  for (const rec of splitRecords(batch)) {
    if (rec.length !== flowEvent.size) {
      skipped++;
      continue;
    }
    events.push(toFlowEvent(flowEvent.decode(rec), wall));
  }
  return { events, skipped };
}

/** Reads everything queued in the ring buffer now (tests; a consumer must not be running). */
export function drainFlowEvents(eventsFd: number): FlowEvent[] {
  const raw = native('drain events', () => loadBinding().drainRing(eventsFd));
  return decodeBatch(raw).events;
}

export interface FlowEventReaderOptions {
  /** Records per batch at most (default 1024). */
  maxBatch?: number;
  /** Batches queued towards JS before the reader thread waits (default 64). */
  maxQueued?: number;
  /** The datapath wakes the reader only when 32 KiB are queued; below that the reader
   *  drains every pollMs (default 50). */
  pollMs?: number;
  onError?: (err: Error) => void;
}

/**
 * Consumes the ring buffer on a native thread and calls onEvents with decoded batches on
 * the JS thread. close() stops and joins the thread (the process can then exit).
 */
export class FlowEventReader {
  private consumer: NativeRingBufferConsumer | undefined;
  private skipped = 0;

  constructor(eventsFd: number, onEvents: (events: FlowEvent[]) => void, opts: FlowEventReaderOptions = {}) {
    const b = loadBinding();
    const onBatch = (batch: Buffer) => {
      try {
        const r = decodeBatch(batch);
        this.skipped += r.skipped;
        if (r.events.length) onEvents(r.events);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (opts.onError) opts.onError(e);
        else console.error('[lumen-bpf] events:', e);
      }
    };
    this.consumer = native('start event reader', () => new b.RingBufferConsumer(eventsFd, onBatch, {
      ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
      ...(opts.maxQueued ? { maxQueued: opts.maxQueued } : {}),
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    }));
  }

  stats(): { events: number; batches: number; dropped: number; skipped: number } {
    const s = this.consumer?.stats() ?? { events: 0, batches: 0, dropped: 0 };
    return { ...s, skipped: this.skipped };
  }

  close(): void {
    this.consumer?.close();
    this.consumer = undefined;
  }
}
