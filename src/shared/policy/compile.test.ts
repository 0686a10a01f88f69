// compile(): entries, enforcement flags, rule table, CIDR identities, determinism and stable ids.
import { describe, expect, it } from 'vitest';
import { CIDR_IDENTITY_MIN, ReservedIdentity } from '../k8s/index.js';
import { assignCidrIdentities, requiredCidrs } from './cidr-identities.js';
import { compile } from './compile.js';
import { describeRule } from './describe.js';
import { buildPolicyModel } from './model.js';
import { RULE_ID_HOST } from './rule-ids.js';
import { inputsFor, policy, standardCluster } from './testing/fixtures.js';
import type { CompiledEndpoint, PolicyEntry, PolicyInputs } from './types.js';

const cluster = standardCluster();

function compiled(inputs: PolicyInputs, name: string, cidrIds?: Map<string, number>): { ep: CompiledEndpoint; rules: ReturnType<typeof compile>['rules'] } {
  const model = buildPolicyModel(inputs);
  const id = inputs.endpoints.find((e) => e.name === name)!.id!;
  const out = compile(model, { endpointIds: [id], cidrIdentities: cidrIds ?? assignCidrIdentities(requiredCidrs(model)) });
  return { ep: out.endpoints[0]!, rules: out.rules };
}

const identityOf = (inputs: PolicyInputs, name: string): number => inputs.endpoints.find((e) => e.name === name)!.identity;
const short = (e: PolicyEntry): string => `${e.direction} ${e.remoteIdentity} ${e.protocol} ${e.portLow}-${e.portHigh} ${e.verdict}`;

describe('compile', () => {
  it('default deny: host allow + explained deny, only for the enforced direction', () => {
    const inputs = inputsFor(cluster, [policy('shop', 'deny', { podSelector: {} })]);
    const { ep, rules } = compiled(inputs, 'shop/web-1');
    expect(ep.ingress).toEqual({ enforced: true, audit: false, selectedBy: ['shop/deny'] });
    expect(ep.egress).toEqual({ enforced: false, audit: false, selectedBy: [] });
    expect(ep.entries.map(short)).toEqual(['ingress 0 0 0-65535 deny', 'ingress 1 0 0-65535 allow']);
    expect(ep.entries[1]!.ruleId).toBe(RULE_ID_HOST);
    const denyRef = rules.get(ep.entries[0]!.ruleId)!;
    expect(describeRule(denyRef)).toBe('default deny: selected by shop/deny and no rule allows it');
    expect(describeRule(rules.get(RULE_ID_HOST)!)).toMatch(/own node/);
  });

  it('peers become remote identities, ports become protocol + range', () => {
    const inputs = inputsFor(cluster, [
      policy('shop', 'web', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }], ports: [{ port: 8080 }, { protocol: 'UDP', port: 5000, endPort: 5010 }, { protocol: 'SCTP' }] }],
      }),
    ]);
    const { ep, rules } = compiled(inputs, 'shop/web-1');
    const api = identityOf(inputs, 'bank/api');
    const client = identityOf(inputs, 'bank/client');
    const allows = ep.entries.filter((e) => e.verdict === 'allow' && e.remoteIdentity !== 1).map(short);
    expect(allows).toEqual([
      `ingress ${api} 6 8080-8080 allow`,
      `ingress ${api} 17 5000-5010 allow`,
      `ingress ${api} 132 0-65535 allow`,
      `ingress ${client} 6 8080-8080 allow`,
      `ingress ${client} 17 5000-5010 allow`,
      `ingress ${client} 132 0-65535 allow`,
    ].sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])));
    const ruleId = ep.entries.find((e) => e.remoteIdentity === api)!.ruleId;
    expect(rules.get(ruleId)).toEqual({ kind: 'policy', policy: 'shop/web', direction: 'ingress', ruleIndex: 0 });
  });

  it('no peers = any identity (0); no ports = any protocol and port', () => {
    const inputs = inputsFor(cluster, [policy('shop', 'open', { podSelector: {}, ingress: [{ ports: [{ port: 443 }] }, { from: [{ podSelector: {} }] }] })]);
    const { ep } = compiled(inputs, 'shop/db');
    const shopIds = [...new Set(['shop/web-1', 'shop/db'].map((n) => identityOf(inputs, n)))].sort((a, b) => a - b);
    expect(ep.entries.filter((e) => e.verdict === 'allow').map(short)).toEqual([
      'ingress 0 6 443-443 allow',
      'ingress 1 0 0-65535 allow',
      ...shopIds.map((id) => `ingress ${id} 0 0-65535 allow`),
    ]);
  });

  it('named ports: ingress on the local pod, egress per remote identity', () => {
    const inputs = inputsFor(cluster, [
      policy('shop', 'in', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }, { port: 'nope' }] }] }),
      policy('shop', 'out', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] }),
    ]);
    const { ep } = compiled(inputs, 'shop/web-1');
    const allows = ep.entries.filter((e) => e.verdict === 'allow' && e.remoteIdentity !== 1).map(short);
    const web = identityOf(inputs, 'shop/web-1');
    const api = identityOf(inputs, 'bank/api');
    expect(allows).toEqual(['ingress 0 6 8080-8080 allow', `egress ${web} 6 8080-8080 allow`, `egress ${api} 6 9090-9090 allow`].sort((a, b) => (a.startsWith('ingress') ? -1 : b.startsWith('ingress') ? 1 : Number(a.split(' ')[1]) - Number(b.split(' ')[1]))));
  });

  it('ipBlock: CIDR identities for cidr and for more specific prefixes, none for except', () => {
    const inputs = inputsFor(cluster, [
      policy('shop', 'a', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] } }] }] }),
      policy('shop', 'b', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '198.51.100.0/26' } }, { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.28.0.0/16'] } }] }] }),
    ]);
    const model = buildPolicyModel(inputs);
    expect(requiredCidrs(model)).toEqual(['0.0.0.0/0', '10.0.0.0/8', '172.28.0.0/16', '198.51.100.0/24', '198.51.100.0/26', '198.51.100.128/25']);
    const ids = assignCidrIdentities(requiredCidrs(model));
    const { ep, rules } = compiled(inputs, 'shop/web-1', ids);
    const id = (c: string): number => ids.get(c)!;
    const byRule = (policyKey: string): number[] =>
      ep.entries.filter((e) => e.verdict === 'allow' && (rules.get(e.ruleId) as { policy?: string }).policy === policyKey).map((e) => e.remoteIdentity);
    // a: the /24 and the /26 inside it; not the except /25.
    expect(byRule('shop/a')).toEqual([id('198.51.100.0/24'), id('198.51.100.0/26')].sort((x, y) => x - y));
    // b: /0 (+ world as fallback) and every prefix not inside an except; pods in 10/8 and nodes in
    // 172.28/16 are excluded; the apiserver 172.28.1.1 too. Entries a already holds keep a's rule.
    expect(byRule('shop/b')).toEqual([ReservedIdentity.world, id('0.0.0.0/0'), id('198.51.100.128/25')].sort((x, y) => x - y));
    const allowed = new Set(ep.entries.filter((e) => e.verdict === 'allow').map((e) => e.remoteIdentity));
    expect([...allowed].sort((x, y) => x - y)).toEqual(
      [ReservedIdentity.host, ReservedIdentity.world, id('0.0.0.0/0'), id('198.51.100.0/24'), id('198.51.100.0/26'), id('198.51.100.128/25')].sort((x, y) => x - y),
    );
  });

  it('throws naming the CIDR that has no identity', () => {
    const inputs = inputsFor(cluster, [policy('shop', 'a', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] }] })]);
    const model = buildPolicyModel(inputs);
    expect(() => compile(model, { nodeName: 'n1', cidrIdentities: new Map() })).toThrow(/no CIDR identity for 192\.0\.2\.0\/24/);
    expect(() => compile(model, { nodeName: 'n1', cidrIdentities: new Map([['192.0.2.0/24', 5]]) })).toThrow(/outside 16777216/);
  });

  it('ipBlock over node addresses allows remote-node, relative to the endpoint’s node', () => {
    const inputs = inputsFor(cluster, [policy('shop', 'n', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '172.28.1.12/32' } }] }] })]);
    const model = buildPolicyModel(inputs);
    const out = compile(model, { endpointIds: [1, 2], cidrIdentities: assignCidrIdentities(requiredCidrs(model)) });
    const has6 = (ep: CompiledEndpoint): boolean => ep.entries.some((e) => e.remoteIdentity === ReservedIdentity.remoteNode);
    expect(has6(out.endpoints[0]!)).toBe(true); // web-1 on n1: n2 is its only remote node
    expect(has6(out.endpoints[1]!)).toBe(false); // web-2 on n2: its remote node is n1
  });

  it('selects endpoints by node, requires ids, honours enforcement modes and audit', () => {
    const policies = [policy('shop', 'deny', { podSelector: {} })];
    const byNode = compile(buildPolicyModel(inputsFor(cluster, policies)), { nodeName: 'n1', cidrIdentities: new Map() });
    expect(byNode.endpoints.map((e) => e.name)).toEqual(['shop/web-1', 'shop/db', 'bank/client']);
    const noId = inputsFor(cluster, policies);
    delete noId.endpoints[0]!.id;
    expect(() => compile(buildPolicyModel(noId), { nodeName: 'n1', cidrIdentities: new Map() })).toThrow(/shop\/web-1 on node n1 has no id/);
    expect(() => compile(buildPolicyModel(noId), { endpointIds: [77], cidrIdentities: new Map() })).toThrow(/endpoint id 77/);

    const never = compile(buildPolicyModel(inputsFor(cluster, policies, { enforcement: 'never' })), { nodeName: 'n1', cidrIdentities: new Map() });
    expect(never.endpoints.every((e) => !e.ingress.enforced && e.entries.length === 0)).toBe(true);
    const always = compile(buildPolicyModel(inputsFor(cluster, [], { enforcement: 'always' })), { nodeName: 'n1', cidrIdentities: new Map() });
    expect(always.endpoints.every((e) => e.ingress.enforced && e.egress.enforced && e.entries.length === 4)).toBe(true);
    expect(describeRule(always.rules.get(always.endpoints[0]!.entries[0]!.ruleId)!)).toBe("default deny: enforcement mode 'always' and no policy allows it");
    const audit = compile(buildPolicyModel(inputsFor(cluster, policies, { auditNamespaces: ['shop'] })), { nodeName: 'n1', cidrIdentities: new Map() });
    expect(audit.endpoints.map((e) => [e.name, e.ingress.audit])).toEqual([['shop/web-1', true], ['shop/db', true], ['bank/client', false]]);
  });

  it('is deterministic whatever the input order, and cheap to diff', () => {
    const policies = [
      policy('shop', 'a', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'http' }, { port: 80 }] }] }),
      policy('shop', 'b', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.200.0.0/16'] } }] }] }),
      policy('bank', 'c', { podSelector: {}, ingress: [{}] }),
    ];
    const run = (pols: typeof policies, reverse: boolean): string => {
      const inputs = inputsFor(cluster, pols);
      if (reverse) inputs.endpoints = [...inputs.endpoints].reverse();
      const model = buildPolicyModel(inputs);
      const out = compile(model, { nodeName: 'n1', cidrIdentities: assignCidrIdentities(requiredCidrs(model)) });
      return JSON.stringify({ endpoints: out.endpoints, rules: [...out.rules].sort((x, y) => x[0] - y[0]), cidrs: out.cidrs });
    };
    expect(run(policies, false)).toBe(run([...policies].reverse(), true));
  });

  it('keeps rule ids stable when unrelated policies come and go', () => {
    const base = [policy('shop', 'a', { podSelector: {}, ingress: [{}, { ports: [{ port: 1 }] }] })];
    const ids = (pols: typeof base): number[] => [...buildPolicyModel(inputsFor(cluster, pols)).rules].filter(([, r]) => r.kind === 'policy' && r.policy === 'shop/a').map(([id]) => id);
    const before = ids(base);
    const after = ids([...base, policy('bank', 'z', { podSelector: {}, ingress: [{}, {}, {}] }), policy('shop', 'b', { podSelector: {}, ingress: [{}] })]);
    expect(after).toEqual(before);
    expect(new Set(before).size).toBe(2);
    expect(before.every((id) => id >= 16 && id < 2 ** 31)).toBe(true);
  });
});

describe('assignCidrIdentities', () => {
  it('keeps numbers of CIDRs still needed and reuses freed ones from the bottom', () => {
    const first = assignCidrIdentities(['10.0.0.0/8', '192.0.2.0/24', '198.51.100.0/24']);
    expect([...first.values()]).toEqual([CIDR_IDENTITY_MIN, CIDR_IDENTITY_MIN + 1, CIDR_IDENTITY_MIN + 2]);
    const second = assignCidrIdentities(['198.51.100.0/24', '203.0.113.0/24', '10.0.0.0/8'], first);
    expect(second.get('10.0.0.0/8')).toBe(CIDR_IDENTITY_MIN);
    expect(second.get('198.51.100.0/24')).toBe(CIDR_IDENTITY_MIN + 2);
    expect(second.get('203.0.113.0/24')).toBe(CIDR_IDENTITY_MIN + 1);
    expect(second.has('192.0.2.0/24')).toBe(false);
  });
});
