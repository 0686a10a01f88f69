// The service graph model and per-node drift: backends by state on their nodes, drift named per node, quiet nodes grouped, and element diffs.
import { describe, expect, it } from 'vitest';
import type { ServiceEntry } from '../../../shared/agent-api/index.js';
import type { RealizedServiceResponse } from '../../../shared/contract/index.js';
import type { EndpointSlice, Service } from '../../../shared/k8s/index.js';
import { desiredService } from '../../../shared/services/index.js';
import { diffElements, type GraphElement } from '../../graph/elements.js';
import { realizedByNode } from '../../store/agents/drift.js';
import { serviceObject, sliceObject } from '../../store/services/testing.js';
import { serviceGraphModel } from './graphModel.js';

const svc = serviceObject('shop', 'web', '10.96.0.10') as unknown as Service;
const slice = sliceObject('shop', 'web', [
  { ip: '10.200.0.1', node: 'node-1', pod: 'web-a' },
  { ip: '10.200.1.1', node: 'node-2', pod: 'web-b' },
  { ip: '10.200.1.2', node: 'node-2', pod: 'web-c', ready: false, serving: true, terminating: true },
  { ip: '10.200.1.3', node: 'node-2', pod: 'web-d', ready: false, serving: true },
]) as unknown as EndpointSlice;
const desired = desiredService(svc, [slice]);
const flags = { externalTrafficLocal: false, internalTrafficLocal: false };

function entry(backends: string[], realized: string[] | null): ServiceEntry {
  return {
    id: 9,
    frontend: { ip: '10.96.0.10', port: 80, protocol: 'TCP' },
    type: 'ClusterIP',
    desired: { service: { namespace: 'shop', name: 'web' }, portName: 'http', flags, backends: backends.map((ip) => ({ ip, port: 8080, state: ip === '10.200.1.2' ? 'terminating' as const : 'active' as const })) },
    realized: realized && { revNatId: 9, flags, backends: realized.map((ip, i) => ({ id: i + 1, slot: i + 1, ip, port: 8080, state: ip === '10.200.1.2' ? 'terminating' as const : 'active' as const })) },
  };
}

const all = ['10.200.0.1', '10.200.1.1', '10.200.1.2'];
const response: RealizedServiceResponse = {
  at: '2025-06-01T00:00:00.000Z',
  nodes: [
    { node: 'node-1', pod: 'agent-1', ok: true, value: [entry(all, all)] },
    { node: 'node-2', pod: 'agent-2', ok: true, value: [entry(all, ['10.200.0.1', '10.200.1.2', '10.200.9.9'])] },
    { node: 'node-3', pod: 'agent-3', ok: true, value: [] },
    { node: 'node-4', pod: 'agent-4', ok: true, value: [entry(all, all)] },
    { node: 'node-5', pod: null, ok: false, failure: 'not-running', error: { code: 'unreachable', message: 'no Lumen agent runs on node "node-5"' } },
  ],
};

describe('realized state per node', () => {
  it('names missing and stale backends, unprogrammed frontends and silent agents by node', () => {
    const nodes = realizedByNode(desired, response);
    expect(nodes.map((n) => [n.node, n.state, n.items.map((i) => i.text)])).toEqual([
      ['node-1', 'in-sync', []],
      ['node-2', 'drift', ['backend 10.200.1.1:8080 of 10.96.0.10:80/TCP is missing from the maps', 'stale backend 10.200.9.9:8080 of 10.96.0.10:80/TCP is still in the maps']],
      ['node-3', 'drift', ['frontend 10.96.0.10:80/TCP is not programmed in the datapath']],
      ['node-4', 'in-sync', []],
      ['node-5', 'unknown', []],
    ]);
    expect(nodes[4]!.failure).toBe('not-running');
  });
});

describe('service graph model', () => {
  const identityOf = (pod: { namespace: string; name: string }) => (pod.name === 'web-a' ? { id: 300, labels: { app: 'web', 'ns:kubernetes.io/metadata.name': 'shop' } } : null);
  const model = serviceGraphModel(desired, identityOf, realizedByNode(desired, response));
  const byId = new Map(model.elements.map((e) => [e.id, e]));

  it('draws frontends → backends (coloured by state) → nodes with the node\'s drift', () => {
    expect(model.backends.map((b) => [b.pod, b.node, b.look])).toEqual([
      ['shop/web-a', 'node-1', 'ready'],
      ['shop/web-b', 'node-2', 'ready'],
      ['shop/web-c', 'node-2', 'terminating'],
      ['shop/web-d', 'node-2', 'serving'],
    ]);
    expect(byId.get('be:10.200.1.2')!.classes).toEqual(['backend', 'terminating']);
    expect(byId.get('be:10.200.0.1')!.data.tooltip).toBe('identity 300: app=web, ns:kubernetes.io/metadata.name=shop');
    expect(byId.get('node:node-2')!.data.label).toBe('node-2\n⚠ drift: 2');
    expect(byId.get('node:node-2')!.classes).toEqual(['node', 'drift']);
    expect(byId.get('node:node-3')!.data.label).toBe('node-3\n⚠ drift: 1');
    expect(byId.get('node:node-5')!.classes).toEqual(['node', 'unknown']);
    // node-4 is in sync and hosts nothing: grouped.
    expect(model.quietNodes).toEqual(['node-4']);
    expect(byId.has('node:node-4')).toBe(false);
    expect(byId.get('e:fe:10.96.0.10:80/TCP->10.200.1.2:8080')).toMatchObject({ source: 'fe:10.96.0.10:80/TCP', target: 'be:10.200.1.2', classes: ['terminating'] });
    expect(byId.get('n:10.200.1.1')).toMatchObject({ source: 'be:10.200.1.1', target: 'node:node-2' });
    // node-2's maps lack web-b and still hold 10.200.9.9: both drawn at node-2.
    expect(byId.get('miss:node-2:10.200.1.1')).toMatchObject({ source: 'node:node-2', target: 'be:10.200.1.1', classes: ['missing'] });
    expect(byId.get('stale:10.200.9.9')).toMatchObject({ classes: ['backend', 'stale'], data: { label: 'stale 10.200.9.9\n(in node-2 maps)' } });
    expect(byId.get('stale:node-2:10.200.9.9')).toMatchObject({ source: 'node:node-2', target: 'stale:10.200.9.9' });
  });

  it('diffs to the few elements a scale-down changes', () => {
    const fewer = desiredService(svc, [sliceObject('shop', 'web', [{ ip: '10.200.0.1', node: 'node-1', pod: 'web-a' }, { ip: '10.200.1.1', node: 'node-2', pod: 'web-b', ready: false, serving: true, terminating: true }]) as unknown as EndpointSlice]);
    const next = serviceGraphModel(fewer, identityOf, realizedByNode(fewer, response));
    const diff = diffElements(new Map<string, GraphElement>(model.elements.map((e) => [e.id, e])), next.elements);
    const removed = diff.remove.map((e) => e.id);
    expect(removed).toContain('be:10.200.1.2');
    expect(removed).toContain('be:10.200.1.3');
    expect(diff.remove.find((e) => e.id === 'be:10.200.1.2')).toMatchObject({ fadeOut: true });
    expect(diff.add).toEqual([]);
    expect(diff.update.map((u) => u.after.id)).toContain('be:10.200.1.1');
    expect(diff.update.find((u) => u.after.id === 'be:10.200.1.1')!.after.classes).toEqual(['backend', 'terminating']);
  });
});
