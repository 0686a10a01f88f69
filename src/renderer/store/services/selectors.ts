// Selectors of the services view over the services slice (memoised where they build arrays).
import type { DesiredService } from '../../../shared/services/index.js';
import type { LumenState } from '../types.js';
import { namespaceCounts, type ServiceRow } from './rows.js';

export function selectServiceRow(state: LumenState, key: string | null): ServiceRow | undefined {
  return key === null ? undefined : state.services.rows.get(key);
}

/** The desired model of the selected service; its identity changes with the row's. */
export function selectDesired(state: LumenState, key: string | null): DesiredService | undefined {
  return key === null ? undefined : state.services.index.get(key);
}

let nsMemo: { rows: unknown; value: { namespace: string; count: number }[] } | null = null;

export function selectServiceNamespaces(state: LumenState): { namespace: string; count: number }[] {
  const rows = state.services.rows;
  if (nsMemo?.rows === rows) return nsMemo.value;
  const value = namespaceCounts(rows);
  nsMemo = { rows, value };
  return value;
}
