// The Flow record: one enriched datapath flow event as the agent serves it and the console shows it.
import { z } from 'zod';
import { L4AddrSchema, ObjectRefSchema } from '../agent-api/services.js';
import { DirectionSchema, LabelsSchema, PolicyRuleRefSchema } from '../agent-api/endpoints.js';

/** FORWARDED: passed; DROPPED: dropped (see dropReason); AUDIT: policy would deny, passed (audit mode). */
export const FlowVerdictSchema = z.enum(['FORWARDED', 'DROPPED', 'AUDIT']);
export type FlowVerdict = z.infer<typeof FlowVerdictSchema>;

export const FlowProtocolSchema = z.enum(['TCP', 'UDP', 'SCTP', 'ICMP', 'OTHER']);
export type FlowProtocol = z.infer<typeof FlowProtocolSchema>;

export const TcpFlagSchema = z.enum(['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR']);
export type TcpFlag = z.infer<typeof TcpFlagSchema>;

/** One side of a flow, with what the agent knew about the address when it saw the flow. */
export const FlowPeerSchema = z.object({
  ip: z.string(),
  port: z.number().int().min(0).max(65535),
  identity: z.number().int().nonnegative(),
  labels: LabelsSchema,
  namespace: z.string().optional(),
  pod: z.string().optional(),
  node: z.string().optional(),
});
export type FlowPeer = z.infer<typeof FlowPeerSchema>;

/**
 * Why the policy verdict is what it is. `rule` names the NetworkPolicy rule that decided;
 * without it the decision is the default (not isolated → allowed, isolated by `selectedBy`
 * and no rule allows → denied). `summary` is the sentence the CLI and console print.
 */
export const FlowPolicySchema = z.object({
  direction: DirectionSchema,
  decision: z.enum(['allowed', 'denied', 'audit']),
  rule: PolicyRuleRefSchema.optional(),
  ruleId: z.number().int().nonnegative(),
  selectedBy: z.array(ObjectRefSchema),
  summary: z.string(),
});
export type FlowPolicy = z.infer<typeof FlowPolicySchema>;

export const FlowSchema = z.object({
  /** ISO 8601 UTC with milliseconds (canonical Date.toISOString form: string order = time order). */
  time: z.string(),
  /** Node whose agent observed the flow. */
  node: z.string(),
  verdict: FlowVerdictSchema,
  /** Drop reason name (stable text from the datapath enum), only on DROPPED. */
  dropReason: z.string().optional(),
  dropReasonCode: z.number().int().optional(),
  /** Where the datapath saw it (from-endpoint, to-endpoint, from-netdev, ...). */
  observationPoint: z.string(),
  protocol: FlowProtocolSchema,
  /** IP protocol number (useful when protocol is OTHER). */
  ipProtocol: z.number().int().min(0).max(255),
  source: FlowPeerSchema,
  destination: FlowPeerSchema,
  isReply: z.boolean(),
  tcpFlags: z.array(TcpFlagSchema),
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** Local endpoint id and interface the event came from. */
  endpointId: z.number().int().nonnegative(),
  ifindex: z.number().int().nonnegative(),
  policy: FlowPolicySchema.optional(),
  /** The service address the client used, when the flow was load-balanced. */
  service: z
    .object({ frontend: L4AddrSchema, name: ObjectRefSchema.optional() })
    .optional(),
});
export type Flow = z.infer<typeof FlowSchema>;

/**
 * One line of the follow stream (NDJSON): a flow, or a count of flows this stream misses —
 * ring-buffer-full: the kernel could not queue them (total = since agent start);
 * agent-overloaded: the agent could not decode them fast enough and skipped them;
 * slow-client: the agent skipped them because this client did not read fast enough.
 */
export const FlowStreamLineSchema = z.union([
  z.object({ flow: FlowSchema }),
  z.object({
    lost: z.object({
      reason: z.enum(['ring-buffer-full', 'agent-overloaded', 'slow-client']),
      count: z.number().int().nonnegative(),
      total: z.number().int().nonnegative(),
      time: z.string(),
    }),
  }),
]);
export type FlowStreamLine = z.infer<typeof FlowStreamLineSchema>;

export const FlowListSchema = z.object({
  items: z.array(FlowSchema),
  /** Lost events since the agent started. */
  lost: z.number().int().nonnegative(),
});
export type FlowList = z.infer<typeof FlowListSchema>;

/** "default/web-1" or the IP when the peer is no pod. */
export function peerName(p: FlowPeer): string {
  if (p.pod) return p.namespace ? `${p.namespace}/${p.pod}` : p.pod;
  if (p.node) return `${p.ip} (node ${p.node})`;
  return p.ip;
}

/** One-line description of a flow, the CLI's `observe` line without the time. */
export function describeFlow(f: Flow): string {
  const src = `${peerName(f.source)}:${f.source.port}`;
  const dst = `${peerName(f.destination)}:${f.destination.port}`;
  const svc = f.service ? ` (via ${f.service.name ? `${f.service.name.namespace}/${f.service.name.name} ` : ''}${f.service.frontend.ip}:${f.service.frontend.port})` : '';
  const flags = f.tcpFlags.length > 0 ? ` ${f.tcpFlags.join(',')}` : '';
  const reply = f.isReply ? ' reply' : '';
  const reason = f.verdict === 'DROPPED' && f.dropReason ? ` (${f.dropReason})` : '';
  const policy = f.policy;
  const why = policy && (policy.decision !== 'allowed' || policy.rule) ? ` — ${policy.summary}` : '';
  return `${src} -> ${dst}${svc} ${f.protocol}${flags}${reply} ${f.verdict}${reason}${why}`;
}
