// REST coordinates (group, plural, scope) of every kind the install, the check and the uninstall touch, and object paths and keys.
import type { K8sObject } from '../../../resources/manifests.js';

export interface KindInfo {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const kinds: Record<string, KindInfo> = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  Secret: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Node: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  Event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', namespaced: false },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  Identity: { group: 'lumen.dev', version: 'v1', plural: 'identities', namespaced: false },
  LumenEndpoint: { group: 'lumen.dev', version: 'v1', plural: 'lumenendpoints', namespaced: true },
};

export function kindInfo(kind: string): KindInfo {
  const info = kinds[kind];
  if (!info) throw new Error(`the install engine does not know the REST path of kind ${kind}`);
  return info;
}

function groupBase(info: KindInfo): string {
  return info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
}

/** Collection path: all namespaces when `namespace` is omitted for a namespaced kind. */
export function collectionPath(kind: string, namespace?: string | null): string {
  const info = kindInfo(kind);
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupBase(info)}${ns}/${info.plural}`;
}

export function objectPath(object: Pick<K8sObject, 'kind' | 'metadata'>): string {
  const info = kindInfo(object.kind);
  if (info.namespaced && !object.metadata.namespace) throw new Error(`${object.kind} ${object.metadata.name} has no namespace`);
  return `${collectionPath(object.kind, object.metadata.namespace)}/${encodeURIComponent(object.metadata.name)}`;
}

/** "Kind namespace/name" or "Kind name": how objects are named in progress and plans. */
export function objectKey(object: { kind: string; metadata: { name: string; namespace?: string | undefined } }): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** Namespaces an install may never take over (uninstall deletes the install namespace). */
export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The label every connectivity check namespace carries, so uninstall also finds abandoned ones. */
export const CHECK_LABEL = 'lumen.dev/connectivity-check';
