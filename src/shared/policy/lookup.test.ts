// The reference datapath: policy entry lookup precedence, the enforcement/audit decision, and the
// longest-prefix ipcache with its tie precedence.
import { describe, expect, it } from 'vitest';
import { ReservedIdentity } from '../k8s/index.js';
import { assignCidrIdentities, requiredCidrs } from './cidr-identities.js';
import { datapathDecision, lookupEntries, ReferenceIpcache, referenceIpcacheEntries } from './lookup.js';
import { buildPolicyModel } from './model.js';
import { inputsFor, policy, standardCluster } from './testing/fixtures.js';
import type { CompiledEndpoint, PolicyEntry } from './types.js';

const e = (remoteIdentity: number, protocol: 0 | 6 | 17 | 132, portLow: number, portHigh: number, verdict: 'allow' | 'deny', ruleId: number): PolicyEntry => ({
  endpointId: 1,
  direction: 'ingress',
  remoteIdentity,
  protocol,
  portLow,
  portHigh,
  verdict,
  ruleId,
});

describe('lookupEntries', () => {
  const entries = [
    e(0, 0, 0, 65535, 'deny', 100),
    e(0, 6, 80, 80, 'allow', 201),
    e(300, 6, 0, 65535, 'allow', 202),
    e(300, 6, 8000, 8100, 'allow', 203),
    e(301, 17, 53, 53, 'allow', 204),
    e(302, 6, 443, 443, 'deny', 205),
    e(0, 6, 443, 443, 'allow', 206),
  ];
  it.each<[string, number, number, number, string, number]>([
    ['any-identity allow', 999, 6, 80, 'allow', 201],
    ['specific identity beats any (both allow)', 300, 6, 80, 'allow', 202],
    ['narrower range wins among specific allows', 300, 6, 8080, 'allow', 203],
    ['protocol must match', 301, 6, 53, 'deny', 100],
    ['UDP specific', 301, 17, 53, 'allow', 204],
    ['a more specific deny never beats an allow', 302, 6, 443, 'allow', 206],
    ['deny when no allow', 999, 6, 22, 'deny', 100],
    ['ICMP falls to the any/any deny', 300, 1, 0, 'deny', 100],
  ])('%s', (_name, identity, proto, port, verdict, ruleId) => {
    expect(lookupEntries(entries, identity, proto, port)).toEqual({ verdict, ruleId });
  });

  it('reports none when nothing matches', () => {
    expect(lookupEntries([e(5, 6, 1, 1, 'allow', 9)], 6, 6, 1)).toEqual({ verdict: 'none', ruleId: 0 });
  });

  it('decides like the datapath: not enforced passes, enforced drops, audit passes', () => {
    const ep = (enforced: boolean, audit: boolean): CompiledEndpoint => ({
      endpointId: 1,
      identity: 256,
      ingress: { enforced, audit, selectedBy: [] },
      egress: { enforced: false, audit: false, selectedBy: [] },
      entries: [e(300, 6, 80, 80, 'allow', 42)],
    });
    expect(datapathDecision(ep(false, false), 'ingress', 7, 6, 22)).toEqual({ passes: true, audit: false, ruleId: 0 });
    expect(datapathDecision(ep(true, false), 'ingress', 300, 6, 80)).toEqual({ passes: true, audit: false, ruleId: 42 });
    expect(datapathDecision(ep(true, false), 'ingress', 7, 6, 22)).toEqual({ passes: false, audit: false, ruleId: 0 });
    expect(datapathDecision(ep(true, true), 'ingress', 7, 6, 22)).toEqual({ passes: true, audit: true, ruleId: 0 });
  });
});

describe('reference ipcache', () => {
  it('resolves by longest prefix, falls back to world', () => {
    const cache = new ReferenceIpcache([
      ['0.0.0.0/0', 1 << 24],
      ['10.0.0.0/8', (1 << 24) + 1],
      ['10.1.0.0/16', (1 << 24) + 2],
      ['10.1.2.3/32', 300],
    ]);
    expect(cache.lookup('10.1.2.3')).toBe(300);
    expect(cache.lookup('10.1.2.4')).toBe((1 << 24) + 2);
    expect(cache.lookup('10.9.0.1')).toBe((1 << 24) + 1);
    expect(cache.lookup('8.8.8.8')).toBe(1 << 24);
    expect(new ReferenceIpcache([]).lookup('8.8.8.8')).toBe(ReservedIdentity.world);
    expect(() => cache.lookup('nope')).toThrow(/not an IPv4 address/);
  });

  it('holds a node’s view: pods > own node > other nodes > apiserver > CIDRs', () => {
    const cluster = standardCluster();
    const pols = [policy('shop', 'a', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '172.28.1.0/24', except: ['172.28.1.11/32'] } }, { ipBlock: { cidr: '10.200.1.10/32' } }] }] })];
    const model = buildPolicyModel(inputsFor(cluster, pols));
    const ids = assignCidrIdentities(requiredCidrs(model));
    const entries = referenceIpcacheEntries(model, 'n1', ids);
    const cache = new ReferenceIpcache(entries);
    expect(cache.lookup('172.28.1.11')).toBe(ReservedIdentity.host);
    expect(cache.lookup('172.28.1.12')).toBe(ReservedIdentity.remoteNode);
    expect(cache.lookup('172.28.1.1')).toBe(ReservedIdentity.kubeApiserver);
    expect(cache.lookup('172.28.1.99')).toBe(ids.get('172.28.1.0/24'));
    expect(cache.lookup('10.200.1.10')).toBe(model.endpointsByIp.get(0x0ac8010a)!.identity.id);
    expect(entries.get('172.28.1.11/32')).toBe(ReservedIdentity.host);
    expect(() => referenceIpcacheEntries(model, 'n1', new Map())).toThrow(/no CIDR identity for 10\.200\.1\.10\/32/);
  });
});
