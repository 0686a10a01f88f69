// Struct codecs: C layout rules, round trips, validation messages.
import { describe, expect, it } from 'vitest';
import * as abi from './abi';
import { defineStruct, encodeMany, ipv4ToNumber, numberToIpv4 } from './codec';

describe('defineStruct', () => {
  it('lays out fields like C and refuses implicit padding', () => {
    expect(abi.ctKey.size).toBe(16);
    expect(abi.ctEntry.size).toBe(96);
    expect(abi.svcVal.size).toBe(64);
    expect(abi.flowEvent.size).toBe(72);
    expect(abi.flowEvent.fields.find((f) => f.name === 'flags')).toMatchObject({ offset: 68, size: 2 });
    expect(() => defineStruct('bad', [['a', 'u8'], ['b', 'u32']] as const)).toThrow(/field b at offset 1 is not 4-aligned/);
    expect(() => defineStruct('bad2', [['a', 'u32'], ['b', 'u8']] as const)).toThrow(/size 5 is not a multiple of 4/);
  });

  it('round-trips every ABI struct with network-order addresses and ports', () => {
    const key = { saddr: '10.1.2.3', daddr: '192.168.0.1', sport: 443, dport: 65535, proto: 6, scope: 2 };
    const buf = abi.ctKey.encode(key);
    expect(buf.subarray(0, 4)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(buf.readUInt16BE(8)).toBe(443);
    expect(abi.ctKey.decode(buf)).toEqual(key);
    const ev = { ...abi.flowEvent.zero(), time_ns: 2 ** 52, packets: 3, saddr: '10.0.0.1', flags: 0x0106, svc_port: 80 };
    expect(abi.flowEvent.decode(abi.flowEvent.encode(ev))).toEqual(ev);
  });

  it('zeroes padding when encoding into a reused buffer', () => {
    const buf = Buffer.alloc(abi.svcKey.size, 0xff);
    abi.svcKey.encode({ addr: '10.0.0.1', port: 80, proto: 6, scope: 0, slot: 1 }, buf);
    expect(buf.subarray(10, 12)).toEqual(Buffer.from([0, 0]));
  });

  it('names the struct and field of a bad value', () => {
    expect(() => abi.svcKey.encode({ addr: '10.0.0.1', port: 65536, proto: 6, scope: 0, slot: 0 })).toThrow('lumen_svc_key.port: expected an integer 0..65535 (be16), got 65536');
    expect(() => abi.svcKey.encode({ addr: 'ten', port: 1, proto: 6, scope: 0, slot: 0 })).toThrow(/lumen_svc_key\.addr: "ten" is not an IPv4 address/);
    expect(() => abi.svcVal.encode({ ...abi.svcVal.zero(), backend_id: 1.5 })).toThrow(/backend_id/);
    expect(() => abi.ctKey.decode(Buffer.alloc(8))).toThrow(/need 16 bytes/);
  });

  it('encodes many records back to back', () => {
    const out = encodeMany(abi.u32Key, [1, 2, 3]);
    expect([...out]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
  });
});

describe('ipv4 helpers', () => {
  it('convert both ways and reject junk', () => {
    expect(ipv4ToNumber('10.250.0.1')).toBe(0x0afa0001);
    expect(numberToIpv4(0xc0a80001)).toBe('192.168.0.1');
    expect(() => ipv4ToNumber('1.2.3')).toThrow(/not an IPv4 address/);
    expect(() => ipv4ToNumber('1.2.3.256')).toThrow(/octet above 255/);
  });
});
