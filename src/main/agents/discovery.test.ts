// Agent discovery against what the install really renders (selector, container, port name) and the choice of a pod per node.
import { describe, expect, it } from 'vitest';
import { generateToken, selfSignedCertificate } from '../../../resources/certs.js';
import { renderManifests } from '../../../resources/manifests.js';
import { AGENT_CONTAINER, AGENT_POD_LABELS, AGENT_PORT_NAME, agentPodsByNode, callable, toAgentPod, type AgentPodObject } from './discovery.js';

describe('agent discovery', () => {
  it('uses the DaemonSet selector, container and port name the manifests render', () => {
    const cert = selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['127.0.0.1'] });
    const objects = renderManifests({
      apiServer: 'https://172.28.1.1:6443',
      secrets: { tlsCert: cert.certPem, tlsKey: cert.keyPem, token: generateToken() },
      config: { apiPort: 4300 } as never,
    });
    const ds = objects.find((o) => o.kind === 'DaemonSet') as unknown as {
      spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: NonNullable<NonNullable<AgentPodObject['spec']>['containers']> } } };
    };
    expect(ds.spec.selector.matchLabels).toEqual(AGENT_POD_LABELS);
    expect(ds.spec.template.metadata.labels).toMatchObject(AGENT_POD_LABELS);
    const container = ds.spec.template.spec.containers.find((c) => c.name === AGENT_CONTAINER);
    expect(container?.ports?.find((p) => p.name === AGENT_PORT_NAME)?.containerPort).toBe(4300);
    // A pod made from that template reports the configured port.
    const pod = toAgentPod({ metadata: { name: 'a' }, spec: { nodeName: 'n', containers: ds.spec.template.spec.containers }, status: { phase: 'Running' } });
    expect(pod?.port).toBe(4300);
  });

  it('picks, per node, the pod that can answer: not terminating, Ready, Running, newest', () => {
    const pod = (name: string, node: string, o: { ready?: boolean; phase?: string; deleting?: boolean; created?: string; waiting?: string } = {}): AgentPodObject => ({
      metadata: { name, creationTimestamp: o.created ?? '2025-06-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2025-06-01T01:00:00Z' } : {}) },
      spec: { nodeName: node, containers: [{ name: 'agent', ports: [{ name: 'api', containerPort: 4244 }] }] },
      status: {
        phase: o.phase ?? 'Running',
        conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
        containerStatuses: [{ name: 'agent', state: o.waiting ? { waiting: { reason: o.waiting } } : { running: {} } }],
      },
    });
    const byNode = agentPodsByNode([
      pod('old', 'n1', { deleting: true }),
      pod('new', 'n1', { ready: false, created: '2025-06-01T00:30:00Z' }),
      pod('crash', 'n2', { phase: 'Running', ready: false, waiting: 'CrashLoopBackOff' }),
      pod('newer', 'n3', { created: '2025-06-02T00:00:00Z' }),
      pod('older', 'n3'),
      { metadata: { name: 'unscheduled' }, status: { phase: 'Pending' } },
    ]);
    expect([...byNode.keys()].sort()).toEqual(['n1', 'n2', 'n3']);
    // A rolling update: the new pod (not Ready yet) beats the terminating one, both callable.
    expect(byNode.get('n1')!.map((p) => p.name)).toEqual(['new', 'old']);
    expect(byNode.get('n1')![1]!.state).toBe('terminating');
    expect(byNode.get('n1')![0]!.state).toBe('not ready (readiness probe failing)');
    expect(byNode.get('n2')![0]!.state).toBe('CrashLoopBackOff');
    expect(byNode.get('n3')!.map((p) => p.name)).toEqual(['newer', 'older']);
    expect(callable(toAgentPod(pod('p', 'n', { phase: 'Pending' }))!)).toBe(false);
    expect(callable(byNode.get('n1')![1]!)).toBe(true);
  });
});
