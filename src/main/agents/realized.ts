// services:realized — every node's agent asked for its services map entries, narrowed to one Service (so the answer stays small at 5,000 services).
import type { ServiceEntry } from '../../shared/agent-api/index.js';
import { formatL4Addr } from '../../shared/agent-api/index.js';
import type { RealizedServiceRequest, RealizedServiceResponse } from '../../shared/contract/index.js';
import type { AgentsClient, CallOptions } from './client.js';
import { agentResultWire } from './wire.js';

/** Entries of a node that concern `service`: desired by it, or (stale) at one of its frontends. */
export function entriesOfService(entries: readonly ServiceEntry[], service: { namespace: string; name: string }, frontends: readonly string[]): ServiceEntry[] {
  const keys = new Set(frontends.map((f) => f.toUpperCase()));
  return entries.filter((e) =>
    (e.desired && e.desired.service.namespace === service.namespace && e.desired.service.name === service.name) ||
    keys.has(formatL4Addr(e.frontend).toUpperCase()));
}

export async function realizedService(agents: AgentsClient, request: { service: { namespace: string; name: string }; frontends?: string[] }, options: CallOptions = {}): Promise<RealizedServiceResponse> {
  const frontends = request.frontends ?? [];
  const results = await agents.forEachAgent((node, signal) => agents.services(node, { ...options, ...(signal ? { signal } : {}) }), options);
  return {
    nodes: results.map((r) => agentResultWire(r, (entries) => entriesOfService(entries, request.service, frontends))),
    at: new Date().toISOString(),
  };
}

export type { RealizedServiceRequest };
