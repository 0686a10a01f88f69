// The endpoints reconcile on a resync: what the endpoints map holds for each ready local
// endpoint is compared with the registry and rewritten when it differs. The datapath here
// is a recording stand-in (the real map round trip is covered by native.kernel.test.ts).
import { describe, expect, it } from 'vitest';
import { securityLabels, type Pod } from '../../../src/shared/k8s/index.js';
import type { EndpointEntry } from '../datapath/port.js';
import type { AgentContext } from './context.js';
import { endpointEntry, EndpointRegistry, type LocalEndpoint } from './endpoints.js';
import { lumenEndpointStatus } from './endpoint-status.js';
import { reconcileEndpoints } from './reconcile-misc.js';

const pod: Pod = { metadata: { name: 'web-1', namespace: 'prod', uid: 'u1', labels: { app: 'web' } }, spec: {}, status: {} } as Pod;

function setup(mapContent: Map<string, EndpointEntry>) {
  const endpoints = new EndpointRegistry();
  const ep: LocalEndpoint = {
    id: 7, containerId: 'c1', ifName: 'eth0', ip: '10.201.0.7', namespace: 'prod', pod: 'web-1', podUid: 'u1', hostIf: 'lxc7', ifindex: 42,
    identity: 300, labels: securityLabels(pod), enforcement: { ingress: 'enabled', egress: 'disabled' }, policyRevision: 1, health: 'ready',
  };
  endpoints.put(ep);
  const writes: [string, EndpointEntry][] = [];
  const caches: Record<string, Record<string, unknown>> = {
    pods: { 'prod/web-1': pod },
    // The LumenEndpoint is up to date, so the reconcile has nothing to publish.
    lumenendpoints: { 'prod/web-1': { status: lumenEndpointStatus({ node: { name: 'node-1' } } as AgentContext, ep) } },
  };
  const ctx = {
    node: { name: 'node-1' },
    endpoints,
    watches: { cache: (kind: string) => ({ get: (k: string) => caches[kind]?.[k] }) },
    datapath: {
      readEndpoints: async () => mapContent,
      writeEndpoint: async (ip: string, e: EndpointEntry) => { writes.push([ip, e]); },
    },
    lumenEndpoints: { upsert: async () => { throw new Error('nothing to publish'); } },
    schedule: () => undefined,
  } as unknown as AgentContext;
  return { ctx, ep, writes };
}

describe('reconcileEndpoints on a resync', () => {
  it('rewrites an endpoint whose map entry was changed or removed behind the agent, and only on a resync', async () => {
    const map = new Map<string, EndpointEntry>();
    const { ctx, ep, writes } = setup(map);
    map.set(ep.ip, { ...endpointEntry(ep), flags: 0 }); // enforcement switched off behind our back
    await reconcileEndpoints(ctx);
    expect(writes).toEqual([]); // no resync asked: the map is not read
    ctx.endpoints.rereadMaps = true;
    await reconcileEndpoints(ctx);
    expect(writes).toEqual([[ep.ip, endpointEntry(ep)]]);
    expect(ctx.endpoints.rereadMaps).toBe(false);
    map.delete(ep.ip);
    ctx.endpoints.rereadMaps = true;
    await reconcileEndpoints(ctx);
    expect(writes).toHaveLength(2);
  });

  it('leaves a map that matches alone', async () => {
    const map = new Map<string, EndpointEntry>();
    const { ctx, ep, writes } = setup(map);
    map.set(ep.ip, endpointEntry(ep));
    ctx.endpoints.rereadMaps = true;
    await reconcileEndpoints(ctx);
    expect(writes).toEqual([]);
  });
});
