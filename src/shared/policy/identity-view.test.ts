// identityPolicy(): selecting policies and the identities one identity may talk to.
import { describe, expect, it } from 'vitest';
import { ReservedIdentity } from '../k8s/index.js';
import { identityPolicy } from './identity-view.js';
import { buildPolicyModel } from './model.js';
import { inputsFor, policy, standardCluster } from './testing/fixtures.js';

describe('identityPolicy', () => {
  const cluster = standardCluster();
  const inputs = inputsFor(cluster, [
    policy('shop', 'web-in', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        { from: [{ podSelector: { matchLabels: { app: 'db' } } }, { namespaceSelector: { matchLabels: { team: 'red' } } }], ports: [{ port: 'http' }] },
        { from: [{ ipBlock: { cidr: '172.28.1.0/24', except: ['172.28.1.11/32'] } }], ports: [{ protocol: 'UDP', port: 5000, endPort: 5001 }] },
      ],
    }),
    policy('shop', 'web-out', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{}] }),
  ]);
  const model = buildPolicyModel(inputs);
  const id = (name: string): number => inputs.endpoints.find((e) => e.name === name)!.identity;

  it('lists the policies and rules with resolved peers and ports', () => {
    const view = identityPolicy(model, id('shop/web-1'));
    expect(view.namespace).toBe('shop');
    expect(view.ingress.enforced).toBe(true);
    expect(view.ingress.selectedBy).toEqual(['shop/web-in']);
    expect(view.ingress.rules).toHaveLength(2);
    expect(view.ingress.rules[0]).toMatchObject({
      ref: { policy: 'shop/web-in', direction: 'ingress', ruleIndex: 0 },
      peers: { identities: [id('shop/db'), id('bank/api'), id('bank/client')].sort((a, b) => a - b), reserved: [], ipBlocks: [] },
      ports: [{ protocol: 'TCP', name: 'http', resolved: [8080] }],
    });
    // remote-node is absent: seen from no particular node, n1's excepted address is a remote
    // node too. The apiserver 172.28.1.1 is inside.
    expect(view.ingress.rules[1]).toMatchObject({
      peers: { identities: [], reserved: [ReservedIdentity.kubeApiserver], ipBlocks: [{ cidr: '172.28.1.0/24', except: ['172.28.1.11/32'] }] },
      ports: [{ protocol: 'UDP', port: 5000, endPort: 5001 }],
    });
    expect(view.ingress.peers).toEqual({
      identities: [id('shop/db'), id('bank/api'), id('bank/client')].sort((a, b) => a - b),
      reserved: [ReservedIdentity.host, ReservedIdentity.kubeApiserver],
      cidrs: ['172.28.1.0/24'],
    });
    expect(view.egress).toMatchObject({ enforced: true, selectedBy: ['shop/web-out'], peers: 'any' });
  });

  it('says any for identities no policy isolates, and throws for unknown ones', () => {
    expect(identityPolicy(model, id('bank/api')).ingress).toEqual({ enforced: false, selectedBy: [], rules: [], peers: 'any' });
    expect(() => identityPolicy(model, 4242)).toThrow(/identity 4242 is not in the policy model/);
  });
});
