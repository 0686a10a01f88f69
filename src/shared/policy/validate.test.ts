// validatePolicy: the API server's errors (paths and wording of Kubernetes 1.36) and Lumen's
// warnings, one row per check.
import { describe, expect, it } from 'vitest';
import { formatProblem, type NetworkPolicy, type NetworkPolicySpec } from '../k8s/index.js';
import { isPolicyValid, validatePolicy } from './validate.js';

const np = (spec: NetworkPolicySpec | undefined, meta: { name?: string; namespace?: string } = { name: 'p', namespace: 'shop' }): NetworkPolicy => ({
  metadata: meta,
  ...(spec === undefined ? {} : { spec }),
});
const ingressPeer = (peer: object): NetworkPolicySpec => ({ podSelector: {}, ingress: [{ from: [peer as never] }] });
const ingressPort = (port: object): NetworkPolicySpec => ({ podSelector: {}, ingress: [{ ports: [port as never] }] });

const rows: [string, NetworkPolicy, string[]][] = [
  ['valid policy', np({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }] }), []],
  ['missing name and namespace', np({ podSelector: {} }, {}), ['error metadata.name: Required value', 'error metadata.namespace: Required value']],
  ['bad name', np({ podSelector: {} }, { name: 'Bad_Name', namespace: 'shop' }), ['error metadata.name: a lowercase RFC 1123 subdomain']],
  ['missing podSelector warns', np({}), ['warning spec.podSelector: missing']],
  ['bad podSelector operator', np({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Has' }] } }), ['error spec.podSelector.matchExpressions[0].operator: not a valid selector operator']],
  ['peer with nothing', np(ingressPeer({})), ['error spec.ingress[0].from[0]: Required value: must specify a peer']],
  ['ipBlock with a selector', np(ingressPeer({ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} })), ['error spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer']],
  ['bad peer selector', np(ingressPeer({ namespaceSelector: { matchLabels: { 'a b': 'x' } } })), ['error spec.ingress[0].from[0].namespaceSelector.matchLabels[a b]: name part must consist']],
  ['cidr syntax', np(ingressPeer({ ipBlock: { cidr: '10.0.0/8' } })), ['error spec.ingress[0].from[0].ipBlock.cidr: must be a valid CIDR value']],
  ['cidr missing', np(ingressPeer({ ipBlock: {} })), ['error spec.ingress[0].from[0].ipBlock.cidr: Required value']],
  ['cidr host bits', np(ingressPeer({ ipBlock: { cidr: '10.0.0.1/8' } })), ['error spec.ingress[0].from[0].ipBlock.cidr: must not have bits set beyond the prefix length']],
  ['cidr leading zeros', np(ingressPeer({ ipBlock: { cidr: '10.0.0.010/32' } })), ['error spec.ingress[0].from[0].ipBlock.cidr: must not have leading 0s']],
  ['except outside cidr', np(ingressPeer({ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } })), ['error spec.ingress[0].from[0].ipBlock.except[0]: must be a strict subset of `cidr`']],
  ['except equal to cidr', np(ingressPeer({ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } })), ['error spec.ingress[0].from[0].ipBlock.except[0]: must be a strict subset']],
  ['except inside cidr', np(ingressPeer({ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.0.2.7/32'] } })), []],
  ['IPv6 ipBlock is valid but not enforced', np(ingressPeer({ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } })), ['warning spec.ingress[0].from[0].ipBlock.cidr: Lumen enforces IPv4 only']],
  ['IPv6 except outside', np(ingressPeer({ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db9::/48'] } })), ['error spec.ingress[0].from[0].ipBlock.except[0]: must be a strict subset', 'warning spec.ingress[0].from[0].ipBlock.cidr']],
  ['protocol', np(ingressPort({ protocol: 'tcp', port: 80 })), ['error spec.ingress[0].ports[0].protocol: Unsupported value']],
  ['port 0', np(ingressPort({ port: 0 })), ['error spec.ingress[0].ports[0].port: must be between 1 and 65535, inclusive']],
  ['port 65536', np(ingressPort({ port: 65536 })), ['error spec.ingress[0].ports[0].port: must be between 1 and 65535']],
  ['endPort below port', np(ingressPort({ port: 100, endPort: 99 })), ['error spec.ingress[0].ports[0].endPort: must be greater than or equal to `port`']],
  ['endPort out of range', np(ingressPort({ port: 100, endPort: 70000 })), ['error spec.ingress[0].ports[0].endPort: must be between 1 and 65535']],
  ['endPort with named port', np(ingressPort({ port: 'http', endPort: 90 })), ['error spec.ingress[0].ports[0].endPort: may not be specified when `port` is non-numeric']],
  ['endPort without port', np(ingressPort({ endPort: 90 })), ['error spec.ingress[0].ports[0].endPort: may not be specified when `port` is not specified']],
  ['bad port name', np(ingressPort({ port: '80' })), ['error spec.ingress[0].ports[0].port: must contain at least one letter']],
  ['egress paths', np({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: 'x' } }], ports: [{ protocol: 'ICMP' }] }] }), ['error spec.egress[0].ports[0].protocol', 'error spec.egress[0].to[0].ipBlock.cidr']],
  ['policyTypes value', np({ podSelector: {}, policyTypes: ['Ingress', 'ingress'] }), ['error spec.policyTypes[1]: Unsupported value']],
  ['too many policyTypes', np({ podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] }), ['error spec.policyTypes: may not specify more than two policyTypes']],
  ['ingress rules ignored by policyTypes', np({ podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }), ['warning spec.ingress: ignored']],
  ['egress rules ignored by policyTypes', np({ podSelector: {}, policyTypes: ['Ingress'], egress: [{}] }), ['warning spec.egress: ignored']],
  ['empty egress without policyTypes', np({ podSelector: {}, egress: [] }), ['warning spec.egress: an empty egress list without policyTypes does not isolate egress']],
  ['selector on a label left out of identities', np({ podSelector: { matchLabels: { 'pod-template-hash': 'x' } } }), ['warning spec.podSelector: label pod-template-hash is not part of security identities']],
  ['non-list rules', np({ podSelector: {}, ingress: {} as never }), ['error spec.ingress: must be a list of rules']],
];

describe('validatePolicy', () => {
  it.each(rows)('%s', (_name, policy, expected) => {
    const got = validatePolicy(policy).map((p) => `${p.severity} ${p.path}: ${p.message}`);
    expect(got).toHaveLength(expected.length);
    for (const prefix of expected) expect(got.some((g) => g.startsWith(prefix)), `${prefix}\n in ${JSON.stringify(got, null, 1)}`).toBe(true);
  });

  it('warns when an ipBlock overlaps the pod CIDR (context given)', () => {
    const got = validatePolicy(np(ingressPeer({ ipBlock: { cidr: '10.200.1.0/24' } })), { podCidrs: ['10.200.0.0/16'] });
    expect(got).toEqual([expect.objectContaining({ severity: 'warning', path: 'spec.ingress[0].from[0].ipBlock.cidr', message: expect.stringMatching(/overlaps the pod CIDR 10\.200\.0\.0\/16/) })]);
  });

  it('formats problems like kubectl', () => {
    const [p] = validatePolicy(np(ingressPort({ port: 0 })));
    expect(formatProblem(p!)).toBe('spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
    expect(isPolicyValid(np(ingressPort({ port: 0 })))).toBe(false);
    expect(isPolicyValid(np({ podSelector: {}, egress: [] }))).toBe(true);
  });
});
