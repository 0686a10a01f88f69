// Test support: an AgentView over fixed in-memory data (stands in for the agent core in API/CLI unit tests; the lab tests use the real core).
import type { CoreStatus, EndpointInfo, EndpointPolicy, IdentityInfo, ServiceEntry } from '../../../src/shared/agent-api/index.js';
import { NotFoundError, type AgentView, type BackendAddr, type Readiness } from './view.js';

export function sampleStatus(): CoreStatus {
  return {
    node: 'node-a',
    health: 'ok',
    problems: [],
    ready: true,
    versions: { agent: '0.1.0', kernel: '6.18.0', node: 'v20.19.0', libbpf: '1.1.0' },
    datapath: { kubeProxyReplacement: true, socketLB: true, nodePort: true, policyEnforcement: 'default', auditNamespaces: [], uplinks: ['eth0'], attachedEndpoints: 2 },
    maps: [
      { name: 'lumen_services', maxEntries: 65536, entries: 12, pressure: 12 / 65536 },
      { name: 'lumen_ct', maxEntries: 262144, entries: null, pressure: null },
    ],
    sync: { initialSyncAt: '2025-06-01T11:00:00.000Z', initialSyncMs: 812, lastSyncAt: '2025-06-01T11:59:00.000Z', kinds: { Pod: '2025-06-01T11:59:00.000Z', Service: null } },
    counts: { endpoints: 2, identities: 5, services: 3, policies: 1 },
  };
}

export function sampleServices(): ServiceEntry[] {
  const flags = { externalTrafficLocal: false, internalTrafficLocal: false };
  return [
    {
      id: 1, frontend: { ip: '10.97.0.1', port: 443, protocol: 'TCP' }, type: 'ClusterIP',
      desired: { service: { namespace: 'default', name: 'kubernetes' }, portName: 'https', flags, backends: [{ ip: '172.28.1.1', port: 6443, state: 'active' }] },
      realized: { revNatId: 1, flags, backends: [{ id: 1, slot: 1, ip: '172.28.1.1', port: 6443, state: 'active' }] },
    },
    {
      id: 2, frontend: { ip: '10.97.0.10', port: 80, protocol: 'TCP' }, type: 'ClusterIP',
      desired: {
        service: { namespace: 'prod', name: 'web' }, portName: 'http', flags: { ...flags, sessionAffinityTimeoutSeconds: 10800 },
        backends: [
          { ip: '10.201.1.9', port: 8080, state: 'active', nodeName: 'node-a', pod: { namespace: 'prod', name: 'web-1' } },
          { ip: '10.201.2.4', port: 8080, state: 'terminating', nodeName: 'node-b', pod: { namespace: 'prod', name: 'web-2' } },
        ],
      },
      realized: {
        revNatId: 2, flags: { ...flags, sessionAffinityTimeoutSeconds: 10800 },
        backends: [
          { id: 2, slot: 1, ip: '10.201.1.9', port: 8080, state: 'active' },
          { id: 3, slot: 2, ip: '10.201.2.4', port: 8080, state: 'terminating' },
        ],
      },
    },
    {
      id: 3, frontend: { ip: '172.28.1.11', port: 30080, protocol: 'TCP' }, type: 'NodePort',
      desired: { service: { namespace: 'prod', name: 'web' }, portName: 'http', flags, backends: [{ ip: '10.201.1.9', port: 8080, state: 'active', nodeName: 'node-a' }] },
      realized: null,
    },
  ];
}

export function sampleEndpoints(): EndpointInfo[] {
  return [
    {
      id: 12, pod: { namespace: 'prod', name: 'web-1' }, node: 'node-a', identity: 301, labels: { app: 'web', 'ns:kubernetes.io/metadata.name': 'prod' },
      ipv4: '10.201.1.9', interface: 'lxc3f2a9c1d', ifindex: 7, enforcement: { ingress: 'enabled', egress: 'disabled' }, policyRevision: 4, health: 'ready',
    },
    {
      id: 13, pod: { namespace: 'shop', name: 'client-1' }, node: 'node-a', identity: 300, labels: { app: 'client' },
      ipv4: '10.201.1.10', enforcement: { ingress: 'disabled', egress: 'audit' }, policyRevision: 4, health: 'pending', message: 'attaching datapath',
    },
  ];
}

export function sampleIdentities(): IdentityInfo[] {
  return [
    { id: 1, source: 'reserved', labels: { 'reserved:host': '' }, description: 'the local node', localEndpoints: 0 },
    { id: 2, source: 'reserved', labels: { 'reserved:world': '' }, description: 'anything outside the cluster', localEndpoints: 0 },
    { id: 300, source: 'kubernetes', labels: { app: 'client', 'ns:kubernetes.io/metadata.name': 'shop' }, localEndpoints: 1 },
    { id: 301, source: 'kubernetes', labels: { app: 'web', 'ns:kubernetes.io/metadata.name': 'prod' }, localEndpoints: 1 },
    { id: 16777216, source: 'cidr', labels: { 'cidr:192.0.2.0/24': '' }, localEndpoints: 0 },
  ];
}

export function samplePolicy(): EndpointPolicy {
  return {
    endpoint: { id: 12, pod: { namespace: 'prod', name: 'web-1' }, identity: 301 },
    revision: 4,
    ingress: {
      enforcement: 'enabled',
      selectedBy: [{ namespace: 'prod', name: 'allow-shop' }],
      entries: [{ remoteIdentity: 300, remoteLabels: { app: 'client' }, protocol: 'TCP', portLow: 8080, portHigh: 8080, verdict: 'allow', ruleId: 7, rule: { policy: { namespace: 'prod', name: 'allow-shop' }, direction: 'ingress', ruleIndex: 0 } }],
    },
    egress: { enforcement: 'disabled', selectedBy: [], entries: [] },
  };
}

/** An AgentView over mutable fixed data; records deleteLbBackend calls. */
export class StaticAgentView implements AgentView {
  status_ = sampleStatus();
  services_ = sampleServices();
  endpoints_ = sampleEndpoints();
  identities_ = sampleIdentities();
  policy_ = samplePolicy();
  ready: Readiness = { ready: true };
  deleted: { frontend: string; backend: BackendAddr }[] = [];
  failStatus = false;

  status(): CoreStatus {
    if (this.failStatus) throw new Error('datapath not loaded: lumen_services missing');
    return this.status_;
  }
  healthy(): boolean {
    return true;
  }
  readiness(): Readiness {
    return this.ready;
  }
  services(): ServiceEntry[] {
    return this.services_;
  }
  service(id: number): ServiceEntry | undefined {
    return this.services_.find((s) => s.id === id);
  }
  endpoints(): EndpointInfo[] {
    return this.endpoints_;
  }
  identities(): IdentityInfo[] {
    return this.identities_;
  }
  async endpointPolicy(ref: { id: number } | { namespace: string; name: string }): Promise<EndpointPolicy | undefined> {
    const p = this.policy_;
    const hit = 'id' in ref ? ref.id === p.endpoint.id : ref.namespace === p.endpoint.pod.namespace && ref.name === p.endpoint.pod.name;
    return hit ? p : undefined;
  }
  dropCounters(): Record<string, number> {
    return { 'policy denied': 5, 'no service backends': 1 };
  }
  deleteLbBackend(frontend: { ip: string; port: number; protocol: string }, backend: BackendAddr) {
    const svc = this.services_.find((s) => s.frontend.ip === frontend.ip && s.frontend.port === frontend.port && s.frontend.protocol === frontend.protocol);
    if (!svc?.realized) throw new NotFoundError(`frontend ${frontend.ip}:${frontend.port}/${frontend.protocol} is not in the maps`);
    this.deleted.push({ frontend: `${frontend.ip}:${frontend.port}/${frontend.protocol}`, backend });
    const before = svc.realized.backends.length;
    svc.realized.backends = svc.realized.backends.filter((b) => !(b.ip === backend.ip && b.port === backend.port));
    return { removed: svc.realized.backends.length < before, remainingBackends: svc.realized.backends.length };
  }
}
