// Agent API wire helpers: drift between desired and realized services, address and endpoint parsing, the schemas accept what the agent serves.
import { describe, expect, it } from 'vitest';
import {
  AgentStatusSchema, ServiceEntrySchema, agentApiPaths, formatL4Addr, formatLabels, parseEndpointRef, parseL4Addr, serviceDrift,
  type ServiceEntry,
} from './index.js';

const flags = { externalTrafficLocal: false, internalTrafficLocal: false };
function entry(desired: [string, string][] | null, realized: [string, string][] | null): ServiceEntry {
  return {
    id: 5,
    frontend: { ip: '10.97.0.10', port: 80, protocol: 'TCP' },
    type: 'ClusterIP',
    desired: desired && { service: { namespace: 'prod', name: 'web' }, portName: 'http', flags, backends: desired.map(([ip, state]) => ({ ip, port: 8080, state: state as 'active' })) },
    realized: realized && { revNatId: 5, flags, backends: realized.map(([ip, state], i) => ({ id: i + 1, slot: i + 1, ip, port: 8080, state: state as 'active' })) },
  };
}

describe('serviceDrift', () => {
  it('is empty when the maps hold what the API wants (excluded backends are not expected)', () => {
    expect(serviceDrift(entry([['10.0.0.1', 'active'], ['10.0.0.2', 'terminating'], ['10.0.0.3', 'excluded']], [['10.0.0.1', 'active'], ['10.0.0.2', 'terminating']]))).toEqual([]);
  });
  it('names missing, stale and state-mismatched backends', () => {
    expect(serviceDrift(entry([['10.0.0.1', 'active'], ['10.0.0.2', 'active']], [['10.0.0.2', 'terminating'], ['10.0.0.9', 'active']]))).toEqual([
      { kind: 'missing-backend', backend: { ip: '10.0.0.1', port: 8080 } },
      { kind: 'backend-state', backend: { ip: '10.0.0.2', port: 8080 }, desired: 'active', realized: 'terminating' },
      { kind: 'stale-backend', backend: { ip: '10.0.0.9', port: 8080 } },
    ]);
  });
  it('flags frontends missing on either side and differing flags', () => {
    expect(serviceDrift(entry([['10.0.0.1', 'active']], null))).toEqual([{ kind: 'not-programmed' }]);
    expect(serviceDrift(entry(null, [['10.0.0.1', 'active']]))).toEqual([{ kind: 'stale-frontend' }]);
    const e = entry([], []);
    e.realized!.flags = { ...flags, sessionAffinityTimeoutSeconds: 30 };
    expect(serviceDrift(e)).toEqual([{ kind: 'flags', field: 'sessionAffinityTimeoutSeconds' }]);
  });
});

describe('parsing', () => {
  it('parses and formats frontends', () => {
    expect(parseL4Addr('10.97.0.10:53/udp')).toEqual({ ip: '10.97.0.10', port: 53, protocol: 'UDP' });
    expect(formatL4Addr(parseL4Addr('10.97.0.10:80'))).toBe('10.97.0.10:80/TCP');
    expect(() => parseL4Addr('10.97.0.300:80')).toThrow(/not an IPv4 address/);
    expect(() => parseL4Addr('10.97.0.1:99999')).toThrow(/out of range/);
    expect(() => parseL4Addr('web:80', 'frontend')).toThrow(/invalid frontend "web:80"/);
  });
  it('parses endpoint references', () => {
    expect(parseEndpointRef('42')).toEqual({ id: 42 });
    expect(parseEndpointRef('prod/web-1')).toEqual({ namespace: 'prod', name: 'web-1' });
    expect(() => parseEndpointRef('web-1')).toThrow(/endpoint id or <namespace>\/<pod>/);
    expect(agentApiPaths.policy('prod/web-1')).toBe('/v1/policy/prod/web-1');
  });
  it('formats labels sorted, keys without value bare', () => {
    expect(formatLabels({ b: '2', 'reserved:world': '', a: '1' })).toEqual(['a=1', 'b=2', 'reserved:world']);
  });
});

describe('schemas', () => {
  it('accept a full status and reject a malformed service', () => {
    const status = {
      node: 'n', health: 'ok', problems: [], ready: true, versions: { agent: '0.1.0', kernel: '6.18', node: 'v20' },
      datapath: { kubeProxyReplacement: true, socketLB: true, nodePort: false, policyEnforcement: 'default', auditNamespaces: [], uplinks: [], attachedEndpoints: 0 },
      maps: [{ name: 'lumen_ct', maxEntries: 10, entries: null, pressure: null }],
      sync: { initialSyncAt: null, initialSyncMs: null, lastSyncAt: null, kinds: {} },
      counts: { endpoints: 0, identities: 0, services: 0, policies: 0 },
      flows: { ratePerSecond: 0, total: 0, lost: 0, decodeErrors: 0, skipped: 0, bufferSize: 16, buffered: 0 },
      uptimeSeconds: 1, time: '2025-06-01T00:00:00.000Z',
    };
    expect(AgentStatusSchema.parse(status).node).toBe('n');
    const bad = { ...entry([], []), frontend: { ip: 'x', port: 80, protocol: 'TCP' } };
    expect(ServiceEntrySchema.safeParse(bad).success).toBe(false);
  });
});
