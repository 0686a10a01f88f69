// CIDR identities for ipBlocks: which prefixes need one, and a deterministic allocator that
// keeps existing numbers (so the ipcache and entries do not churn) and reuses freed ones.
import { CIDR_IDENTITY_MIN, IDENTITY_MAX } from '../k8s/index.js';
import type { PolicyModel } from './model.js';

/** Every IPv4 ipBlock cidr and except prefix of the model's policies, canonical, sorted by
 *  address then prefix length. Each needs a CIDR identity (see CidrIdentities). */
export function requiredCidrs(model: PolicyModel): string[] {
  return model.cidrs.map((c) => c.text);
}

/**
 * Identities for `required`: a CIDR already in `previous` keeps its number; new ones take the
 * lowest free numbers from `first` up, in the order given. CIDRs no longer required are
 * dropped (their numbers become free). Pure: same inputs, same map.
 */
export function assignCidrIdentities(
  required: readonly string[],
  previous: ReadonlyMap<string, number> = new Map(),
  first: number = CIDR_IDENTITY_MIN,
): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const cidr of required) {
    const id = previous.get(cidr);
    if (id !== undefined && !used.has(id) && id >= first && id < IDENTITY_MAX) {
      out.set(cidr, id);
      used.add(id);
    }
  }
  let next = first;
  for (const cidr of required) {
    if (out.has(cidr)) continue;
    while (used.has(next)) next++;
    if (next >= IDENTITY_MAX) throw new Error('assignCidrIdentities: identity space exhausted');
    out.set(cidr, next);
    used.add(next);
  }
  return out;
}
