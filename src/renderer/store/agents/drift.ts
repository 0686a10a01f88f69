// Per node: what its agent realized for one service next to what is desired, as drift items with one readable line each.
import { formatL4Addr, serviceDrift, type Drift, type ServiceEntry } from '../../../shared/agent-api/index.js';
import type { AgentFailure, LumenErrorPayload, RealizedServiceResponse } from '../../../shared/contract/index.js';
import type { DesiredService } from '../../../shared/services/index.js';

export interface DriftItem {
  /** `ip:port/PROTO` of the frontend concerned. */
  frontend: string;
  drift: Drift;
  text: string;
}

export interface NodeRealized {
  node: string;
  pod: string | null;
  /** in-sync: every frontend programmed as its agent wants; drift: see items; unknown: the agent did not answer. */
  state: 'in-sync' | 'drift' | 'unknown';
  items: DriftItem[];
  /** The node's entries for this service (the realized side of the details panel). */
  entries: ServiceEntry[];
  failure: AgentFailure | null;
  error: LumenErrorPayload | null;
}

export function describeDrift(d: Drift, frontend: string): string {
  switch (d.kind) {
    case 'not-programmed':
      return `frontend ${frontend} is not programmed in the datapath`;
    case 'stale-frontend':
      return `stale frontend ${frontend} is still in the maps (the API no longer has it)`;
    case 'missing-backend':
      return `backend ${d.backend.ip}:${d.backend.port} of ${frontend} is missing from the maps`;
    case 'stale-backend':
      return `stale backend ${d.backend.ip}:${d.backend.port} of ${frontend} is still in the maps`;
    case 'backend-state':
      return `backend ${d.backend.ip}:${d.backend.port} of ${frontend} is ${d.realized} in the maps but ${d.desired} in the API`;
    case 'flags':
      return `${frontend}: ${d.field} differs between the API and the maps`;
  }
}

/**
 * Drift of one node: the agent's own desired-vs-realized difference for each of its entries
 * of the service, plus every frontend the console's model expects that the agent does not
 * list at all (not programmed). NodePort frontends are node addresses the console's model
 * does not enumerate: they count only through the agent's entries.
 */
export function nodeDrift(desired: DesiredService | undefined, entries: readonly ServiceEntry[]): DriftItem[] {
  const items: DriftItem[] = [];
  const listed = new Set(entries.map((e) => formatL4Addr(e.frontend)));
  for (const f of desired?.frontends ?? []) {
    if (f.kind === 'NodePort' || listed.has(f.key)) continue;
    items.push({ frontend: f.key, drift: { kind: 'not-programmed' }, text: describeDrift({ kind: 'not-programmed' }, f.key) });
  }
  for (const e of entries) {
    const frontend = formatL4Addr(e.frontend);
    for (const d of serviceDrift(e)) items.push({ frontend, drift: d, text: describeDrift(d, frontend) });
  }
  return items;
}

/** Every node of the answer, in node order. */
export function realizedByNode(desired: DesiredService | undefined, response: RealizedServiceResponse | null): NodeRealized[] {
  if (!response) return [];
  return response.nodes.map((r): NodeRealized => {
    if (!r.ok) return { node: r.node, pod: r.pod, state: 'unknown', items: [], entries: [], failure: r.failure, error: r.error };
    const items = nodeDrift(desired, r.value);
    return { node: r.node, pod: r.pod, state: items.length > 0 ? 'drift' : 'in-sync', items, entries: r.value, failure: null, error: null };
  });
}
