// Contract of the views that read agents: per-node results (value or typed failure) and the services view's realized-state request.
import { z } from 'zod';
import { ServiceEntrySchema } from '../agent-api/index.js';
import { LumenErrorPayload } from './errors.js';

/** Why a call to one node's agent failed (src/main/agents/errors.ts explains each). */
export const agentFailures = [
  'not-installed', 'not-running', 'not-ready', 'unreachable', 'token-mismatch', 'forbidden', 'not-found', 'agent-error', 'bad-response', 'cluster',
] as const;
export const AgentFailure = z.enum(agentFailures);
export type AgentFailure = z.infer<typeof AgentFailure>;

/** One node's answer: the value, or the failure naming the node and pod. */
export function agentNodeResult<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.strictObject({ node: z.string(), pod: z.string().nullable(), ok: z.literal(true), value }),
    z.strictObject({ node: z.string(), pod: z.string().nullable(), ok: z.literal(false), failure: AgentFailure, error: LumenErrorPayload }),
  ]);
}

export const ObjectRef = z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) });

/**
 * Realized datapath state of one Service on every node: the agents' /v1/services entries
 * whose desired side belongs to `service`, plus entries whose frontend is one of
 * `frontends` (`ip:port/PROTO`): a stale frontend has no desired side to name its Service.
 */
export const RealizedServiceRequest = z.strictObject({
  service: ObjectRef,
  frontends: z.array(z.string().max(64)).max(256).default([]),
});
export type RealizedServiceRequest = z.input<typeof RealizedServiceRequest>;

export const RealizedNodeResult = agentNodeResult(z.array(ServiceEntrySchema));
export type RealizedNodeResult = z.infer<typeof RealizedNodeResult>;

export const RealizedServiceResponse = z.strictObject({
  /** One per node of the cluster, sorted by node name. */
  nodes: z.array(RealizedNodeResult),
  /** ISO time the answers were collected. */
  at: z.string(),
});
export type RealizedServiceResponse = z.infer<typeof RealizedServiceResponse>;
