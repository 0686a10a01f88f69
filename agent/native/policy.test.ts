// Policy compilation: prefix splitting, precedence resolution within a class, diffs.
import { describe, expect, it } from 'vitest';
import { compilePolicy, diffPolicy, portRangeToPrefixes, validatePolicyEntry, type PolicyEntry } from './policy';

const e = (p: Partial<PolicyEntry>): PolicyEntry => ({
  endpointId: 7, direction: 'ingress', remoteIdentity: 300, protocol: 6, portLow: 80, portHigh: 80, verdict: 'allow', ruleId: 1, ...p,
});

/** Which (verdict, rule) a single-class compiled set gives a port, like the LPM lookup. */
function lookup(entries: ReturnType<typeof compilePolicy>, port: number): string {
  let best: (typeof entries)[number] | undefined;
  for (const x of entries) {
    const bits = x.key.prefixlen - 80;
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    if ((port & mask) === (x.key.port & mask) && (!best || x.key.prefixlen > best.key.prefixlen)) best = x;
  }
  return best ? `${best.value.verdict === 1 ? 'allow' : 'deny'}:${best.value.rule_id}` : 'none';
}

describe('portRangeToPrefixes', () => {
  it('splits ranges into the minimal aligned blocks', () => {
    expect(portRangeToPrefixes(0, 65535)).toEqual([[0, 0]]);
    expect(portRangeToPrefixes(80, 80)).toEqual([[80, 16]]);
    expect(portRangeToPrefixes(8000, 8100)).toEqual([[8000, 10], [8064, 11], [8096, 14], [8100, 16]]);
    expect(portRangeToPrefixes(1024, 65535).map(([p, b]) => `${p}/${b}`)).toEqual(['1024/6', '2048/5', '4096/4', '8192/3', '16384/2', '32768/1']);
  });

  it('covers exactly the range, for many ranges', () => {
    for (const [lo, hi] of [[1, 1], [3, 17], [1000, 2000], [65000, 65535], [0, 1], [32767, 32768]] as const) {
      const blocks = portRangeToPrefixes(lo, hi);
      const covered = blocks.reduce((n, [, bits]) => n + 2 ** (16 - bits), 0);
      expect(covered).toBe(hi - lo + 1);
      expect(blocks[0]![0]).toBe(lo);
      for (const [p, bits] of blocks) expect(p % 2 ** (16 - bits)).toBe(0);
    }
  });
});

describe('compilePolicy', () => {
  it('writes any-port entries as an 80-bit prefix and exact ports as 96', () => {
    const out = compilePolicy([e({ portLow: 0, portHigh: 65535 }), e({ remoteIdentity: 0, protocol: 17, portLow: 53, portHigh: 53, ruleId: 2 })]);
    expect(out).toEqual([
      { key: { prefixlen: 80, endpoint_id: 7, identity: 300, direction: 0, proto: 6, port: 0 }, value: { rule_id: 1, verdict: 1 } },
      { key: { prefixlen: 96, endpoint_id: 7, identity: 0, direction: 0, proto: 17, port: 53 }, value: { rule_id: 2, verdict: 1 } },
    ]);
  });

  it('lets an allow win over an overlapping deny and reports the lowest rule id', () => {
    const out = compilePolicy([
      e({ portLow: 1000, portHigh: 2000, ruleId: 9 }),
      e({ portLow: 1500, portHigh: 1500, verdict: 'deny', ruleId: 3 }),
      e({ portLow: 1800, portHigh: 2500, ruleId: 4 }),
      e({ portLow: 3000, portHigh: 4000, verdict: 'deny', ruleId: 8 }),
      e({ portLow: 3500, portHigh: 3600, ruleId: 5 }),
    ]);
    expect(lookup(out, 999)).toBe('none');
    expect(lookup(out, 1000)).toBe('allow:9');
    expect(lookup(out, 1500)).toBe('allow:9');
    expect(lookup(out, 1800)).toBe('allow:4');
    expect(lookup(out, 2500)).toBe('allow:4');
    expect(lookup(out, 2501)).toBe('none');
    expect(lookup(out, 3499)).toBe('deny:8');
    expect(lookup(out, 3550)).toBe('allow:5');
    expect(lookup(out, 4000)).toBe('deny:8');
    // Non-overlapping by construction: no two entries match the same port.
    for (let p = 0; p < 5000; p++) {
      const matches = out.filter((x) => {
        const bits = x.key.prefixlen - 80;
        const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
        return (p & mask) === (x.key.port & mask);
      });
      expect(matches.length).toBeLessThanOrEqual(1);
    }
  });

  it('keeps classes apart (identity, protocol, direction, endpoint)', () => {
    const out = compilePolicy([e({}), e({ remoteIdentity: 0 }), e({ protocol: 0 }), e({ direction: 'egress' }), e({ endpointId: 8 })]);
    expect(out).toHaveLength(5);
  });

  it('names the bad entry and field', () => {
    expect(() => compilePolicy([e({}), e({ portLow: 10, portHigh: 5 })])).toThrow(/entry #1: port range/);
    expect(() => validatePolicyEntry(e({ protocol: 1 as never }))).toThrow(/protocol must be 0, 6, 17 or 132, got 1/);
    expect(() => validatePolicyEntry(e({ direction: 'up' as never }))).toThrow(/direction must be ingress or egress/);
    expect(() => validatePolicyEntry(e({ ruleId: -1 }))).toThrow(/ruleId/);
    expect(() => validatePolicyEntry(e({ remoteIdentity: 2 ** 32 }))).toThrow(/remoteIdentity/);
  });
});

describe('diffPolicy', () => {
  it('upserts new and changed entries and deletes the gone ones', () => {
    const a = compilePolicy([e({ portLow: 80, portHigh: 80, ruleId: 1 }), e({ portLow: 443, portHigh: 443, ruleId: 2 })]);
    const b = compilePolicy([e({ portLow: 80, portHigh: 80, ruleId: 7 }), e({ portLow: 22, portHigh: 22, ruleId: 3 })]);
    const d = diffPolicy(a, b);
    expect(d.upserts.map((x) => `${x.key.port}:${x.value.rule_id}`).sort()).toEqual(['22:3', '80:7']);
    expect(d.deletes.map((k) => k.port)).toEqual([443]);
    expect(diffPolicy(b, b)).toEqual({ upserts: [], deletes: [] });
  });
});
