// What the install may need to do, derived from the rendered objects plus what apply, rollout, check and uninstall call; and the access reviews that answer it.
import type { K8sObject } from '../../../../resources/manifests.js';
import { mapLimited } from '../../../shared/async/index.js';
import { selfAccessReview } from '../../cluster/access-review.js';
import type { KubeApi } from '../kube.js';
import { kindInfo } from '../resources.js';

export interface AccessNeed {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted: every namespace (or a cluster-scoped resource). */
  namespace?: string;
  /** What the install does with it, for the list of missing permissions. */
  why: string;
}

export interface AccessAnswer extends AccessNeed {
  allowed: boolean;
  reason: string | null;
}

function needKey(n: AccessNeed): string {
  return [n.verb, n.group, n.resource, n.subresource ?? '', n.namespace ?? ''].join('|');
}

/** "create clusterroles.rbac.authorization.k8s.io", "get pods/log in lumen-system". */
export function needLabel(n: Pick<AccessNeed, 'verb' | 'group' | 'resource' | 'subresource' | 'namespace'>): string {
  const resource = `${n.resource}${n.subresource ? `/${n.subresource}` : ''}${n.group ? `.${n.group}` : ''}`;
  return `${n.verb} ${resource}${n.namespace ? ` in ${n.namespace}` : ''}`;
}

/**
 * Every access the install may use. Server-side apply creates through PATCH, and the API
 * server checks `create` as well as `patch` when the object does not exist yet; the
 * namespace of namespaced objects does not exist before the install, so only cluster-wide
 * grants count there — which is exactly what an access review for it answers.
 */
export function installNeeds(objects: readonly K8sObject[], namespace: string): AccessNeed[] {
  const needs: AccessNeed[] = [];
  const add = (n: AccessNeed) => needs.push(n);
  for (const o of objects) {
    const info = kindInfo(o.kind);
    const ns = info.namespaced ? (o.metadata.namespace ?? namespace) : undefined;
    const base = { group: info.group, resource: info.plural, ...(ns ? { namespace: ns } : {}) };
    add({ ...base, verb: 'get', why: `read ${o.kind} ${o.metadata.name} to compare it with the new version` });
    add({ ...base, verb: 'create', why: `create ${o.kind} ${o.metadata.name}` });
    add({ ...base, verb: 'patch', why: `apply ${o.kind} ${o.metadata.name} (server-side apply)` });
    add({ ...base, verb: 'delete', why: `remove ${o.kind} ${o.metadata.name} on uninstall or roll back` });
    add({ ...base, verb: 'list', why: `find what is left of ${o.kind} objects after an uninstall` });
  }
  const inNs = { namespace };
  // Rollout: the DaemonSet's pods, their events and logs, and the agents' own readiness.
  add({ verb: 'watch', group: 'apps', resource: 'daemonsets', ...inNs, why: 'follow the agent DaemonSet\'s rollout' });
  add({ verb: 'list', group: '', resource: 'pods', ...inNs, why: 'follow the agent pods per node' });
  add({ verb: 'watch', group: '', resource: 'pods', ...inNs, why: 'follow the agent pods per node' });
  add({ verb: 'list', group: '', resource: 'events', ...inNs, why: 'show why an agent pod does not start' });
  add({ verb: 'get', group: '', resource: 'pods', subresource: 'log', ...inNs, why: 'show the logs tail of a crashing agent' });
  add({ verb: 'get', group: '', resource: 'pods', subresource: 'proxy', ...inNs, why: 'ask each agent whether it is ready (its API, through the pod proxy)' });
  add({ verb: 'list', group: '', resource: 'nodes', why: 'read node kernels and addresses' });
  // Connectivity check: a namespace of its own with pods, Services and a NetworkPolicy.
  add({ verb: 'create', group: '', resource: 'namespaces', why: 'create the connectivity check\'s temporary namespace' });
  add({ verb: 'delete', group: '', resource: 'namespaces', why: 'remove the connectivity check\'s temporary namespace' });
  for (const verb of ['create', 'get', 'list', 'watch', 'delete']) add({ verb, group: '', resource: 'pods', why: 'run the connectivity check\'s echo and client pods' });
  add({ verb: 'get', group: '', resource: 'pods', subresource: 'log', why: 'read the connectivity check clients\' answers' });
  add({ verb: 'create', group: '', resource: 'services', why: 'create the connectivity check\'s Services' });
  add({ verb: 'create', group: 'networking.k8s.io', resource: 'networkpolicies', why: 'check that a deny policy denies' });
  // RBAC: granting the agent's roles needs escalate/bind or holding what they grant (checked separately).
  add({ verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', why: 'grant the agent its ClusterRole' });
  add({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', why: 'bind the agent\'s ClusterRole to its ServiceAccount' });
  add({ verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', ...inNs, why: 'grant the agent its Role' });
  add({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'roles', ...inNs, why: 'bind the agent\'s Role to its ServiceAccount' });
  const seen = new Map<string, AccessNeed>();
  for (const n of needs) if (!seen.has(needKey(n))) seen.set(needKey(n), n);
  return [...seen.values()];
}

/** The permissions a Role/ClusterRole grants, as needs (to test "holds what it grants" instead of escalate/bind). */
export function roleGrants(role: K8sObject, namespace?: string): AccessNeed[] {
  const rules = (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[] | undefined) ?? [];
  const out: AccessNeed[] = [];
  for (const r of rules) {
    for (const group of r.apiGroups) {
      for (const full of r.resources) {
        const [resource, subresource] = full.split('/') as [string, string | undefined];
        for (const verb of r.verbs) {
          out.push({ verb, group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), why: `grant it to the agent (${role.kind} ${role.metadata.name})` });
        }
      }
    }
  }
  return out;
}

export async function reviewAccess(kube: KubeApi, need: AccessNeed, signal?: AbortSignal): Promise<AccessAnswer> {
  const verdict = await selfAccessReview((path, body, opts) => kube.create(path, body, opts), need, signal ? { signal } : {});
  return { ...need, ...verdict };
}

/**
 * Answers every need; escalate/bind count as satisfied when the user holds every
 * permission the role grants (RBAC's own rule for creating roles and bindings).
 */
export async function reviewInstallAccess(kube: KubeApi, needs: readonly AccessNeed[], roles: readonly K8sObject[], namespace: string, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<AccessAnswer[]> {
  let done = 0;
  const answers = await mapLimited(needs, 6, async (n) => {
    const a = await reviewAccess(kube, n, signal);
    onProgress?.(++done, needs.length);
    return a;
  });
  const rbac = answers.filter((a) => !a.allowed && (a.verb === 'escalate' || a.verb === 'bind'));
  if (rbac.length === 0) return answers;
  const byResource = new Map<string, AccessAnswer[]>();
  for (const role of roles) {
    const resource = role.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
    const grants = roleGrants(role, role.kind === 'Role' ? namespace : undefined);
    const held = await mapLimited(grants, 6, (g) => reviewAccess(kube, g, signal));
    byResource.set(resource, [...(byResource.get(resource) ?? []), ...held]);
  }
  return answers.map((a) => {
    if (a.allowed || (a.verb !== 'escalate' && a.verb !== 'bind')) return a;
    const held = byResource.get(a.resource) ?? [];
    const missing = held.filter((h) => !h.allowed);
    if (held.length > 0 && missing.length === 0) return { ...a, allowed: true, reason: 'not granted, but you hold every permission the role grants' };
    return { ...a, reason: `${a.reason ?? 'denied'}; and you lack ${missing.slice(0, 3).map(needLabel).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} that the role grants` };
  });
}
