// Selectors over the cached resources.
import { resourceKinds, type ResourceKind } from '../../../shared/contract/index.js';
import type { LumenState } from '../types.js';

export interface ResourceCount {
  kind: ResourceKind;
  count: number;
  synced: boolean;
  /** The watch is retrying (its error is in the status). */
  failing: boolean;
}

export const kindLabels: Record<ResourceKind, string> = {
  nodes: 'Nodes',
  namespaces: 'Namespaces',
  pods: 'Pods',
  services: 'Services',
  endpointslices: 'EndpointSlices',
  networkpolicies: 'NetworkPolicies',
  identities: 'Identities',
  lumenendpoints: 'LumenEndpoints',
};

const countsMemo = new WeakMap<object, WeakMap<object, ResourceCount[]>>();

/** Memoised on the caches and statuses: views subscribe with it, so it must be referentially stable. */
export function selectResourceCounts(state: LumenState): ResourceCount[] {
  const { kinds, status } = state.resources;
  let byStatus = countsMemo.get(kinds);
  const hit = byStatus?.get(status);
  if (hit) return hit;
  const counts = resourceKinds.map((kind) => ({
    kind,
    count: kinds[kind].items.size,
    synced: kinds[kind].synced,
    failing: status[kind]?.status === 'backoff',
  }));
  if (!byStatus) countsMemo.set(kinds, (byStatus = new WeakMap()));
  byStatus.set(status, counts);
  return counts;
}

/** Ready pods / all pods, from the Ready condition. */
export function selectPodReadiness(state: LumenState): { ready: number; total: number } {
  let ready = 0;
  const items = state.resources.kinds.pods.items;
  for (const pod of items.values()) {
    const conditions = (pod as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
  }
  return { ready, total: items.size };
}
