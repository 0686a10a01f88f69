// Builders of Service and EndpointSlice objects as the API server serves them, for tests and the console benchmark.
import type { WireObject } from '../../../shared/contract/index.js';

export interface EndpointSpec {
  ip: string;
  node?: string;
  pod?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

let rv = 1;

export function serviceObject(namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; targetPort?: number | string; protocol?: string; nodePort?: number }[] = [{ name: 'http', port: 80, targetPort: 8080 }], extra: Record<string, unknown> = {}): WireObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `svc-${namespace}-${name}`, resourceVersion: String(rv++) },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], selector: { app: name }, ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })), ...extra },
  };
}

export function sliceObject(namespace: string, service: string, endpoints: EndpointSpec[], ports: { name?: string; port: number; protocol?: string }[] = [{ name: 'http', port: 8080 }], suffix = 'abcde'): WireObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${suffix}`, namespace, labels: { 'kubernetes.io/service-name': service }, resourceVersion: String(rv++) },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace, name: e.pod, uid: `uid-${e.pod}` } } : {}),
    })),
  };
}

/** `count` services with `perService` endpoints each, spread over `namespaces` and `nodes` (benchmark scale). */
export function syntheticCluster(count: number, perService: number, options: { namespaces?: number; nodes?: number } = {}): { services: WireObject[]; slices: WireObject[] } {
  const namespaces = options.namespaces ?? 50;
  const nodes = options.nodes ?? 20;
  const services: WireObject[] = [];
  const slices: WireObject[] = [];
  let ep = 0;
  for (let i = 0; i < count; i++) {
    const ns = `team-${i % namespaces}`;
    const name = `svc-${i}`;
    services.push(serviceObject(ns, name, `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, i % 7 === 0 ? [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] : [{ name: 'http', port: 80, targetPort: 8080 }], i % 11 === 0 ? { sessionAffinity: 'ClientIP' } : {}));
    const eps: EndpointSpec[] = [];
    for (let j = 0; j < perService; j++, ep++) {
      eps.push({ ip: `10.${200 + (ep >> 16)}.${(ep >> 8) & 255}.${ep & 255}`, node: `node-${ep % nodes}`, pod: `${name}-${j}`, ready: j % 13 !== 5, terminating: j % 29 === 7 });
    }
    slices.push(sliceObject(ns, name, eps, i % 7 === 0 ? [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }] : [{ name: 'http', port: 8080 }]));
  }
  return { services, slices };
}
