// Stable rule ids: a 31-bit FNV-1a hash of what the rule is (policy ns/name, direction, rule
// index), so an unchanged rule keeps its id across recompiles, agents and restarts.
import type { Direction, EnforcementMode } from './types.js';

/** No entry matched (the datapath's default deny on an enforced endpoint). */
export const RULE_ID_NONE = 0;
/** Traffic between an endpoint and its own node: always allowed. */
export const RULE_ID_HOST = 1;
/** Ids below this are reserved for fixed meanings. */
export const RULE_ID_FIRST_HASHED = 16;
const RANGE = 0x80000000 - RULE_ID_FIRST_HASHED;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function policyRuleKey(policy: string, direction: Direction, ruleIndex: number): string {
  return `${policy}:${direction}:${ruleIndex}`;
}

export function defaultDenyKey(direction: Direction, selectedBy: readonly string[], mode: EnforcementMode): string {
  return `deny:${direction}:${mode}:${selectedBy.join(',')}`;
}

/**
 * Assigns ids to `keys` (processed in sorted order so the result does not depend on input
 * order): the hash, or on a collision with an id already taken, the next free one. Ids of
 * keys that do not collide depend only on the key.
 */
export function assignRuleIds(keys: Iterable<string>, taken: Map<number, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of [...new Set(keys)].sort()) {
    let id = RULE_ID_FIRST_HASHED + (fnv1a(key) % RANGE);
    while (taken.has(id) && taken.get(id) !== key) id = id + 1 >= 0x80000000 ? RULE_ID_FIRST_HASHED : id + 1;
    taken.set(id, key);
    out.set(key, id);
  }
  return out;
}
