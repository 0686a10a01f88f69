// Scale: building the model and compiling one node's endpoints for a cluster of 5,000 pods,
// 1,000 identities and 300 policies stays well inside an agent's reconcile budget.
import { describe, expect, it } from 'vitest';
import type { NetworkPolicy, Pod } from '../k8s/index.js';
import { assignCidrIdentities, requiredCidrs } from './cidr-identities.js';
import { compile } from './compile.js';
import { evaluate } from './evaluate.js';
import { buildPolicyModel } from './model.js';
import { endpointsFor, ns, pod, policy } from './testing/fixtures.js';

describe('policy at scale', () => {
  it('builds, compiles a node and evaluates flows quickly', () => {
    const namespaces = Array.from({ length: 50 }, (_, i) => ns(`ns${i}`, { team: `t${i % 5}` }));
    const pods: Pod[] = [];
    for (let i = 0; i < 5000; i++) {
      pods.push(pod({ ns: `ns${i % 50}`, name: `p${i}`, labels: { app: `app${i % 1000}`, tier: `tier${i % 3}` }, ip: `10.${200 + (i % 20)}.${(i >> 8) & 255}.${i & 255}`, node: `n${i % 20}`, ports: ['http:8080', 'metrics:9100'] }));
    }
    const policies: NetworkPolicy[] = [];
    for (let i = 0; i < 300; i++) {
      policies.push(
        policy(`ns${i % 50}`, `pol${i}`, {
          podSelector: { matchLabels: { tier: `tier${i % 3}` } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: `t${i % 5}` } } }, { podSelector: { matchLabels: { app: `app${i}` } } }], ports: [{ port: 'http' }, { port: 9100 }] }],
          egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'tier0' } } }], ports: [{ port: 'http' }] }, { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [`10.${200 + (i % 20)}.0.0/16`] } }] }],
        }),
      );
    }
    const nodes = Array.from({ length: 20 }, (_, i) => ({ name: `n${i}`, addresses: [`172.28.1.${11 + i}`] }));
    const endpoints = endpointsFor(pods, namespaces);
    const t0 = performance.now();
    const model = buildPolicyModel({ policies, endpoints, nodes, apiserverAddresses: ['172.28.1.1'] });
    const t1 = performance.now();
    const out = compile(model, { nodeName: 'n0', cidrIdentities: assignCidrIdentities(requiredCidrs(model)) });
    const t2 = performance.now();
    let allowed = 0;
    for (let i = 0; i < 2000; i++) {
      const v = evaluate(model, { src: { endpoint: endpoints[(i * 7) % 5000]! }, dst: { endpoint: endpoints[(i * 13) % 5000]! }, protocol: 'TCP', port: 8080 });
      if (v.allowed) allowed++;
    }
    const t3 = performance.now();
    const entries = out.endpoints.reduce((n, e) => n + e.entries.length, 0);
    console.info(`[policy.scale] identities ${model.identities.size}, model ${(t1 - t0).toFixed(0)} ms, compile ${out.endpoints.length} endpoints -> ${entries} entries ${(t2 - t1).toFixed(0)} ms, 2000 evaluations ${(t3 - t2).toFixed(0)} ms (${allowed} allowed)`);
    expect(out.endpoints).toHaveLength(250);
    expect(entries).toBeGreaterThan(250 * 4);
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(2000);
    // Generous: catches accidental quadratic work, not a benchmark.
    expect(t3 - t0).toBeLessThan(30_000);
  }, 120_000);
});
