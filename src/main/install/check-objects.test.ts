// Tests of the connectivity check's plan: the six checks, what a one-node cluster skips, probes that are one-shot and pinned.
import { describe, expect, it } from 'vitest';
import { denyPolicy, echoPod, probePod, probeSpecs } from './check-objects.js';

describe('probeSpecs', () => {
  it('covers every path of the issue on two nodes', () => {
    const specs = probeSpecs(2);
    expect(specs.map((s) => s.id)).toEqual(['pod-pod-same-node', 'pod-pod-cross-node', 'pod-clusterip', 'node-clusterip', 'nodeport', 'deny-policy']);
    expect(specs.find((s) => s.id === 'nodeport')).toMatchObject({ from: 'b', hostNetwork: true, target: { kind: 'node-port', node: 'a' } });
    expect(specs.find((s) => s.id === 'deny-policy')!.expectFailure).toBe(true);
    expect(specs.every((s) => s.skip === null)).toBe(true);
  });

  it('skips only what needs two nodes on one node', () => {
    const specs = probeSpecs(1);
    expect(specs.filter((s) => s.skip).map((s) => s.id)).toEqual(['pod-pod-cross-node']);
    expect(specs.every((s) => s.from === 'a')).toBe(true);
  });
});

describe('objects', () => {
  it('pins pods to their node and runs clients once', () => {
    const node = { name: 'node-2', ip: '172.28.0.12' };
    const probe = probePod('ns', 'probe-x', node, true, 'client:1', '10.96.0.10', 80) as unknown as { spec: Record<string, unknown> };
    expect(probe.spec).toMatchObject({ nodeName: 'node-2', restartPolicy: 'Never', hostNetwork: true });
    expect((probe.spec.containers as { args: string[] }[])[0]!.args).toEqual(['tcp', '10.96.0.10', '80', 'lumen-check probe-x', '--timeout-ms', '3000']);
    expect((echoPod('ns', node, 'b', 'echo:1').spec as { nodeName: string }).nodeName).toBe('node-2');
  });

  it('denies every ingress to echo-a only', () => {
    expect(denyPolicy('ns').spec).toEqual({ podSelector: { matchLabels: { 'lumen.dev/check-role': 'echo', 'lumen.dev/check-node': 'a' } }, policyTypes: ['Ingress'] });
  });
});
