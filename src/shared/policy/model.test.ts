// The model's input checks and problem reporting, endpoint helpers, and entry diffing.
import { describe, expect, it } from 'vitest';
import { diffPolicyEntries } from './diff';
import { policiesSelecting, policyEndpointFromPod } from './endpoints';
import { buildPolicyModel } from './model';
import { effectivePolicyTypes } from './normalize';
import { inputsFor, ns, pod, policy, standardCluster } from './testing/fixtures';
import type { PolicyEntry } from './types';

describe('buildPolicyModel', () => {
  const cluster = standardCluster();

  it('reports validation problems per policy and keeps usable policies', () => {
    const model = buildPolicyModel(
      inputsFor(cluster, [
        policy('shop', 'ok', { podSelector: {} }),
        policy('shop', 'bad', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.1/8' } }], ports: [{ port: 0 }] }] }),
        policy('shop', 'ok', { podSelector: { matchLabels: { app: 'x' } } }),
        { metadata: { name: 'nameless-ns' }, spec: { podSelector: {} } },
      ]),
    );
    expect(model.policies.map((p) => p.key)).toEqual(['shop/bad', 'shop/ok']);
    expect(model.problems.map((p) => [p.policy, p.problems.map((x) => `${x.severity} ${x.path}`)])).toEqual([
      ['shop/bad', ['error spec.ingress[0].ports[0].port', 'error spec.ingress[0].from[0].ipBlock.cidr']],
      ['shop/ok', ['error metadata.name']],
      ['#3', ['error metadata.namespace']],
    ]);
    // The host-bits CIDR is still read (as older API servers stored it), masked.
    expect(model.cidrs.map((c) => c.text)).toEqual(['10.0.0.0/8']);
  });

  it('rejects inconsistent inputs, naming the endpoint', () => {
    const base = inputsFor(cluster, []);
    const twin = { ...base.endpoints[0]!, id: 99, labels: { ...base.endpoints[0]!.labels, extra: 'x' }, name: 'shop/twin' };
    expect(() => buildPolicyModel({ ...base, endpoints: [...base.endpoints, twin] })).toThrow(/endpoint shop\/twin: identity 256 has labels/);
    expect(() => buildPolicyModel({ ...base, endpoints: [{ ...base.endpoints[0]!, identity: 7 }] })).toThrow(/identity 7 is not a cluster identity/);
    expect(() => buildPolicyModel({ ...base, endpoints: [{ ...base.endpoints[0]!, labels: { app: 'web' }, identity: 900 }] })).toThrow(/lack ns:kubernetes.io\/metadata.name/);
    expect(() => buildPolicyModel({ ...base, endpoints: [base.endpoints[0]!, { ...base.endpoints[1]!, id: base.endpoints[0]!.id! }] })).toThrow(/endpoint id 1 is used twice/);
  });

  it('applies policyTypes defaulting', () => {
    expect(effectivePolicyTypes(policy('a', 'b', { podSelector: {} }))).toEqual({ ingress: true, egress: false });
    expect(effectivePolicyTypes(policy('a', 'b', { podSelector: {}, egress: [{}] }))).toEqual({ ingress: true, egress: true });
    expect(effectivePolicyTypes(policy('a', 'b', { podSelector: {}, egress: [], policyTypes: [] }))).toEqual({ ingress: true, egress: false });
    expect(effectivePolicyTypes(policy('a', 'b', { podSelector: {}, policyTypes: ['Egress'] }))).toEqual({ ingress: false, egress: true });
  });
});

describe('endpoint helpers', () => {
  it('builds a PolicyEndpoint from a pod; host-network pods are not endpoints', () => {
    const p = pod({ ns: 'shop', name: 'web', labels: { app: 'web', 'pod-template-hash': 'x' }, ip: '10.200.1.5', node: 'n1', ports: ['http:8080'] });
    expect(policyEndpointFromPod(p, ns('shop', { team: 'blue' }), 300, 7)).toEqual({
      id: 7,
      identity: 300,
      labels: { app: 'web', 'ns:kubernetes.io/metadata.name': 'shop', 'ns:team': 'blue' },
      ips: ['10.200.1.5'],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      name: 'shop/web',
      nodeName: 'n1',
    });
    expect(policyEndpointFromPod({ ...p, spec: { ...p.spec, hostNetwork: true } }, undefined, 300)).toBeUndefined();
  });

  it('answers which policies select raw labels', () => {
    const model = buildPolicyModel(inputsFor(standardCluster(), [policy('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] })]));
    expect(policiesSelecting(model, { app: 'web', 'ns:kubernetes.io/metadata.name': 'shop' }, 'egress')).toEqual(['shop/web']);
    expect(policiesSelecting(model, { app: 'web', 'ns:kubernetes.io/metadata.name': 'shop' }, 'ingress')).toEqual([]);
    expect(policiesSelecting(model, { app: 'web', 'ns:kubernetes.io/metadata.name': 'bank' }, 'egress')).toEqual([]);
  });
});

describe('diffPolicyEntries', () => {
  const e = (remoteIdentity: number, ruleId: number, verdict: 'allow' | 'deny' = 'allow'): PolicyEntry => ({
    endpointId: 1, direction: 'ingress', remoteIdentity, protocol: 6, portLow: 80, portHigh: 80, verdict, ruleId,
  });
  it('upserts new and changed keys, deletes gone ones, leaves equal ones', () => {
    const d = diffPolicyEntries([e(1, 10), e(2, 20), e(3, 30)], [e(1, 10), e(2, 21), e(4, 40)]);
    expect(d.upserts).toEqual([e(2, 21), e(4, 40)]);
    expect(d.deletes).toEqual([e(3, 30)]);
    expect(diffPolicyEntries([e(5, 1)], [e(5, 1, 'deny')]).upserts).toEqual([e(5, 1, 'deny')]);
  });
});
