// The raw flow event as decoded by the addon's codec (struct lumen_flow_event, agent/native/abi.ts), the record decoder, and the names of its enums.
import { Buffer } from 'node:buffer';
import { flowEvent, type RawFlowEvent } from '../../native/abi.js';
import {
  DropReason, EventFlag, ObsPoint, dropReasonText, obsPointName, verdictName,
} from '../../../src/shared/flow/datapath.js';
import type { FlowVerdict } from '../../../src/shared/flow/index.js';

export type { RawFlowEvent };

/** Bytes of one lumen_flow_event record. */
export const FLOW_EVENT_SIZE = flowEvent.size;

function checkSize(record: Uint8Array): void {
  if (record.byteLength !== flowEvent.size) {
    throw new Error(`flow event record is ${record.byteLength} bytes, lumen_flow_event is ${flowEvent.size} (agent and datapath objects from different builds?)`);
  }
}

/** One ring-buffer record (payload only) → RawFlowEvent, with the addon's generic codec (the reference). */
export function decodeFlowRecordGeneric(record: Uint8Array): RawFlowEvent {
  checkSize(record);
  const buf = Buffer.isBuffer(record) ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  return flowEvent.decode(buf);
}

const offsetOf = (name: string): number => {
  const f = flowEvent.fields.find((x) => x.name === name);
  if (!f) throw new Error(`lumen_flow_event has no field ${name}`);
  return f.offset;
};

// Offsets come from the addon's codec (the one layout definition, itself checked against the
// C struct); only the reading is specialised. The generic codec walks a field table and goes
// through BigInt for every u64, ~1.8 µs per event; this is the hot loop of the agent.
const O = {
  time: offsetOf('time_ns'), packets: offsetOf('packets'), bytes: offsetOf('bytes'), saddr: offsetOf('saddr'), daddr: offsetOf('daddr'),
  sport: offsetOf('sport'), dport: offsetOf('dport'), proto: offsetOf('proto'), verdict: offsetOf('verdict'), drop: offsetOf('drop_reason'),
  obs: offsetOf('obs_point'), srcId: offsetOf('src_identity'), dstId: offsetOf('dst_identity'), ep: offsetOf('endpoint_id'),
  ifindex: offsetOf('ifindex'), rule: offsetOf('rule_id'), svcAddr: offsetOf('svc_addr'), svcPort: offsetOf('svc_port'),
  tcp: offsetOf('tcp_flags'), flags: offsetOf('flags'),
};

// Cluster addresses repeat endlessly in flows: format each one once (bounded, reset when full).
const ipCache = new Map<number, string>();
function ipString(n: number): string {
  let s = ipCache.get(n);
  if (s === undefined) {
    if (ipCache.size >= 65536) ipCache.clear();
    s = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    ipCache.set(n, s);
  }
  return s;
}

/** One ring-buffer record (payload only) → RawFlowEvent; same result as the generic codec (tested), faster. */
export function decodeFlowRecord(record: Uint8Array): RawFlowEvent {
  checkSize(record);
  const b = Buffer.isBuffer(record) ? record : Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  return {
    time_ns: b.readUInt32LE(O.time) + b.readUInt32LE(O.time + 4) * 4294967296,
    packets: b.readUInt32LE(O.packets) + b.readUInt32LE(O.packets + 4) * 4294967296,
    bytes: b.readUInt32LE(O.bytes) + b.readUInt32LE(O.bytes + 4) * 4294967296,
    saddr: ipString(b.readUInt32BE(O.saddr)), daddr: ipString(b.readUInt32BE(O.daddr)),
    sport: b.readUInt16BE(O.sport), dport: b.readUInt16BE(O.dport),
    proto: b[O.proto]!, verdict: b[O.verdict]!, drop_reason: b[O.drop]!, obs_point: b[O.obs]!,
    src_identity: b.readUInt32LE(O.srcId), dst_identity: b.readUInt32LE(O.dstId), endpoint_id: b.readUInt32LE(O.ep),
    ifindex: b.readUInt32LE(O.ifindex), rule_id: b.readUInt32LE(O.rule),
    svc_addr: ipString(b.readUInt32BE(O.svcAddr)), svc_port: b.readUInt16BE(O.svcPort), tcp_flags: b[O.tcp]!,
    flags: b.readUInt16LE(O.flags),
  } as RawFlowEvent;
}

/** How numeric enums of the event become names (from src/shared/flow/datapath.ts; injectable for tests). */
export interface DatapathNames {
  verdict(code: number): FlowVerdict | undefined;
  dropReason(code: number): string;
  /** Whether a drop reason is "policy denied" (explained by the selecting policies when no rule id). */
  isPolicyDrop(code: number): boolean;
  observationPoint(code: number): string;
  /** Whether the observation point is on the way into the endpoint (policy direction ingress). */
  isIngressPoint(code: number): boolean;
  /** Event flag bits (LUMEN_EV_F_REPLY, LUMEN_EV_F_TRANSLATED). */
  flagReply: number;
  flagTranslated: number;
}

const verdicts: Record<string, FlowVerdict> = { forwarded: 'FORWARDED', dropped: 'DROPPED', audit: 'AUDIT' };

export const datapathNames: DatapathNames = {
  verdict: (code) => verdicts[verdictName(code)],
  dropReason: dropReasonText,
  isPolicyDrop: (code) => code === DropReason.PolicyDenied,
  observationPoint: obsPointName,
  // to-endpoint: entering the pod (its ingress policy); to-netdev never carries a policy verdict.
  isIngressPoint: (code) => code === ObsPoint.ToEndpoint,
  flagReply: EventFlag.Reply,
  flagTranslated: EventFlag.Translated,
};
