// The agent's RBAC: exactly the verbs it uses (read from agent/src: k8s/watches.ts, identity/, endpoints/, core/), no wildcards.
import type { K8sObject } from './types.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Lease electing the one agent that garbage-collects identities (agent/src/core/agent.ts). */
export const IDENTITY_GC_LEASE = 'lumen-identity-gc';

/** Cluster-wide: watches of the cluster state it programs, and its two CRDs. */
export const clusterRules: PolicyRule[] = [
  // Nodes: watched for pod CIDRs/addresses (routes, NodePort, remote-node identity); own Node read at start.
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
  // Pods: watched for identities and the ipcache; one read per CNI ADD.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  // Namespaces (labels are part of identities), Services, EndpointSlices, NetworkPolicies: list + watch only.
  { apiGroups: [''], resources: ['namespaces', 'services'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
  // Identities: allocated by create (conflict = someone else won), looked up, garbage-collected.
  { apiGroups: ['lumen.dev'], resources: ['identities'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  // LumenEndpoints: one per local pod, status written as policy is realized.
  { apiGroups: ['lumen.dev'], resources: ['lumenendpoints'], verbs: ['create', 'get', 'list', 'watch', 'update', 'patch', 'delete'] },
  { apiGroups: ['lumen.dev'], resources: ['lumenendpoints/status'], verbs: ['get', 'update', 'patch'] },
];

/**
 * In the install namespace: the Lease that elects the identity garbage collector. No Secret
 * access: the TLS key and the token reach the agent as mounted volumes, never through the API.
 */
export const namespaceRules: PolicyRule[] = [
  // create cannot be limited by name (the object does not exist yet); reads and renewals can.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [IDENTITY_GC_LEASE] },
];

export function agentClusterRole(metadata: K8sObject['metadata']): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata, rules: clusterRules };
}

export function agentRole(metadata: K8sObject['metadata']): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: namespaceRules };
}
