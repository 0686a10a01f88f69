// Services model: frontends per type, backends per port from EndpointSlices with their states,
// named target ports, affinity, traffic policies, dual-stack filtering, backend selection.
import { describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlice, Service } from '../k8s/index.js';
import { desiredService, desiredServices, programmableBackends, selectableBackends, type Frontend } from './model.js';
import { summarizeService } from './summary.js';

function svc(name: string, spec: NonNullable<Service['spec']>, status?: Service['status']): Service {
  return { metadata: { name, namespace: 'shop', uid: `u-${name}` }, spec, ...(status ? { status } : {}) };
}

function ep(ip: string, node: string, conditions?: Endpoint['conditions'], pod = `pod-${ip}`): Endpoint {
  return { addresses: [ip], nodeName: node, zone: 'z1', targetRef: { kind: 'Pod', namespace: 'shop', name: pod, uid: `uid-${pod}` }, ...(conditions ? { conditions } : {}) };
}

function slice(name: string, service: string, ports: EndpointSlice['ports'], endpoints: Endpoint[], addressType = 'IPv4'): EndpointSlice {
  return { metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } }, addressType, ports, endpoints };
}

const web = svc('web', {
  type: 'ClusterIP',
  clusterIP: '10.96.0.10',
  clusterIPs: ['10.96.0.10'],
  ports: [
    { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    { name: 'metrics', port: 9100, targetPort: 9100 },
  ],
  selector: { app: 'web' },
});
// A rollout: old pods name port http 8080, new pods 8081 -> two slices, as the controller does.
const webSlices = [
  slice('web-a', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }], [
    ep('10.200.1.10', 'n1'),
    ep('10.200.1.11', 'n1', { ready: false, serving: true, terminating: true }),
    ep('10.200.1.12', 'n1', { ready: false, serving: false, terminating: true }),
  ]),
  slice('web-b', 'web', [{ name: 'http', port: 8081, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }], [
    ep('10.200.2.10', 'n2', { ready: true, serving: true, terminating: false }),
    ep('10.200.2.11', 'n2', { ready: false, serving: false, terminating: false }),
  ]),
  slice('web-v6', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }], [{ addresses: ['fd00::10'] }], 'IPv6'),
];

describe('desiredService', () => {
  it('ClusterIP, multi-port, named target ports resolved through slices, backend states', () => {
    const d = desiredService(web, webSlices);
    expect(d.type).toBe('ClusterIP');
    expect(d.frontends.map((f) => `${f.kind} ${f.key} ${f.trafficPolicy}`)).toEqual(['ClusterIP 10.96.0.10:80/TCP Cluster', 'ClusterIP 10.96.0.10:9100/TCP Cluster']);
    const http = d.ports[0]!;
    expect(http).toMatchObject({ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' });
    expect(http.backends.map((b) => `${b.ip}:${b.port} ${b.state}`)).toEqual([
      '10.200.1.10:8080 active',
      '10.200.1.11:8080 terminating',
      '10.200.1.12:8080 excluded',
      '10.200.2.10:8081 active',
      '10.200.2.11:8081 excluded',
    ]);
    expect(http.backends[0]).toEqual({
      ip: '10.200.1.10', port: 8080, state: 'active', ready: true, serving: true, terminating: false,
      nodeName: 'n1', zone: 'z1', podRef: { namespace: 'shop', name: 'pod-10.200.1.10', uid: 'uid-pod-10.200.1.10' },
    });
    expect(d.frontends[0]!.backends).toBe(http.backends);
    expect(d.ports[1]!.backends.map((b) => b.port)).toEqual([9100, 9100, 9100, 9100, 9100]);
    expect(d.endpoints).toEqual({ total: 5, ready: 2, serving: 3, terminating: 2 });
  });

  it('an endpoint seen in two slices keeps its non-terminating copy', () => {
    const moved = [
      slice('a', 'web', [{ name: 'http', port: 8080 }], [ep('10.200.1.10', 'n1', { ready: false, serving: true, terminating: true })]),
      slice('b', 'web', [{ name: 'http', port: 8080 }], [ep('10.200.1.10', 'n1')]),
    ];
    expect(desiredService(web, moved).ports[0]!.backends).toEqual([expect.objectContaining({ ip: '10.200.1.10', state: 'active' })]);
    expect(desiredService(web, [...moved].reverse()).ports[0]!.backends).toEqual([expect.objectContaining({ state: 'active' })]);
  });

  it('matches slice ports by name AND protocol; unnamed port matches an absent name', () => {
    const dns = svc('dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
    const slices = [slice('d', 'dns', [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'dns', port: 9999, protocol: 'TCP' }], [ep('10.200.1.53', 'n1')])];
    const d = desiredService(dns, slices);
    expect(d.ports.map((p) => `${p.port}/${p.protocol} -> ${p.backends.map((b) => b.port).join(',')}`)).toEqual(['53/UDP -> 5353', '53/TCP -> 5353']);
    const single = svc('one', { clusterIP: '10.96.0.1', ports: [{ port: 443, targetPort: 6443 }] });
    const d1 = desiredService(single, [slice('o', 'one', [{ port: 6443, protocol: 'TCP' }], [ep('172.28.1.1', 'n1')])]);
    expect(d1.frontends[0]!.backends.map((b) => `${b.ip}:${b.port}`)).toEqual(['172.28.1.1:6443']);
  });

  it('NodePort: a frontend per node address, externalTrafficPolicy on them, internal on the cluster IP', () => {
    const np = svc('np', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster' });
    const d = desiredService(np, [], { nodeAddresses: ['172.28.1.11', '172.28.1.12', 'fd00::1'] });
    expect(d.frontends.map((f) => `${f.kind} ${f.key} ${f.trafficPolicy}`)).toEqual([
      'ClusterIP 10.96.0.20:80/TCP Cluster',
      'NodePort 172.28.1.11:30080/TCP Local',
      'NodePort 172.28.1.12:30080/TCP Local',
    ]);
    expect(d.ports[0]!.nodePort).toBe(30080);
  });

  it('LoadBalancer: node ports, VIP ingress IPs (not Proxy-mode ones), external IPs, affinity', () => {
    const lb = svc(
      'lb',
      {
        type: 'LoadBalancer', clusterIP: '10.96.0.30', ports: [{ port: 443, nodePort: 31443 }],
        externalIPs: ['198.51.100.7', '2001:db8::7'], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      },
      { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { ip: '203.0.113.10', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } },
    );
    const d = desiredService(lb, [], { nodeAddresses: ['172.28.1.11'] });
    expect(d.frontends.map((f) => `${f.kind} ${f.key}`)).toEqual([
      'ClusterIP 10.96.0.30:443/TCP',
      'NodePort 172.28.1.11:31443/TCP',
      'ExternalIP 198.51.100.7:443/TCP',
      'LoadBalancer 203.0.113.9:443/TCP',
    ]);
    expect(d.frontends.every((f) => f.sessionAffinity.clientIP && f.sessionAffinity.timeoutSeconds === 60)).toBe(true);
    const noNodePorts = svc('lb2', { type: 'LoadBalancer', clusterIP: '10.96.0.31', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] });
    expect(desiredService(noNodePorts, [], { nodeAddresses: ['172.28.1.11'] }).frontends.map((f) => f.kind)).toEqual(['ClusterIP']);
  });

  it('ClientIP affinity defaults to 10800 s; None has no timeout', () => {
    expect(desiredService(svc('a', { clusterIP: '10.96.0.2', sessionAffinity: 'ClientIP', ports: [{ port: 1 }] }), []).sessionAffinity).toEqual({ clientIP: true, timeoutSeconds: 10800 });
    expect(desiredService(web, []).sessionAffinity).toEqual({ clientIP: false });
  });

  it('headless and ExternalName services have no frontends; dual-stack keeps IPv4', () => {
    const headless = desiredService(svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }), [slice('h', 'h', [{ port: 80 }], [ep('10.200.1.1', 'n1')])]);
    expect(headless).toMatchObject({ headless: true, frontends: [] });
    expect(headless.ports[0]!.backends).toHaveLength(1);
    expect(desiredService(svc('x', { type: 'ExternalName', externalName: 'db.example', ports: [{ port: 5432 }] }), [])).toMatchObject({ frontends: [], ports: [], externalName: 'db.example' });
    const dual = desiredService(svc('d', { clusterIP: 'fd00::5', clusterIPs: ['fd00::5', '10.96.0.5'], ports: [{ port: 80 }] }), []);
    expect(dual.clusterIP).toBe('10.96.0.5');
  });

  it('skips ports with an unknown protocol or no number', () => {
    const d = desiredService(svc('b', { clusterIP: '10.96.0.9', ports: [{ port: 80, protocol: 'ICMP' }, { port: 0 }, { port: 81 }] }), []);
    expect(d.ports.map((p) => p.port)).toEqual([81]);
  });

  it('desiredServices indexes slices by the service-name label of the same namespace', () => {
    const other: EndpointSlice = { ...slice('x', 'web', [{ name: 'http', port: 1 }], [ep('10.9.9.9', 'n1')]), metadata: { name: 'x', namespace: 'bank', labels: { 'kubernetes.io/service-name': 'web' } } };
    const unlabeled: EndpointSlice = { metadata: { name: 'u', namespace: 'shop' }, addressType: 'IPv4', endpoints: [ep('10.9.9.8', 'n1')], ports: [{ name: 'http', port: 2 }] };
    const all = desiredServices([web], [...webSlices, other, unlabeled]);
    expect([...all.keys()]).toEqual(['shop/web']);
    expect(all.get('shop/web')!.endpoints.total).toBe(5);
  });
});

describe('backend selection', () => {
  const f = (trafficPolicy: 'Cluster' | 'Local', states: [string, 'active' | 'terminating' | 'excluded'][]): Frontend => ({
    key: 'k', kind: 'NodePort', ip: '172.28.1.11', port: 30080, protocol: 'TCP', service: 'shop/x', portName: '', trafficPolicy, sessionAffinity: { clientIP: false },
    backends: states.map(([node, state], i) => ({ ip: `10.0.0.${i}`, port: 80, state, ready: state === 'active', serving: state !== 'excluded', terminating: state === 'terminating', nodeName: node })),
  });
  it('Cluster: active ones, else terminating ones', () => {
    expect(selectableBackends(f('Cluster', [['n1', 'active'], ['n2', 'terminating'], ['n2', 'excluded']]), 'n1').map((b) => b.ip)).toEqual(['10.0.0.0']);
    expect(selectableBackends(f('Cluster', [['n1', 'terminating'], ['n2', 'excluded']]), 'n1').map((b) => b.ip)).toEqual(['10.0.0.0']);
    expect(programmableBackends(f('Cluster', [['n1', 'active'], ['n2', 'terminating'], ['n2', 'excluded']]), 'n1').map((b) => b.ip)).toEqual(['10.0.0.0', '10.0.0.1']);
  });
  it('Local: only this node’s, with the same fallback; none = drop', () => {
    const front = f('Local', [['n1', 'terminating'], ['n2', 'active'], ['n1', 'excluded']]);
    expect(selectableBackends(front, 'n1').map((b) => b.ip)).toEqual(['10.0.0.0']);
    expect(selectableBackends(front, 'n2').map((b) => b.ip)).toEqual(['10.0.0.1']);
    expect(selectableBackends(front, 'n3')).toEqual([]);
    expect(programmableBackends(front, 'n1').map((b) => b.ip)).toEqual(['10.0.0.0']);
  });
});

describe('summarizeService', () => {
  it('gives the table row', () => {
    const np = svc('np', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }], externalIPs: ['198.51.100.1'], externalTrafficPolicy: 'Local' });
    const row = summarizeService(desiredService(np, webSlices.map((s) => ({ ...s, metadata: { ...s.metadata, labels: { 'kubernetes.io/service-name': 'np' } } })), { nodeAddresses: ['172.28.1.11', '172.28.1.12'] }));
    expect(row).toEqual({
      key: 'shop/np', namespace: 'shop', name: 'np', type: 'NodePort', clusterIP: '10.96.0.20',
      ports: ['80/TCP→http'],
      frontends: ['10.96.0.20:80/TCP', 'NodePort 30080/TCP', '198.51.100.1:80/TCP (external)'],
      nodePorts: [30080], externalIPs: ['198.51.100.1'],
      backends: { total: 5, ready: 2, serving: 3, terminating: 2 },
      sessionAffinity: 'None', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', headless: false,
    });
    expect(summarizeService(desiredService(np, [])).frontends).toContain('NodePort 30080/TCP');
  });
});
