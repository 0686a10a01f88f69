// The Identity custom resource (lumen.dev/v1, cluster-scoped) as the agent writes it, and
// the numeric ranges identities come from.
import { createHash } from 'node:crypto';
import { canonicalLabels } from '../../../src/shared/k8s/index.js';

export { canonicalLabels };

/** Cluster identities: [256, 65536). Numbers below are reserved; CIDR identities start at 1<<24. */
export const CLUSTER_ID_MIN = 256;
export const CLUSTER_ID_MAX = 65535;
export const CIDR_ID_MIN = 1 << 24;

/** Label on each Identity: a hash of the canonical label string, for lookup by selector. */
export const LABELS_HASH_LABEL = 'lumen.dev/labels-hash';

export type Labels = Record<string, string>;

/**
 * Identity object. `name` is the decimal id; `spec.labels` the security labels; the
 * object is never changed after creation (a label set maps to one identity for life).
 */
export interface IdentityObject {
  apiVersion: 'lumen.dev/v1';
  kind: 'Identity';
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: { labels: Labels };
}

/** 40 hex chars: fits a label value (≤ 63, alphanumeric ends). */
export function labelsHash(labels: Labels): string {
  return createHash('sha256').update(canonicalLabels(labels)).digest('hex').slice(0, 40);
}

/** First number tried for a label set: derived from the hash so racing agents try the same one. */
export function preferredId(labels: Labels): number {
  const h = createHash('sha256').update(canonicalLabels(labels)).digest();
  return CLUSTER_ID_MIN + (h.readUInt32BE(0) % (CLUSTER_ID_MAX - CLUSTER_ID_MIN + 1));
}

export function sameLabels(a: Labels, b: Labels): boolean {
  return canonicalLabels(a) === canonicalLabels(b);
}

export function identityObject(id: number, labels: Labels): IdentityObject {
  return {
    apiVersion: 'lumen.dev/v1',
    kind: 'Identity',
    metadata: { name: String(id), labels: { [LABELS_HASH_LABEL]: labelsHash(labels), 'app.kubernetes.io/managed-by': 'lumen-agent' } },
    spec: { labels },
  };
}
