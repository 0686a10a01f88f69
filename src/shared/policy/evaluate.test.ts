// Table tests: one row per NetworkPolicy feature, evaluated on the standard small cluster
// (namespaces shop/bank/ops, pods on nodes n1/n2, apiserver 172.28.1.1).
import { describe, expect, it } from 'vitest';
import type { NetworkPolicy } from '../k8s/index.js';
import { evaluate } from './evaluate.js';
import { buildPolicyModel } from './model.js';
import { inputsFor, policy, standardCluster } from './testing/fixtures.js';
import type { FlowPeer, PolicyFlow, PolicyInputs } from './types.js';

const cluster = standardCluster();

function peer(inputs: PolicyInputs, who: string): FlowPeer {
  if (!who.includes('/')) return { ip: who };
  const ep = inputs.endpoints.find((e) => e.name === who);
  if (ep === undefined) throw new Error(`no pod ${who}`);
  return { endpoint: ep };
}

interface Row {
  name: string;
  policies: NetworkPolicy[];
  from: string;
  to: string;
  proto?: string;
  port: number;
  allowed: boolean;
  /** Regex over the flow reason. */
  reason?: RegExp;
  wouldDeny?: boolean;
  extra?: Partial<PolicyInputs>;
}

const denyAllIngress = policy('shop', 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
const denyAllEgress = policy('shop', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
const allowIngressTo = (name: string, rule: object): NetworkPolicy =>
  policy('shop', name, { podSelector: { matchLabels: { app: 'web' } }, ingress: [rule] });
const allowEgressFromWeb = (name: string, rule: object): NetworkPolicy =>
  policy('shop', name, { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [rule] });

const rows: Row[] = [
  { name: 'no policy: not isolated', policies: [], from: 'bank/client', to: 'shop/web-1', port: 8080, allowed: true, reason: /not isolated.*not isolated/ },
  {
    name: 'default deny ingress (empty podSelector)',
    policies: [denyAllIngress],
    from: 'bank/client', to: 'shop/web-1', port: 8080, allowed: false,
    reason: /^ingress: denied: selected by shop\/deny-ingress and no rule allows it$/,
  },
  { name: 'ingress deny leaves egress open', policies: [denyAllIngress], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: true },
  { name: 'ingress: [{}] allows everything', policies: [denyAllIngress, allowIngressTo('all', {})], from: '8.8.8.8', to: 'shop/web-1', port: 1, allowed: true, reason: /allowed by shop\/all ingress rule 0/ },
  {
    name: 'podSelector peer: same namespace only (hit)',
    policies: [allowIngressTo('from-db', { from: [{ podSelector: { matchLabels: { app: 'db' } } }] })],
    from: 'shop/db', to: 'shop/web-1', port: 8080, allowed: true,
  },
  {
    name: 'podSelector peer: other namespace with matching labels is not selected',
    policies: [allowIngressTo('from-client', { from: [{ podSelector: { matchLabels: { app: 'client' } } }] })],
    from: 'bank/client', to: 'shop/web-1', port: 8080, allowed: false, reason: /selected by shop\/from-client/,
  },
  {
    name: 'namespaceSelector only: every pod of matching namespaces',
    policies: [allowIngressTo('from-red', { from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] })],
    from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true,
  },
  {
    name: 'namespaceSelector only: own namespace not matching is denied',
    policies: [allowIngressTo('from-red', { from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] })],
    from: 'shop/db', to: 'shop/web-1', port: 8080, allowed: false,
  },
  {
    name: 'namespaceSelector + podSelector in one peer: both must match (hit)',
    policies: [allowIngressTo('red-client', { from: [{ namespaceSelector: { matchLabels: { team: 'red' } }, podSelector: { matchLabels: { app: 'client' } } }] })],
    from: 'bank/client', to: 'shop/web-1', port: 8080, allowed: true,
  },
  {
    name: 'namespaceSelector + podSelector in one peer: other pod of that namespace denied',
    policies: [allowIngressTo('red-client', { from: [{ namespaceSelector: { matchLabels: { team: 'red' } }, podSelector: { matchLabels: { app: 'client' } } }] })],
    from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: false,
  },
  {
    name: 'namespaceSelector by kubernetes.io/metadata.name',
    policies: [allowIngressTo('from-ops', { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } }] })],
    from: 'ops/probe', to: 'shop/web-1', port: 8080, allowed: true,
  },
  {
    name: 'two peers are ORed',
    policies: [allowIngressTo('or', { from: [{ podSelector: { matchLabels: { app: 'db' } } }, { namespaceSelector: { matchLabels: { env: 'prod' } } }] })],
    from: 'ops/probe', to: 'shop/web-1', port: 8080, allowed: true,
  },
  {
    name: 'matchExpressions NotIn matches pods without the key',
    policies: [allowIngressTo('notin', { from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api', 'client'] }] } }] })],
    from: 'ops/probe', to: 'shop/web-1', port: 8080, allowed: true,
  },
  { name: 'numeric port: hit', policies: [allowIngressTo('p', { ports: [{ port: 8080 }] })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'numeric port: other port denied', policies: [allowIngressTo('p', { ports: [{ port: 8080 }] })], from: 'bank/api', to: 'shop/web-1', port: 9100, allowed: false },
  { name: 'protocol defaults to TCP', policies: [allowIngressTo('p', { ports: [{ port: 8080 }] })], from: 'bank/api', to: 'shop/web-1', proto: 'UDP', port: 8080, allowed: false },
  { name: 'UDP port', policies: [policy('shop', 'dns', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] })], from: 'shop/web-1', to: 'shop/db', proto: 'UDP', port: 53, allowed: true },
  { name: 'SCTP port', policies: [policy('bank', 'diameter', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP', port: 3868 }] }] })], from: 'shop/web-1', to: 'bank/api', proto: 'SCTP', port: 3868, allowed: true },
  { name: 'SCTP rule does not allow TCP', policies: [policy('bank', 'diameter', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP', port: 3868 }] }] })], from: 'shop/web-1', to: 'bank/api', port: 3868, allowed: false },
  { name: 'protocol without port: every port of it', policies: [allowIngressTo('udp', { ports: [{ protocol: 'UDP' }] })], from: 'bank/api', to: 'shop/web-1', proto: 'UDP', port: 40000, allowed: true },
  { name: 'endPort range: low end', policies: [allowIngressTo('r', { ports: [{ port: 8000, endPort: 8100 }] })], from: 'bank/api', to: 'shop/web-1', port: 8000, allowed: true },
  { name: 'endPort range: high end', policies: [allowIngressTo('r', { ports: [{ port: 8000, endPort: 8100 }] })], from: 'bank/api', to: 'shop/web-1', port: 8100, allowed: true },
  { name: 'endPort range: past the end', policies: [allowIngressTo('r', { ports: [{ port: 8000, endPort: 8100 }] })], from: 'bank/api', to: 'shop/web-1', port: 8101, allowed: false },
  { name: 'named port on ingress resolves on the selected pod', policies: [allowIngressTo('n', { ports: [{ port: 'http' }] })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true, reason: /allowed by shop\/n ingress rule 0/ },
  { name: 'named port on ingress: other port denied', policies: [allowIngressTo('n', { ports: [{ port: 'http' }] })], from: 'bank/api', to: 'shop/web-1', port: 9090, allowed: false },
  { name: 'named port with the wrong protocol', policies: [allowIngressTo('n', { ports: [{ port: 'http', protocol: 'UDP' }] })], from: 'bank/api', to: 'shop/web-1', proto: 'UDP', port: 8080, allowed: false },
  {
    name: 'named port on egress resolves on the remote pod',
    policies: [allowEgressFromWeb('to-api', { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] })],
    from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: true,
  },
  {
    name: 'named port on egress: the local pod’s own http port does not count',
    policies: [allowEgressFromWeb('to-api', { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] })],
    from: 'shop/web-1', to: 'bank/api', port: 8080, allowed: false,
  },
  { name: 'named port on egress to all peers never matches outside addresses', policies: [allowEgressFromWeb('np', { ports: [{ port: 'http' }] })], from: 'shop/web-1', to: '8.8.8.8', port: 8080, allowed: false },
  { name: 'ipBlock from world: inside', policies: [allowIngressTo('ext', { from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] })], from: '203.0.113.5', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'ipBlock from world: outside', policies: [allowIngressTo('ext', { from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] })], from: '198.51.100.1', to: 'shop/web-1', port: 8080, allowed: false },
  { name: 'ipBlock except: excluded part', policies: [allowIngressTo('ext', { from: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }] })], from: '203.0.113.200', to: 'shop/web-1', port: 8080, allowed: false },
  { name: 'ipBlock except: kept part', policies: [allowIngressTo('ext', { from: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }] })], from: '203.0.113.127', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'egress to 0.0.0.0/0 except 10/8: internet', policies: [allowEgressFromWeb('inet', { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] })], from: 'shop/web-1', to: '8.8.8.8', port: 443, allowed: true },
  { name: 'egress to 0.0.0.0/0 except 10/8: excluded address', policies: [allowEgressFromWeb('inet', { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] })], from: 'shop/web-1', to: '10.9.9.9', port: 443, allowed: false },
  { name: 'egress to 0.0.0.0/0 except 10/8: pod inside the except', policies: [allowEgressFromWeb('inet', { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] })], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: false },
  { name: 'ipBlock covering every pod of an identity matches the pod', policies: [allowEgressFromWeb('api-ip', { to: [{ ipBlock: { cidr: '10.200.2.30/32' } }] })], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: true },
  {
    name: 'ipBlock covering only some pods of an identity does not match (never over-allow)',
    policies: [policy('shop', 'db-out', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.200.1.0/24' } }] }] })],
    from: 'shop/db', to: 'shop/web-1', port: 8080, allowed: false,
  },
  {
    name: 'ipBlock covering every pod of an identity (two nodes)',
    policies: [policy('shop', 'db-out', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.200.0.0/16' } }] }] })],
    from: 'shop/db', to: 'shop/web-1', port: 8080, allowed: true,
  },
  { name: 'ipBlock on the other node’s address matches remote-node', policies: [allowEgressFromWeb('node', { to: [{ ipBlock: { cidr: '172.28.1.12/32' } }] })], from: 'shop/web-1', to: '172.28.1.12', port: 10250, allowed: true },
  { name: 'remote-node is relative to the pod’s node', policies: [allowEgressFromWeb('node', { to: [{ ipBlock: { cidr: '172.28.1.12/32' } }] })], from: 'shop/web-2', to: '172.28.1.11', port: 10250, allowed: false },
  { name: 'own node is always allowed (ingress)', policies: [denyAllIngress], from: '172.28.1.11', to: 'shop/web-1', port: 8080, allowed: true, reason: /own node/ },
  { name: 'own node is always allowed (egress)', policies: [denyAllEgress], from: 'shop/web-2', to: '172.28.1.12', port: 10250, allowed: true, reason: /own node/ },
  { name: 'another node is not the host', policies: [denyAllIngress], from: '172.28.1.12', to: 'shop/web-1', port: 8080, allowed: false },
  { name: 'kube-apiserver through an ipBlock', policies: [denyAllEgress, allowEgressFromWeb('api', { to: [{ ipBlock: { cidr: '172.28.1.1/32' } }], ports: [{ port: 6443 }] })], from: 'shop/web-1', to: '172.28.1.1', port: 6443, allowed: true },
  { name: 'policyTypes [Egress] ignores ingress rules', policies: [policy('shop', 'e', { podSelector: {}, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: {} }] }] })], from: 'bank/api', to: 'shop/web-1', port: 1, allowed: true, reason: /not isolated/ },
  { name: 'no policyTypes + egress rules: egress isolated', policies: [policy('shop', 'e', { podSelector: {}, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: false, reason: /^egress: denied: selected by shop\/e/ },
  { name: 'no policyTypes + empty egress list: egress not isolated', policies: [policy('shop', 'e', { podSelector: {}, egress: [] })], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: true },
  { name: 'no policyTypes + egress rules: ingress isolated too', policies: [policy('shop', 'e', { podSelector: {}, egress: [{}] })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: false },
  { name: 'policies are additive', policies: [allowIngressTo('a', { from: [{ podSelector: { matchLabels: { app: 'db' } } }] }), allowIngressTo('b', { from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] })], from: 'bank/client', to: 'shop/web-1', port: 8080, allowed: true, reason: /allowed by shop\/b ingress rule 0/ },
  { name: 'podSelector limits which pods a policy isolates', policies: [policy('shop', 'db-only', { podSelector: { matchLabels: { app: 'db' } } })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'a policy never selects pods of another namespace', policies: [policy('bank', 'all', { podSelector: {} })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'selectors on labels left out of identities see them absent', policies: [policy('shop', 'hash', { podSelector: { matchLabels: { 'pod-template-hash': 'aaa' } } })], from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true },
  { name: 'enforcement always: no policy denies', policies: [], extra: { enforcement: 'always' }, from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: false, reason: /enforcement mode 'always'/ },
  { name: 'enforcement never: nothing denied', policies: [denyAllIngress], extra: { enforcement: 'never' }, from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true, reason: /enforcement mode 'never'/ },
  { name: 'audit namespace: would deny, passes', policies: [denyAllIngress], extra: { auditNamespaces: ['shop'] }, from: 'bank/api', to: 'shop/web-1', port: 8080, allowed: true, wouldDeny: true, reason: /would be denied/ },
  { name: 'a pod can always reach itself', policies: [denyAllIngress, denyAllEgress], from: 'shop/web-1', to: '10.200.1.10', port: 8080, allowed: true, reason: /itself/ },
  { name: 'no pod on either side', policies: [denyAllIngress], from: '8.8.8.8', to: '1.1.1.1', port: 53, allowed: true, reason: /does not apply/ },
  { name: 'rule without ports allows ICMP', policies: [allowIngressTo('any', { from: [{ namespaceSelector: {} }] })], from: 'bank/api', to: 'shop/web-1', proto: 'ICMP', port: 0, allowed: true },
  { name: 'rule with ports does not allow ICMP', policies: [allowIngressTo('tcp', { ports: [{ protocol: 'TCP' }] })], from: 'bank/api', to: 'shop/web-1', proto: 'ICMP', port: 0, allowed: false },
  { name: 'egress denial is reported when ingress allows', policies: [denyAllEgress], from: 'shop/web-1', to: 'bank/api', port: 9090, allowed: false, reason: /^egress: denied: selected by shop\/deny-egress/ },
  { name: 'a pod IP given as an address is that pod', policies: [denyAllEgress], from: '10.200.1.10', to: 'bank/api', port: 9090, allowed: false, reason: /^egress: denied/ },
  { name: 'an uninterpretable peer allows nothing (fail closed)', policies: [allowIngressTo('bad', { from: [{ ipBlock: { cidr: 'not-a-cidr' } }] })], from: '8.8.8.8', to: 'shop/web-1', port: 8080, allowed: false },
];

describe('evaluate: one row per NetworkPolicy feature', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const inputs = inputsFor(cluster, row.policies, row.extra);
    const flow: PolicyFlow = { src: peer(inputs, row.from), dst: peer(inputs, row.to), protocol: row.proto ?? 'TCP', port: row.port };
    const verdict = evaluate(buildPolicyModel(inputs), flow);
    expect(verdict.allowed, verdict.reason).toBe(row.allowed);
    if (row.reason) expect(verdict.reason).toMatch(row.reason);
    expect(verdict.wouldDeny).toBe(row.wouldDeny ?? false);
  });
});

describe('evaluate: verdict details', () => {
  it('lists every allowing rule with peer and port indexes, and all selecting policies', () => {
    const policies = [
      policy('shop', 'a', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'x' } } }, { namespaceSelector: {} }], ports: [{ port: 1 }, { port: 'http' }] }] }),
      policy('shop', 'b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 9999 }] }, {}] }),
    ];
    const inputs = inputsFor(cluster, policies);
    const v = evaluate(inputs, { src: peer(inputs, 'bank/api'), dst: peer(inputs, 'shop/web-1'), protocol: 'TCP', port: 8080 });
    expect(v.allowed).toBe(true);
    expect(v.ingress.selectedBy).toEqual(['shop/a', 'shop/b']);
    expect(v.ingress.allowedBy.map((m) => [m.ref, m.peerIndex, m.portIndex])).toEqual([
      [{ kind: 'policy', policy: 'shop/a', direction: 'ingress', ruleIndex: 0 }, 1, 1],
      [{ kind: 'policy', policy: 'shop/b', direction: 'ingress', ruleIndex: 1 }, undefined, undefined],
    ]);
    expect(v.ingress.reason).toBe('ingress: allowed by shop/a ingress rule 0 (and 1 more)');
    expect(v.ingress.remote).toEqual({ kind: 'pod', identity: inputs.endpoints.find((e) => e.name === 'bank/api')!.identity, ip: '10.200.2.30', name: 'bank/api' });
    expect(v.egress).toMatchObject({ applies: true, enforced: false, allowed: true });
  });

  it('names the remote kind for reserved identities', () => {
    const inputs = inputsFor(cluster, [denyAllIngress]);
    const at = (ip: string) => evaluate(inputs, { src: { ip }, dst: peer(inputs, 'shop/web-1'), protocol: 'TCP', port: 80 }).ingress.remote;
    expect(at('172.28.1.11')).toMatchObject({ kind: 'host', identity: 1 });
    expect(at('172.28.1.12')).toMatchObject({ kind: 'remote-node', identity: 6 });
    expect(at('172.28.1.1')).toMatchObject({ kind: 'kube-apiserver', identity: 7 });
    expect(at('9.9.9.9')).toMatchObject({ kind: 'world', identity: 2 });
  });

  it('rejects malformed flows with a clear error', () => {
    const inputs = inputsFor(cluster, []);
    const dst = peer(inputs, 'shop/web-1');
    expect(() => evaluate(inputs, { src: { ip: '300.1.1.1' }, dst, protocol: 'TCP', port: 1 })).toThrow(/source is not an IPv4 address/);
    expect(() => evaluate(inputs, { src: { ip: '1.1.1.1' }, dst, protocol: 'GRE', port: 1 })).toThrow(/protocol not known: "GRE"/);
    expect(() => evaluate(inputs, { src: { ip: '1.1.1.1' }, dst, protocol: 'TCP', port: 70000 })).toThrow(/port out of range/);
  });

  it('evaluates a draft endpoint that is not in the model', () => {
    const inputs = inputsFor(cluster, [allowIngressTo('from-db', { from: [{ podSelector: { matchLabels: { app: 'db' } } }] })]);
    const model = buildPolicyModel(inputs);
    const draft = { identity: 999, labels: { app: 'db', 'ns:kubernetes.io/metadata.name': 'shop' }, ips: ['10.200.9.9'], name: 'shop/draft' };
    const v = evaluate(model, { src: { endpoint: draft }, dst: peer(inputs, 'shop/web-1'), protocol: 'TCP', port: 8080 });
    expect(v.allowed).toBe(true);
    const web = inputs.endpoints.find((e) => e.name === 'shop/web-1')!;
    expect(() => evaluate(model, { src: { endpoint: { ...draft, identity: web.identity } }, dst: { ip: '1.1.1.1' }, protocol: 'TCP', port: 1 })).toThrow(/has identity/);
  });
});
