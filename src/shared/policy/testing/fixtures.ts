// Test fixtures: build namespaces, pods, nodes and policies tersely and turn them into policy
// inputs the way the agent does (securityLabels, one identity per distinct label set).
import {
  canonicalLabels,
  CLUSTER_IDENTITY_MIN,
  podContainerPorts,
  podIpv4s,
  securityLabels,
  type Labels,
  type Namespace,
  type NetworkPolicy,
  type NetworkPolicySpec,
  type Pod,
} from '../../k8s/index.js';
import type { PolicyEndpoint, PolicyInputs, PolicyNode } from '../types.js';

export function ns(name: string, labels: Labels = {}): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export interface PodSpecLite {
  ns: string;
  name: string;
  labels?: Labels;
  ip: string;
  node: string;
  /** `name:port/PROTO` or `port/PROTO`, protocol optional (TCP). */
  ports?: string[];
}

export function pod(p: PodSpecLite): Pod {
  const ports = (p.ports ?? []).map((text) => {
    const [left, proto] = text.split('/');
    const parts = left!.split(':');
    const port = Number(parts[parts.length - 1]);
    return parts.length === 2 ? { name: parts[0]!, containerPort: port, protocol: proto ?? 'TCP' } : { containerPort: port, protocol: proto ?? 'TCP' };
  });
  return {
    metadata: { name: p.name, namespace: p.ns, labels: p.labels ?? {} },
    spec: { nodeName: p.node, containers: [{ name: 'main', ports }] },
    status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
  };
}

export function policy(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, uid: `uid-${namespace}-${name}` }, spec };
}

/** Endpoints for pods, with identities allocated from 256 in order of first appearance. */
export function endpointsFor(pods: readonly Pod[], namespaces: readonly Namespace[]): PolicyEndpoint[] {
  const byName = new Map(namespaces.map((n) => [n.metadata!.name!, n]));
  const ids = new Map<string, number>();
  return pods.map((p, i) => {
    const labels = securityLabels(p, byName.get(p.metadata!.namespace!));
    const key = canonicalLabels(labels);
    if (!ids.has(key)) ids.set(key, CLUSTER_IDENTITY_MIN + ids.size);
    const ep: PolicyEndpoint = {
      id: i + 1,
      identity: ids.get(key)!,
      labels,
      ips: podIpv4s(p),
      ports: podContainerPorts(p),
      name: `${p.metadata!.namespace}/${p.metadata!.name}`,
    };
    if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
    return ep;
  });
}

export interface Cluster {
  namespaces: Namespace[];
  pods: Pod[];
  nodes: PolicyNode[];
  apiserverAddresses: string[];
}

export function inputsFor(cluster: Cluster, policies: NetworkPolicy[], extra: Partial<PolicyInputs> = {}): PolicyInputs {
  return {
    policies,
    endpoints: endpointsFor(cluster.pods, cluster.namespaces),
    nodes: cluster.nodes,
    apiserverAddresses: cluster.apiserverAddresses,
    ...extra,
  };
}

/** The standard small cluster of the table tests. */
export function standardCluster(): Cluster {
  return {
    namespaces: [ns('shop', { team: 'blue' }), ns('bank', { team: 'red' }), ns('ops', { team: 'blue', env: 'prod' })],
    pods: [
      pod({ ns: 'shop', name: 'web-1', labels: { app: 'web', 'pod-template-hash': 'aaa' }, ip: '10.200.1.10', node: 'n1', ports: ['http:8080', 'metrics:9100'] }),
      pod({ ns: 'shop', name: 'web-2', labels: { app: 'web', 'pod-template-hash': 'bbb' }, ip: '10.200.2.10', node: 'n2', ports: ['http:8080', 'metrics:9100'] }),
      pod({ ns: 'shop', name: 'db', labels: { app: 'db' }, ip: '10.200.1.20', node: 'n1', ports: ['pg:5432', 'dns:53/UDP'] }),
      pod({ ns: 'bank', name: 'api', labels: { app: 'api' }, ip: '10.200.2.30', node: 'n2', ports: ['http:9090', 'sctp:3868/SCTP'] }),
      pod({ ns: 'bank', name: 'client', labels: { app: 'client' }, ip: '10.200.1.40', node: 'n1' }),
      pod({ ns: 'ops', name: 'probe', labels: { app: 'probe' }, ip: '10.200.2.50', node: 'n2' }),
    ],
    nodes: [
      { name: 'n1', addresses: ['172.28.1.11'] },
      { name: 'n2', addresses: ['172.28.1.12'] },
    ],
    apiserverAddresses: ['172.28.1.1'],
  };
}
