// Load-time config encoding and map size validation.
import { describe, expect, it } from 'vitest';
import { config as codec, Feature } from './abi';
import { DEFAULT_MAP_SIZES, encodeConfig, resolveMapSizes } from './config';

describe('encodeConfig', () => {
  it('writes defaults and the given values into lumen_config', () => {
    const c = codec.decode(encodeConfig({ nodeAddress: '172.28.7.11', sockLb: false, reportIntervalMs: 1500, natPorts: [40000, 40100] }));
    expect(c).toMatchObject({
      node_addr: '172.28.7.11', features: Feature.TcLb | Feature.Events, nat_port_min: 40000, nat_port_max: 40100,
      report_interval_ns: 1.5e9, ct_timeout_syn_ns: 60e9, ct_timeout_tcp_ns: 21600e9, ct_timeout_close_ns: 10e9, ct_timeout_other_ns: 60e9,
    });
  });

  it('rejects bad values by name', () => {
    expect(() => encodeConfig({ nodeAddress: 'node-1' })).toThrow(/nodeAddress "node-1" is not an IPv4 address/);
    expect(() => encodeConfig({ natPorts: [70000, 1] })).toThrow(/natPorts must be/);
    expect(() => encodeConfig({ ctTimeouts: { tcpSec: 0 } })).toThrow(/ctTimeouts\.tcpSec must be a positive number/);
  });
});

describe('resolveMapSizes', () => {
  it('meets the issue minimums by default and validates overrides', () => {
    expect(DEFAULT_MAP_SIZES.services).toBeGreaterThanOrEqual(65536);
    expect(DEFAULT_MAP_SIZES.ct).toBeGreaterThanOrEqual(262144);
    expect(resolveMapSizes({ ct: 1000 }).ct).toBe(1000);
    expect(() => resolveMapSizes({ ct: -1 })).toThrow(/mapSizes\.ct must be a positive integer/);
    expect(() => resolveMapSizes({ eventsBytes: 5000 })).toThrow(/power of two/);
    expect(() => resolveMapSizes({ bogus: 1 } as never)).toThrow(/unknown map size "bogus"/);
  });
});
