// Turns a RawFlowEvent into a Flow: wall-clock time, enum names, pods/namespaces/nodes/labels of both peers, the service, and the policy that decided.
import type { Flow, FlowPeer, FlowPolicy, FlowProtocol, TcpFlag } from '../../../src/shared/flow/index.js';
import type { Direction, FlowLookups, Labels, ObjectRef, PolicyRuleRef } from '../api/view.js';
import { datapathNames, type DatapathNames, type RawFlowEvent } from './raw.js';

/** Maps kernel monotonic nanoseconds to wall-clock milliseconds. */
export interface EventClock {
  wallMs(monotonicNs: number): number;
}

/**
 * bpf_ktime_get_ns() and process.hrtime() both read CLOCK_MONOTONIC on Linux, so one offset
 * taken now converts every event; it is re-taken periodically so wall-clock steps (NTP) show up.
 */
export function monotonicClock(refreshMs = 60_000): EventClock {
  let offsetMs = 0;
  let takenAt = -Infinity;
  const refresh = (): void => {
    offsetMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
    takenAt = performance.now();
  };
  return {
    wallMs(ns) {
      if (performance.now() - takenAt > refreshMs) refresh();
      return Math.floor(ns / 1e6 + offsetMs);
    },
  };
}

const protocolNames: Record<number, FlowProtocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP', 1: 'ICMP' };
const tcpFlagBits: [number, TcpFlag][] = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR']];

// A flag byte has 256 values: precompute the arrays once (shared, never mutated).
const tcpFlagLists: readonly TcpFlag[][] = Array.from({ length: 256 }, (_, b) => tcpFlagBits.filter(([bit]) => b & bit).map(([, n]) => n));

const noLabels: Labels = Object.freeze({}) as Labels;
const noRefs: ObjectRef[] = [];

export class FlowDecodeError extends Error {
  override readonly name = 'FlowDecodeError';
}

const refName = (r: ObjectRef): string => `${r.namespace}/${r.name}`;

/**
 * Date.toISOString for event times, recomputing the date part only when the second changes
 * (events arrive in near time order; the full conversion costs more than the rest of enrichment).
 */
export function isoTimeFormatter(): (ms: number) => string {
  let second = NaN;
  let prefix = '';
  return (ms) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      prefix = new Date(s * 1000).toISOString().slice(0, 20);
    }
    const frac = ms - s * 1000;
    return `${prefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  };
}

export interface Enricher {
  enrich(raw: RawFlowEvent): Flow;
}

export function createEnricher(lookups: FlowLookups, names: DatapathNames = datapathNames, clock: EventClock = monotonicClock()): Enricher {
  const isoTime = isoTimeFormatter();
  const peer = (ip: string, port: number, identity: number): FlowPeer => {
    const known = lookups.peerByIp(ip);
    const p: FlowPeer = { ip, port, identity, labels: lookups.identityLabels(identity) ?? noLabels };
    if (known) {
      if (known.namespace !== undefined) p.namespace = known.namespace;
      if (known.pod !== undefined) p.pod = known.pod;
      if (known.node !== undefined) p.node = known.node;
    }
    return p;
  };

  // Policy explanations repeat for every packet a rule decides: build each once. An entry is
  // reused only while the lookup still returns the same object (rule, selecting-policy list),
  // so a changed policy shows at once without any invalidation protocol.
  const ruleCache = new Map<number, { rule: PolicyRuleRef | undefined; policy: FlowPolicy }>();
  const denyCache = new Map<number, { selectedBy: ObjectRef[]; policy: FlowPolicy }>();
  const decisionIndex = { allowed: 0, denied: 1, audit: 2 } as const;

  const policyOf = (raw: RawFlowEvent, verdict: Flow['verdict'], direction: Direction): FlowPolicy | undefined => {
    const dir = direction === 'ingress' ? 0 : 1;
    if (raw.rule_id !== 0) {
      const rule = lookups.ruleById(raw.rule_id);
      const decision = verdict === 'DROPPED' ? 'denied' : verdict === 'AUDIT' ? 'audit' : 'allowed';
      const key = raw.rule_id * 8 + decisionIndex[decision] * 2 + dir;
      const hit = ruleCache.get(key);
      if (hit && hit.rule === rule) return hit.policy;
      const ruleText = rule ? `${refName(rule.policy)} ${rule.direction} rule ${rule.ruleIndex}` : `rule id ${raw.rule_id} (unknown to this agent)`;
      const verb = decision === 'allowed' ? 'allowed by' : decision === 'denied' ? 'denied by' : 'would be denied by';
      const out: FlowPolicy = { direction, decision, ruleId: raw.rule_id, selectedBy: noRefs, summary: `${verb} ${ruleText}` };
      if (rule) out.rule = rule;
      if (ruleCache.size >= 65536) ruleCache.clear();
      ruleCache.set(key, { rule, policy: out });
      return out;
    }
    const policyDrop = verdict === 'DROPPED' && names.isPolicyDrop(raw.drop_reason);
    if (!policyDrop && verdict !== 'AUDIT') return undefined;
    const selectedBy = lookups.selectingPolicies(raw.endpoint_id, direction);
    const key = raw.endpoint_id * 4 + (verdict === 'AUDIT' ? 2 : 0) + dir;
    const hit = denyCache.get(key);
    if (hit && hit.selectedBy === selectedBy) return hit.policy;
    const why = selectedBy.length > 0 ? `selected by ${selectedBy.map(refName).join(', ')} and no rule allows it` : 'policy enforcement is on for every endpoint and no rule allows it';
    const out: FlowPolicy = {
      direction,
      decision: verdict === 'AUDIT' ? 'audit' : 'denied',
      ruleId: 0,
      selectedBy,
      summary: `${verdict === 'AUDIT' ? 'would be denied (audit)' : 'denied'}: ${direction}, ${why}`,
    };
    if (denyCache.size >= 65536) denyCache.clear();
    denyCache.set(key, { selectedBy, policy: out });
    return out;
  };

  return {
    enrich(raw) {
      const verdict = names.verdict(raw.verdict);
      if (verdict === undefined) throw new FlowDecodeError(`unknown verdict code ${raw.verdict}`);
      const protocol = protocolNames[raw.proto] ?? 'OTHER';
      const direction: Direction = names.isIngressPoint(raw.obs_point) ? 'ingress' : 'egress';
      const flow: Flow = {
        time: isoTime(clock.wallMs(raw.time_ns)),
        node: lookups.nodeName,
        verdict,
        observationPoint: names.observationPoint(raw.obs_point),
        protocol,
        ipProtocol: raw.proto,
        source: peer(raw.saddr, raw.sport, raw.src_identity),
        destination: peer(raw.daddr, raw.dport, raw.dst_identity),
        isReply: (raw.flags & names.flagReply) !== 0,
        tcpFlags: protocol === 'TCP' ? tcpFlagLists[raw.tcp_flags & 255]! : [],
        packets: raw.packets,
        bytes: raw.bytes,
        endpointId: raw.endpoint_id,
        ifindex: raw.ifindex,
      };
      if (verdict === 'DROPPED') {
        flow.dropReason = names.dropReason(raw.drop_reason);
        flow.dropReasonCode = raw.drop_reason;
      }
      const policy = policyOf(raw, verdict, direction);
      if (policy) flow.policy = policy;
      if ((raw.flags & names.flagTranslated) !== 0 && raw.svc_addr !== '0.0.0.0') {
        const frontend = { ip: raw.svc_addr, port: raw.svc_port, protocol: protocol === 'UDP' || protocol === 'SCTP' ? protocol : ('TCP' as const) };
        const name = lookups.serviceByFrontend(frontend);
        flow.service = name ? { frontend, name } : { frontend };
      }
      return flow;
    },
  };
}
