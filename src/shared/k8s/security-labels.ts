// Security labels: the labels that define a pod's identity (pod labels that matter for security
// plus its namespace's labels as `ns:<key>`), their canonical string, and the inverse views
// that let selectors be evaluated against an identity's labels alone.
import type { Labels, Namespace, Pod } from './types.js';
import { labelValue } from './validation.js';

/** Prefix of namespace labels inside security labels. Pod label keys cannot contain ':'. */
export const NAMESPACE_LABEL_PREFIX = 'ns:';
/** The label every namespace carries with its own name (set by the API server since 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Security label holding the pod's namespace name. */
export const NAMESPACE_NAME_SECURITY_LABEL = `${NAMESPACE_LABEL_PREFIX}${NAMESPACE_NAME_LABEL}`;

/**
 * Pod label keys left out of identities. Each is set by a controller and is unique per pod,
 * per rollout or per run, so keeping it would give every pod (or every rollout) its own
 * identity — identity churn and map pressure — while no sane policy selects on it:
 * - pod-template-hash: Deployment/ReplicaSet rollout hash;
 * - controller-revision-hash: StatefulSet/DaemonSet revision hash;
 * - pod-template-generation: DaemonSet generation (deprecated);
 * - statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index: one value per pod;
 * - controller-uid, batch.kubernetes.io/controller-uid: the Job's UID (new per run);
 * - batch.kubernetes.io/job-completion-index: one value per indexed-Job pod.
 * Kept on purpose: job-name and batch.kubernetes.io/job-name (the Job's name, which policies
 * legitimately select; CronJob runs get one identity per run — accepted, GC reclaims them).
 * A selector that uses one of these keys sees it as absent; validate() warns about that.
 */
export const EXCLUDED_POD_LABEL_KEYS: readonly string[] = [
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-completion-index',
];

const excluded = new Set(EXCLUDED_POD_LABEL_KEYS);

export function isSecurityRelevantPodLabel(key: string): boolean {
  return !excluded.has(key) && !key.includes(':');
}

function sortedLabels(entries: Iterable<[string, string]>): Labels {
  const list = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Labels = {};
  for (const [k, v] of list) out[k] = v;
  return out;
}

/**
 * The security labels of a pod: its labels minus EXCLUDED_POD_LABEL_KEYS, plus the
 * namespace's labels as `ns:<key>`, always including `ns:kubernetes.io/metadata.name`.
 * Keys come out sorted. `namespace` may be absent (not in the cache yet): the name label
 * is still added from the pod, which is all an identity needs to be namespace-scoped.
 */
export function securityLabels(pod: Pod, namespace?: Namespace): Labels {
  const podNs = pod.metadata?.namespace;
  const nsName = namespace?.metadata?.name ?? podNs;
  if (!nsName) throw new Error(`securityLabels: pod ${JSON.stringify(pod.metadata?.name ?? '')} has no namespace`);
  if (podNs && namespace?.metadata?.name && podNs !== namespace.metadata.name) {
    throw new Error(`securityLabels: pod ${podNs}/${pod.metadata?.name ?? ''} is not in namespace ${namespace.metadata.name}`);
  }
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries(pod.metadata?.labels ?? {})) {
    if (isSecurityRelevantPodLabel(k)) entries.push([k, v]);
  }
  for (const [k, v] of Object.entries(namespace?.metadata?.labels ?? {})) entries.push([NAMESPACE_LABEL_PREFIX + k, v]);
  const out = sortedLabels(entries);
  out[NAMESPACE_NAME_SECURITY_LABEL] = nsName; // authoritative even if the label was edited
  return sortedLabels(Object.entries(out));
}

/** Canonical string of a label set: `k=v` sorted by key (code-unit order) joined by ','.
 *  Keys and values of valid labels never contain ',' or '=' so the form is unambiguous. */
export function canonicalLabels(labels: Readonly<Labels>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** Inverse of canonicalLabels; throws naming the position of a malformed item. */
export function parseCanonicalLabels(text: string): Labels {
  const out: Labels = {};
  if (text === '') return out;
  let offset = 0;
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`parseCanonicalLabels: item at offset ${offset} is not key=value: ${JSON.stringify(item)}`);
    const key = item.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new Error(`parseCanonicalLabels: duplicate key ${JSON.stringify(key)} at offset ${offset}`);
    }
    out[key] = item.slice(eq + 1);
    offset += item.length + 1;
  }
  return out;
}

/** An identity's labels split into what selectors look at. */
export interface SecurityLabelView {
  /** The namespace name; undefined for labels that are not a pod's (reserved identities). */
  namespace: string | undefined;
  /** Pod labels (what podSelector sees). */
  pod: Labels;
  /** Namespace labels without the `ns:` prefix (what namespaceSelector sees). */
  namespaceLabels: Labels;
  /** Other prefixed labels, e.g. `reserved:host`. */
  other: Labels;
}

export function splitSecurityLabels(labels: Readonly<Labels>): SecurityLabelView {
  const pod: Labels = {};
  const namespaceLabels: Labels = {};
  const other: Labels = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(NAMESPACE_LABEL_PREFIX)) namespaceLabels[k.slice(NAMESPACE_LABEL_PREFIX.length)] = v;
    else if (k.includes(':')) other[k] = v;
    else pod[k] = v;
  }
  return { namespace: labelValue(namespaceLabels, NAMESPACE_NAME_LABEL), pod, namespaceLabels, other };
}
