// Service specs -> map entries: slot order, counts, flags, validation.
import { describe, expect, it } from 'vitest';
import { backendVal, revNatVal, svcKey, svcVal, SvcFlag, u16Key, u32Key } from './abi';
import { encodeMany } from './codec';
import { encodeServiceBatch, serviceEntries, validateService, type ServiceSpec } from './services';

const spec = (p: Partial<ServiceSpec> = {}): ServiceSpec => ({
  address: '10.96.0.10', port: 53, protocol: 'UDP', revNatId: 4,
  backends: [
    { id: 1, address: '10.200.1.5', port: 5353, state: 'terminating' },
    { id: 2, address: '10.200.1.6', port: 5353 },
    { id: 3, address: '10.200.2.7', port: 5353 },
  ],
  ...p,
});

describe('serviceEntries', () => {
  it('puts active backends in the first slots and counts them', () => {
    const e = serviceEntries(spec());
    expect(e.slots.map(([k, v]) => `${k.slot}:${v.backend_id}`)).toEqual(['1:2', '2:3', '3:1']);
    expect(e.frontend).toEqual([
      { addr: '10.96.0.10', port: 53, proto: 17, scope: 0, slot: 0 },
      {
        ...svcVal.zero(), count: 3, active: 2, rev_nat_id: 4,
        // Copies of slots 1..3 (the datapath picks among those without a slot lookup).
        inline_id0: 2, inline_addr0: '10.200.1.6', inline_port0: 5353,
        inline_id1: 3, inline_addr1: '10.200.2.7', inline_port1: 5353,
        inline_id2: 1, inline_addr2: '10.200.1.5', inline_port2: 5353,
      },
    ]);
    expect(e.slots[0]![1]).toMatchObject({ backend_id: 2, backend_addr: '10.200.1.6', backend_port: 5353 });
    expect(e.backends.find(([id]) => id === 1)![1]).toEqual({ addr: '10.200.1.5', port: 5353, state: 1 });
    expect(e.revNat).toEqual([4, { addr: '10.96.0.10', port: 53 }]);
  });

  it('sets NodePort, Local and affinity flags', () => {
    const e = serviceEntries(spec({ nodePort: true, externalLocal: true, affinityTimeoutSec: 10800 }));
    expect(e.frontend[1].flags).toBe(SvcFlag.NodePort | SvcFlag.Local | SvcFlag.Affinity);
    expect(e.frontend[1].affinity_timeout).toBe(10800);
  });

  it('rejects bad specs with the field named', () => {
    expect(() => validateService(spec({ protocol: 'SCTP' as never }))).toThrow(/protocol must be TCP or UDP, got SCTP/);
    expect(() => validateService(spec({ revNatId: 0 }))).toThrow(/revNatId must be 1\.\.65535/);
    expect(() => validateService(spec({ backends: [{ id: 1, address: '10.0.0.1', port: 1 }, { id: 1, address: '10.0.0.2', port: 1 }] }))).toThrow(/backend #1: duplicate backend id 1/);
    expect(() => validateService(spec({ backends: [{ id: 1, address: '10.0.0.1', port: 0 }] }))).toThrow(/backend #0: port must be 1\.\.65535/);
    expect(() => validateService(spec({ address: '::1' }))).toThrow(/frontend address "::1" is not IPv4/);
  });
});

describe('encodeServiceBatch', () => {
  it('produces exactly the records the codecs encode for serviceEntries', () => {
    const specs = [spec(), spec({ address: '10.96.0.11', port: 443, protocol: 'TCP', revNatId: 5, nodePort: true, affinityTimeoutSec: 60 }), spec({ address: '10.96.0.12', revNatId: 6, backends: [] })];
    const b = encodeServiceBatch(specs);
    const all = specs.map(serviceEntries);
    expect(b.slotKeys).toEqual(encodeMany(svcKey, all.flatMap((e) => e.slots.map(([k]) => k))));
    expect(b.slotVals).toEqual(encodeMany(svcVal, all.flatMap((e) => e.slots.map(([, v]) => v))));
    expect(b.frontKeys).toEqual(encodeMany(svcKey, all.map((e) => e.frontend[0])));
    expect(b.frontVals).toEqual(encodeMany(svcVal, all.map((e) => e.frontend[1])));
    expect(b.revKeys).toEqual(encodeMany(u16Key, all.map((e) => e.revNat[0])));
    expect(b.revVals).toEqual(encodeMany(revNatVal, all.map((e) => e.revNat[1])));
    const backends = new Map(all.flatMap((e) => e.backends));
    expect(b.backendKeys).toEqual(encodeMany(u32Key, [...backends.keys()]));
    expect(b.backendVals).toEqual(encodeMany(backendVal, [...backends.values()]));
    expect(b.entries).toBe(3 + 6 + 3 * 2);
  });

  it('copies only the first LUMEN_SVC_INLINE slots into the frontend', () => {
    const many = spec({ backends: Array.from({ length: 6 }, (_, i) => ({ id: 10 + i, address: `10.200.3.${i + 1}`, port: 80 })) });
    const b = encodeServiceBatch([many]);
    const fe = svcVal.decode(b.frontVals);
    expect([fe.inline_id0, fe.inline_id1, fe.inline_id2, fe.inline_id3]).toEqual([10, 11, 12, 13]);
    expect(fe.inline_addr3).toBe('10.200.3.4');
    expect(b.frontVals).toEqual(encodeMany(svcVal, [serviceEntries(many).frontend[1]]));
  });
});
