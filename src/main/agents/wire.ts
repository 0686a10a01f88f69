// Per-node agent results in the contract's wire form (errors as payloads with their failure kind).
import { toErrorPayload, type AgentFailure, type LumenErrorPayload } from '../../shared/contract/index.js';
import type { AgentResult } from './client.js';

export type AgentResultWire<V> =
  | { node: string; pod: string | null; ok: true; value: V }
  | { node: string; pod: string | null; ok: false; failure: AgentFailure; error: LumenErrorPayload };

export function agentResultWire<T, V = T>(result: AgentResult<T>, map?: (value: T) => V): AgentResultWire<V> {
  if (result.ok) return { node: result.node, pod: result.pod, ok: true, value: map ? map(result.value) : (result.value as unknown as V) };
  return { node: result.node, pod: result.pod, ok: false, failure: result.error.failure, error: toErrorPayload(result.error) };
}
