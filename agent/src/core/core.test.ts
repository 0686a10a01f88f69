// Pure parts of the core: endpoint flags, the desired-vs-realized service view built from
// map content, and the key-order-insensitive comparison of LumenEndpoint status.
import { describe, expect, it } from 'vitest';
import { serviceDrift } from '../../../src/shared/agent-api/index.js';
import { ServicePlanner, applyOps } from '../services/plan.js';
import { emptyServiceMaps, type WantedFrontend } from '../services/model.js';
import { endpointFlags } from './endpoints.js';
import { ServiceState, serviceEntries } from './service-state.js';
import { stableJson } from './reconcile-misc.js';

const fe: WantedFrontend = {
  addr: '10.96.0.10', port: 80, proto: 6, kind: 'ClusterIP', service: { namespace: 'ns', name: 'web' }, portName: 'http',
  affinityTimeout: 0, local: false,
  backends: [
    { addr: '10.200.0.5', port: 8080, state: 'active', nodeName: 'a' },
    { addr: '10.200.0.6', port: 8080, state: 'terminating', nodeName: 'b' },
    { addr: '10.200.0.7', port: 8080, state: 'excluded' },
  ],
};

describe('core', () => {
  it('endpoint flags follow enforcement and audit', () => {
    expect(endpointFlags({ enforcement: { ingress: 'disabled', egress: 'disabled' } })).toBe(0);
    expect(endpointFlags({ enforcement: { ingress: 'enabled', egress: 'disabled' } })).toBe(1);
    expect(endpointFlags({ enforcement: { ingress: 'audit', egress: 'enabled' } })).toBe(1 | 2 | 4);
  });

  it('joins desired and realized per frontend, and a programmed frontend has no drift', () => {
    const planner = new ServicePlanner();
    const maps = emptyServiceMaps();
    const plan = planner.plan([fe], maps);
    for (const p of plan.phases) applyOps(maps, p);
    const state = new ServiceState();
    state.setWanted([fe], maps, plan.frontendIds);
    const [entry] = serviceEntries(state, maps);
    expect(entry!.realized!.backends.map((b) => [b.ip, b.state])).toEqual([['10.200.0.5', 'active'], ['10.200.0.6', 'terminating']]);
    expect(entry!.desired!.backends).toHaveLength(3);
    expect(serviceDrift(entry!)).toEqual([]);
    // A slot deleted behind the agent's back shows as drift; a frontend only in the maps is stale.
    maps.services.delete('10.96.0.10:80/TCP#2');
    const slot0 = maps.services.get('10.96.0.10:80/TCP#0')!;
    slot0.val = { ...slot0.val, count: 1 };
    expect(serviceDrift(serviceEntries(state, maps)[0]!)).toEqual([{ kind: 'missing-backend', backend: { ip: '10.200.0.6', port: 8080 } }]);
    state.setWanted([], maps, new Map());
    expect(serviceDrift(serviceEntries(state, maps)[0]!)).toEqual([{ kind: 'stale-frontend' }]);
  });

  it('compares status objects regardless of key order', () => {
    expect(stableJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 2 } })).toBe(stableJson({ a: { c: 2, d: [1, { y: 2, z: 1 }] }, b: 1 }));
    expect(stableJson({ a: 1 })).not.toBe(stableJson({ a: 2 }));
  });
});
