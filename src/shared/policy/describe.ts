// Human strings for rule ids and verdicts, shared by the agent (flow enrichment, CLI) and the
// console, so a verdict reads the same everywhere.
import type { RuleRef } from './types.js';

function list(items: readonly string[]): string {
  return items.join(', ');
}

/** `shop/web ingress rule 2` (0-based, as in spec.ingress[2]). */
export function describeRule(ref: RuleRef): string {
  switch (ref.kind) {
    case 'policy':
      return `${ref.policy} ${ref.direction} rule ${ref.ruleIndex}`;
    case 'host':
      return 'traffic between a pod and its own node (always allowed)';
    case 'default-deny':
      return ref.selectedBy.length > 0
        ? `default deny: selected by ${list(ref.selectedBy)} and no rule allows it`
        : `default deny: enforcement mode '${ref.mode}' and no policy allows it`;
  }
}

/** The verdict line of an allowed flow: `allowed by shop/web ingress rule 2`. */
export function describeAllowed(refs: readonly RuleRef[]): string {
  if (refs.length === 0) return 'allowed';
  const first = refs[0]!;
  if (first.kind === 'host') return `allowed: ${describeRule(first)}`;
  const more = refs.length > 1 ? ` (and ${refs.length - 1} more)` : '';
  return `allowed by ${describeRule(first)}${more}`;
}

/** `denied: selected by ns/a, ns/b and no rule allows it`. */
export function describeDenied(selectedBy: readonly string[], mode: string): string {
  return selectedBy.length > 0
    ? `denied: selected by ${list(selectedBy)} and no rule allows it`
    : `denied: enforcement mode '${mode}' and no policy selects it`;
}
