// Identities view data from Identity/LumenEndpoint objects and the shared evaluator's answer for one identity, through a real store.
import { describe, expect, it } from 'vitest';
import type { WatchDelta, WireObject } from '../../../shared/contract/index.js';
import { createLumenStore } from '../index.js';
import { selectIdentityDetail, selectIdentityRows, selectVisibleEndpoints, selectVisibleIdentities } from './selectors.js';

const nsLabel = 'ns:kubernetes.io/metadata.name';
const identity = (id: number, labels: Record<string, string>): WireObject => ({ apiVersion: 'lumen.dev/v1', kind: 'Identity', metadata: { name: String(id) }, spec: { labels } });
const lep = (ns: string, pod: string, id: number, ip: string, node: string, labels: Record<string, string>, ingress = 'disabled'): WireObject => ({
  apiVersion: 'lumen.dev/v1', kind: 'LumenEndpoint', metadata: { name: pod, namespace: ns },
  status: { id: Number(ip.split('.')[3]), node, ips: [ip], identity: { id, labels }, enforcement: { ingress, egress: 'disabled' }, policyRevision: 4, health: 'ready' },
});
const pod = (ns: string, name: string, labels: Record<string, string>, ip: string, node: string): WireObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
  spec: { nodeName: node, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { podIP: ip, podIPs: [{ ip }] },
});

const web = { app: 'web', [nsLabel]: 'shop' };
const client = { app: 'client', [nsLabel]: 'shop' };
const other = { app: 'other', [nsLabel]: 'lab' };

function store() {
  const s = createLumenStore();
  const put = (kind: WatchDelta['kind'], upserted: WireObject[]) => s.getState().applyDelta({ subscription: 'x', kind, source: 'snapshot', reset: true, upserted, deleted: [], resourceVersion: '1' });
  s.getState().setSubscription('x');
  put('identities', [identity(300, web), identity(301, client), identity(302, other)]);
  put('lumenendpoints', [
    lep('shop', 'web-1', 300, '10.200.0.5', 'node-1', web, 'enabled'),
    lep('shop', 'web-2', 300, '10.200.1.5', 'node-2', web, 'enabled'),
    lep('shop', 'client', 301, '10.200.0.6', 'node-1', client),
    lep('lab', 'other', 302, '10.200.1.7', 'node-2', other),
  ]);
  put('pods', [
    pod('shop', 'web-1', { app: 'web' }, '10.200.0.5', 'node-1'), pod('shop', 'web-2', { app: 'web' }, '10.200.1.5', 'node-2'),
    pod('shop', 'client', { app: 'client' }, '10.200.0.6', 'node-1'), pod('lab', 'other', { app: 'other' }, '10.200.1.7', 'node-2'),
  ]);
  put('networkpolicies', [{
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-from-client', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }] },
  }]);
  return s;
}

describe('identities view data', () => {
  it('lists cluster identities with labels, endpoint counts and nodes, and explains reserved ones', () => {
    const s = store();
    const rows = selectIdentityRows(s.getState());
    expect(rows.cluster.map((r) => [r.id, r.namespace, r.endpoints, r.nodes])).toEqual([
      [300, 'shop', 2, ['node-1', 'node-2']],
      [301, 'shop', 1, ['node-1']],
      [302, 'lab', 1, ['node-2']],
    ]);
    expect(rows.cluster[0]!.labelText).toEqual(['app=web', 'ns:kubernetes.io/metadata.name=shop']);
    expect(rows.reserved.find((r) => r.id === 2)).toMatchObject({ labelText: ['reserved:world'], description: expect.stringContaining('outside the cluster') });
    expect(rows.reserved.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    s.getState().setIdentitiesSearch('NODE-2 lab');
    expect(selectVisibleIdentities(s.getState()).map((r) => r.id)).toEqual([302]);
    s.getState().setIdentitiesSearch('10.200.1');
    expect(selectVisibleEndpoints(s.getState()).map((e) => e.key)).toEqual(['lab/other', 'shop/web-2']);
  });

  it('answers who selects an identity and whom it may talk to with the shared evaluator', () => {
    const s = store();
    s.getState().selectIdentity(300);
    const detail = selectIdentityDetail(s.getState())!;
    expect(detail.policyError).toBeNull();
    expect(detail.endpoints.map((e) => [e.pod, e.node, e.ingress])).toEqual([['web-1', 'node-1', 'enabled'], ['web-2', 'node-2', 'enabled']]);
    expect(detail.policy!.ingress.enforced).toBe(true);
    expect(detail.policy!.ingress.selectedBy).toEqual(['shop/web-from-client']);
    expect(detail.policy!.ingress.peers).toEqual({ identities: [301], reserved: [1], cidrs: [] });
    expect(detail.policy!.ingress.rules[0]!.ports).toEqual([{ protocol: 'TCP', name: 'http', resolved: [8080] }]);
    expect(detail.policy!.egress).toMatchObject({ enforced: false, selectedBy: [], peers: 'any' });
    // Memoised while the caches stay the same.
    expect(selectIdentityDetail(s.getState())).toBe(detail);

    s.getState().selectIdentity(302);
    expect(selectIdentityDetail(s.getState())!.policy!.ingress).toMatchObject({ enforced: false, peers: 'any' });
  });
});
