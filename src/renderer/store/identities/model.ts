// Identities view data from the caches: Identity and LumenEndpoint objects (lumen.dev/v1), pods, policies; and the shared policy evaluator's view of one identity.
import { formatLabels } from '../../../shared/agent-api/index.js';
import type { WireObject } from '../../../shared/contract/index.js';
import {
  ReservedIdentity, describeReservedIdentity, nodeIpv4s, podContainerPorts, reservedIdentityLabels, reservedIdentityName, splitSecurityLabels,
  type EndpointSlice, type Labels, type NetworkPolicy, type Node, type Pod,
} from '../../../shared/k8s/index.js';
import { buildPolicyModel, identityPolicy, type IdentityPolicyView, type PolicyEndpoint } from '../../../shared/policy/index.js';

type Cache = ReadonlyMap<string, WireObject>;

/** The LumenEndpoint status the agent writes (agent/src/endpoints/lumenendpoint.ts). */
export interface LumenEndpointStatus {
  id?: number;
  node?: string;
  ips?: string[];
  interface?: string;
  identity?: { id?: number; labels?: Labels };
  enforcement?: { ingress?: string; egress?: string };
  policyRevision?: number;
  health?: string;
  message?: string;
}

export interface IdentityRow {
  id: number;
  source: 'kubernetes' | 'reserved';
  labels: Labels;
  /** `key=value` sorted; `ns:` labels included. */
  labelText: string[];
  namespace: string | null;
  endpoints: number;
  nodes: string[];
  /** Reserved identities: one line on what they stand for. */
  description: string | null;
  /** Lower-case haystack for the search box. */
  search: string;
}

export interface EndpointRow {
  key: string;
  namespace: string;
  pod: string;
  endpointId: number | null;
  identity: number | null;
  ips: string[];
  node: string | null;
  ingress: string;
  egress: string;
  policyRevision: number | null;
  health: string;
  message: string | null;
}

function statusOf(obj: WireObject): LumenEndpointStatus {
  return ((obj as { status?: LumenEndpointStatus }).status ?? {}) as LumenEndpointStatus;
}

export function endpointRow(obj: WireObject): EndpointRow {
  const st = statusOf(obj);
  const namespace = obj.metadata.namespace ?? '';
  return {
    key: `${namespace}/${obj.metadata.name}`,
    namespace,
    pod: obj.metadata.name,
    endpointId: typeof st.id === 'number' ? st.id : null,
    identity: typeof st.identity?.id === 'number' ? st.identity.id : null,
    ips: st.ips ?? [],
    node: st.node ?? null,
    ingress: st.enforcement?.ingress ?? 'unknown',
    egress: st.enforcement?.egress ?? 'unknown',
    policyRevision: typeof st.policyRevision === 'number' ? st.policyRevision : null,
    health: st.health ?? 'unknown',
    message: st.message ?? null,
  };
}

export function endpointRows(lumenendpoints: Cache): EndpointRow[] {
  return [...lumenendpoints.values()].map(endpointRow).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function row(id: number, source: IdentityRow['source'], labels: Labels, endpoints: EndpointRow[], description: string | null): IdentityRow {
  const labelText = formatLabels(labels);
  const namespace = splitSecurityLabels(labels).namespace ?? null;
  const nodes = [...new Set(endpoints.map((e) => e.node).filter((n): n is string => n !== null))].sort();
  const search = [String(id), ...labelText, description ?? '', ...nodes].join(' ').toLowerCase();
  return { id, source, labels, labelText, namespace, endpoints: endpoints.length, nodes, description, search };
}

/**
 * One row per cluster identity (Identity objects, plus ids LumenEndpoints carry that have no
 * object yet), sorted by id, then the reserved identities with their explanation.
 */
export function identityRows(identities: Cache, lumenendpoints: Cache): { cluster: IdentityRow[]; reserved: IdentityRow[] } {
  const byId = new Map<number, EndpointRow[]>();
  const labelsFromEndpoints = new Map<number, Labels>();
  for (const obj of lumenendpoints.values()) {
    const ep = endpointRow(obj);
    if (ep.identity === null) continue;
    const list = byId.get(ep.identity);
    if (list) list.push(ep);
    else byId.set(ep.identity, [ep]);
    const labels = statusOf(obj).identity?.labels;
    if (labels && !labelsFromEndpoints.has(ep.identity)) labelsFromEndpoints.set(ep.identity, labels);
  }
  const cluster = new Map<number, IdentityRow>();
  for (const obj of identities.values()) {
    const id = Number(obj.metadata.name);
    if (!Number.isInteger(id)) continue;
    const labels = (obj as { spec?: { labels?: Labels } }).spec?.labels ?? {};
    cluster.set(id, row(id, 'kubernetes', labels, byId.get(id) ?? [], null));
  }
  for (const [id, labels] of labelsFromEndpoints) {
    if (!cluster.has(id)) cluster.set(id, row(id, 'kubernetes', labels, byId.get(id) ?? [], null));
  }
  const reserved = Object.values(ReservedIdentity)
    .filter((id) => id !== ReservedIdentity.unknown)
    .map((id) => row(id, 'reserved', reservedIdentityLabels(id) ?? {}, [], describeReservedIdentity(id) ?? null));
  return { cluster: [...cluster.values()].sort((a, b) => a.id - b.id), reserved };
}

/** Name of an identity for peer lists: reserved name or its labels. */
export function identityName(id: number, rows: ReadonlyMap<number, IdentityRow>): string {
  const reserved = reservedIdentityName(id);
  if (reserved) return `reserved:${reserved.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const r = rows.get(id);
  return r ? r.labelText.filter((l) => !l.startsWith('ns:')).join(', ') || '(no pod labels)' : 'unknown identity';
}

export interface PolicyCaches {
  pods: Cache;
  nodes: Cache;
  networkpolicies: Cache;
  identities: Cache;
  lumenendpoints: Cache;
  endpointslices: Cache;
}

/** The policy evaluator's inputs from the caches, the way the agent builds them (reconcile-policy.ts). */
export function policyInputsFromCaches(c: PolicyCaches) {
  const identityLabels = new Map<number, Labels>();
  for (const obj of c.identities.values()) {
    const id = Number(obj.metadata.name);
    const labels = (obj as { spec?: { labels?: Labels } }).spec?.labels;
    if (Number.isInteger(id) && labels) identityLabels.set(id, labels);
  }
  const endpoints: PolicyEndpoint[] = [];
  for (const obj of c.lumenendpoints.values()) {
    const st = statusOf(obj);
    const id = st.identity?.id;
    if (!id) continue;
    const labels = identityLabels.get(id) ?? st.identity?.labels;
    if (!labels) continue;
    identityLabels.set(id, labels);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const pod = c.pods.get(key) as Pod | undefined;
    const ep: PolicyEndpoint = { identity: id, labels, ips: st.ips ?? [], ports: pod ? podContainerPorts(pod) : [], name: key };
    if (st.node) ep.nodeName = st.node;
    endpoints.push(ep);
  }
  const apiserverAddresses: string[] = [];
  for (const obj of c.endpointslices.values()) {
    const s = obj as unknown as EndpointSlice;
    if (s.metadata?.namespace !== 'default' || s.metadata?.labels?.['kubernetes.io/service-name'] !== 'kubernetes') continue;
    for (const e of s.endpoints ?? []) apiserverAddresses.push(...(e.addresses ?? []));
  }
  return {
    policies: [...c.networkpolicies.values()] as NetworkPolicy[],
    endpoints,
    identities: [...identityLabels].map(([id, labels]) => ({ id, labels })),
    nodes: [...c.nodes.values()].map((n) => ({ name: n.metadata.name, addresses: nodeIpv4s(n as Node) })),
    apiserverAddresses,
  };
}

export interface IdentityDetail {
  endpoints: EndpointRow[];
  /** What policy says about the identity; null for reserved identities (policies select pods). */
  policy: IdentityPolicyView | null;
  /** Why the evaluator could not answer (inconsistent caches), if so. */
  policyError: string | null;
}

export function identityDetail(id: number, c: PolicyCaches): IdentityDetail {
  const endpoints = endpointRows(c.lumenendpoints).filter((e) => e.identity === id);
  if (id < 256) return { endpoints, policy: null, policyError: null };
  try {
    const model = buildPolicyModel(policyInputsFromCaches(c));
    if (!model.identities.has(id)) return { endpoints, policy: null, policyError: `identity ${id} is not known to the policy model (no Identity object or endpoint carries it)` };
    return { endpoints, policy: identityPolicy(model, id), policyError: null };
  } catch (error) {
    return { endpoints, policy: null, policyError: error instanceof Error ? error.message : String(error) };
  }
}
