// Diffing compiled entries: what to write and what to delete in the policy map when an
// endpoint's entries change. Entries are keyed by everything but verdict and rule id.
import type { PolicyEntry } from './types.js';

export function policyEntryKey(e: PolicyEntry): string {
  return `${e.endpointId}|${e.direction}|${e.remoteIdentity}|${e.protocol}|${e.portLow}|${e.portHigh}`;
}

export interface PolicyEntryDiff {
  /** New keys, and keys whose verdict or rule id changed. */
  upserts: PolicyEntry[];
  /** Keys no longer present. */
  deletes: PolicyEntry[];
}

export function diffPolicyEntries(previous: readonly PolicyEntry[], next: readonly PolicyEntry[]): PolicyEntryDiff {
  const before = new Map(previous.map((e) => [policyEntryKey(e), e]));
  const upserts: PolicyEntry[] = [];
  for (const e of next) {
    const key = policyEntryKey(e);
    const old = before.get(key);
    if (old === undefined || old.verdict !== e.verdict || old.ruleId !== e.ruleId) upserts.push(e);
    before.delete(key);
  }
  return { upserts, deletes: [...before.values()] };
}
