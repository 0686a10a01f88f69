// The connectivity check's objects (namespace, echo pods pinned to nodes, Services, the deny policy, one-shot probe pods) and its list of probes — pure.
import type { K8sObject } from '../../../resources/manifests.js';
import { CHECK_LABEL } from './resources.js';

export const ECHO_PORT = 8080;
export const SERVICE_PORT = 80;
export const DENY_POLICY = 'lumen-check-deny';
/** The client's per-request timeout: long enough for a cross-node SYN, short enough to fail fast. */
export const PROBE_TIMEOUT_MS = 3000;

export interface CheckNode {
  name: string;
  ip: string;
}

export type ProbeTarget =
  | { kind: 'echo'; node: 'a' | 'b' }
  | { kind: 'cluster-ip' }
  | { kind: 'node-port'; node: 'a' };

export interface ProbeSpec {
  id: string;
  title: string;
  /** Which node the client runs on, and whether in the node's network (hostNetwork). */
  from: 'a' | 'b';
  hostNetwork: boolean;
  target: ProbeTarget;
  /** The probe passes when the connection fails (the deny check). */
  expectFailure: boolean;
  /** Why it is skipped (one node), or null. */
  skip: string | null;
}

/**
 * The checks of the issue: pod→pod on one node and across nodes, pod→ClusterIP, node→ClusterIP
 * (a hostNetwork client), NodePort from the other node, and that a deny policy denies.
 */
export function probeSpecs(nodeCount: number): ProbeSpec[] {
  const one = nodeCount < 2;
  const other: 'a' | 'b' = one ? 'a' : 'b';
  return [
    { id: 'pod-pod-same-node', title: 'pod → pod, same node', from: 'a', hostNetwork: false, target: { kind: 'echo', node: 'a' }, expectFailure: false, skip: null },
    { id: 'pod-pod-cross-node', title: 'pod → pod, across nodes', from: 'a', hostNetwork: false, target: { kind: 'echo', node: 'b' }, expectFailure: false, skip: one ? 'the cluster has one node' : null },
    { id: 'pod-clusterip', title: 'pod → ClusterIP Service', from: other, hostNetwork: false, target: { kind: 'cluster-ip' }, expectFailure: false, skip: null },
    { id: 'node-clusterip', title: 'node → ClusterIP Service', from: 'a', hostNetwork: true, target: { kind: 'cluster-ip' }, expectFailure: false, skip: null },
    { id: 'nodeport', title: one ? 'NodePort Service (same node: one node)' : 'NodePort Service, from the other node', from: other, hostNetwork: true, target: { kind: 'node-port', node: 'a' }, expectFailure: false, skip: null },
    { id: 'deny-policy', title: 'a deny policy denies', from: other, hostNetwork: false, target: { kind: 'echo', node: 'a' }, expectFailure: true, skip: null },
  ];
}

export function checkNamespace(name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [CHECK_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'lumen-console' } } };
}

const echoLabels = (node: 'a' | 'b') => ({ 'lumen.dev/check-role': 'echo', 'lumen.dev/check-node': node });

export function echoPod(namespace: string, node: CheckNode, which: 'a' | 'b', image: string): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `echo-${which}`, namespace, labels: echoLabels(which) },
    spec: {
      // Pinned by nodeName: the check must know which node each side runs on.
      nodeName: node.name,
      terminationGracePeriodSeconds: 1,
      tolerations: [{ operator: 'Exists' }],
      containers: [{
        name: 'echo', image,
        ports: [{ name: 'http', containerPort: ECHO_PORT, protocol: 'TCP' }],
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      }],
    },
  };
}

export function echoService(namespace: string, name: string, type: 'ClusterIP' | 'NodePort'): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
    spec: { type, selector: { 'lumen.dev/check-role': 'echo' }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: ECHO_PORT, protocol: 'TCP' }] },
  };
}

/** Selects echo-a and allows no ingress at all: everything to it must be dropped. */
export function denyPolicy(namespace: string): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: DENY_POLICY, namespace },
    spec: { podSelector: { matchLabels: echoLabels('a') }, policyTypes: ['Ingress'] },
  };
}

/** A one-shot client: connects once, prints the reply, exits 0 (answered) or non-zero. */
export function probePod(namespace: string, name: string, node: CheckNode, hostNetwork: boolean, image: string, ip: string, port: number): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: { 'lumen.dev/check-role': 'client' } },
    spec: {
      nodeName: node.name,
      restartPolicy: 'Never',
      hostNetwork,
      ...(hostNetwork ? { dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      terminationGracePeriodSeconds: 1,
      tolerations: [{ operator: 'Exists' }],
      activeDeadlineSeconds: 120,
      containers: [{ name: 'client', image, args: ['tcp', ip, String(port), `lumen-check ${name}`, '--timeout-ms', String(PROBE_TIMEOUT_MS)] }],
    },
  };
}
