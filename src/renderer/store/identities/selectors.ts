// Memoised selectors of the identities view: rows from the Identity/LumenEndpoint caches, filtered rows, the selected identity's detail.
import { searchTerms } from '../services/rows.js';
import type { LumenState } from '../types.js';
import { endpointRows, identityDetail, identityRows, type EndpointRow, type IdentityDetail, type IdentityRow } from './model.js';

type Rows = { cluster: IdentityRow[]; reserved: IdentityRow[]; byId: ReadonlyMap<number, IdentityRow> };

let rowsMemo: { identities: unknown; endpoints: unknown; value: Rows } | null = null;

export function selectIdentityRows(state: LumenState): Rows {
  const identities = state.resources.kinds.identities.items;
  const endpoints = state.resources.kinds.lumenendpoints.items;
  if (rowsMemo && rowsMemo.identities === identities && rowsMemo.endpoints === endpoints) return rowsMemo.value;
  const { cluster, reserved } = identityRows(identities, endpoints);
  const byId = new Map<number, IdentityRow>([...cluster, ...reserved].map((r) => [r.id, r]));
  const value = { cluster, reserved, byId };
  rowsMemo = { identities, endpoints, value };
  return value;
}

let filteredMemo: { rows: Rows; search: string; value: IdentityRow[] } | null = null;

/** Cluster identities matching the search (every term must appear). */
export function selectVisibleIdentities(state: LumenState): IdentityRow[] {
  const rows = selectIdentityRows(state);
  const search = state.identities.search;
  if (filteredMemo && filteredMemo.rows === rows && filteredMemo.search === search) return filteredMemo.value;
  const terms = searchTerms(search);
  const value = terms.length === 0 ? rows.cluster : rows.cluster.filter((r) => terms.every((t) => r.search.includes(t)));
  filteredMemo = { rows, search, value };
  return value;
}

let endpointsMemo: { endpoints: unknown; search: string; value: EndpointRow[] } | null = null;

export function selectVisibleEndpoints(state: LumenState): EndpointRow[] {
  const endpoints = state.resources.kinds.lumenendpoints.items;
  const search = state.identities.search;
  if (endpointsMemo && endpointsMemo.endpoints === endpoints && endpointsMemo.search === search) return endpointsMemo.value;
  const terms = searchTerms(search);
  const all = endpointRows(endpoints);
  const value = terms.length === 0 ? all : all.filter((e) => {
    const hay = `${e.key} ${e.identity ?? ''} ${e.ips.join(' ')} ${e.node ?? ''} ${e.health}`.toLowerCase();
    return terms.every((t) => hay.includes(t));
  });
  endpointsMemo = { endpoints, search, value };
  return value;
}

let detailMemo: { id: number; kinds: LumenState['resources']['kinds']; value: IdentityDetail } | null = null;

/** The selected identity's endpoints and policy view; recomputed only when a cache it reads changes. */
export function selectIdentityDetail(state: LumenState): IdentityDetail | null {
  const id = state.identities.selected;
  if (id === null) return null;
  const k = state.resources.kinds;
  const prev = detailMemo;
  if (prev && prev.id === id && (['pods', 'nodes', 'networkpolicies', 'identities', 'lumenendpoints', 'endpointslices'] as const).every((kind) => prev.kinds[kind].items === k[kind].items)) {
    return prev.value;
  }
  const value = identityDetail(id, {
    pods: k.pods.items, nodes: k.nodes.items, networkpolicies: k.networkpolicies.items,
    identities: k.identities.items, lumenendpoints: k.lumenendpoints.items, endpointslices: k.endpointslices.items,
  });
  detailMemo = { id, kinds: k, value };
  return value;
}
