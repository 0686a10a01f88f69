// Security labels of a pod, canonical form round trip, label views; IP/CIDR parsing; identities.
import { describe, expect, it } from 'vitest';
import { identityKind, reservedIdentityLabels, ReservedIdentity } from './identity.js';
import { cidrContainsIpv4, cidrWithin, formatIpv4, ipv6Within, parseCidr, parseIpv4 } from './ip.js';
import { nodeIpv4s, podContainerPorts, podIpv4s } from './pod.js';
import {
  canonicalLabels,
  NAMESPACE_NAME_SECURITY_LABEL,
  parseCanonicalLabels,
  securityLabels,
  splitSecurityLabels,
} from './security-labels.js';
import type { Namespace, Pod } from './types.js';

const ns: Namespace = { metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'blue' } } };
const pod: Pod = {
  metadata: {
    name: 'web-7d9f-abc',
    namespace: 'shop',
    labels: {
      app: 'web',
      'pod-template-hash': '7d9f',
      'controller-revision-hash': 'x1',
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
      'batch.kubernetes.io/controller-uid': 'u',
      'controller-uid': 'u',
      'job-name': 'backup',
    },
  },
  spec: {
    containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }],
    initContainers: [
      { name: 'sidecar', restartPolicy: 'Always', ports: [{ name: 'metrics', containerPort: 9090 }] },
      { name: 'init', ports: [{ name: 'ignored', containerPort: 1 }] },
    ],
  },
  status: { podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }, { ip: 'fd00::5' }] },
};

describe('securityLabels', () => {
  it('keeps security-relevant pod labels, drops per-pod ones, adds namespace labels', () => {
    expect(securityLabels(pod, ns)).toEqual({
      app: 'web',
      'job-name': 'backup',
      'ns:kubernetes.io/metadata.name': 'shop',
      'ns:team': 'blue',
    });
  });

  it('adds the namespace name when the namespace is unknown or lacks the label', () => {
    expect(securityLabels(pod)).toEqual({ app: 'web', 'job-name': 'backup', [NAMESPACE_NAME_SECURITY_LABEL]: 'shop' });
    expect(securityLabels(pod, { metadata: { name: 'shop' } })[NAMESPACE_NAME_SECURITY_LABEL]).toBe('shop');
  });

  it('emits keys sorted, whatever the input order', () => {
    const keys = Object.keys(securityLabels({ metadata: { namespace: 'a', labels: { z: '1', b: '2', a: '3' } } }));
    expect(keys).toEqual([...keys].sort());
  });

  it('rejects a namespace that is not the pod’s, and a pod without namespace', () => {
    expect(() => securityLabels(pod, { metadata: { name: 'other' } })).toThrow(/not in namespace other/);
    expect(() => securityLabels({ metadata: { name: 'x' } })).toThrow(/has no namespace/);
  });

  it('round-trips through the canonical string', () => {
    const labels = securityLabels(pod, ns);
    const text = canonicalLabels(labels);
    expect(text).toBe('app=web,job-name=backup,ns:kubernetes.io/metadata.name=shop,ns:team=blue');
    expect(parseCanonicalLabels(text)).toEqual(labels);
    expect(canonicalLabels({ b: '', a: 'x' })).toBe('a=x,b=');
    expect(parseCanonicalLabels('')).toEqual({});
    expect(() => parseCanonicalLabels('a=1,b')).toThrow(/offset 4/);
    expect(() => parseCanonicalLabels('a=1,a=2')).toThrow(/duplicate key "a"/);
  });

  it('splits into pod and namespace views', () => {
    const view = splitSecurityLabels({ ...securityLabels(pod, ns), 'reserved:host': '' });
    expect(view.namespace).toBe('shop');
    expect(view.pod).toEqual({ app: 'web', 'job-name': 'backup' });
    expect(view.namespaceLabels).toEqual({ 'kubernetes.io/metadata.name': 'shop', team: 'blue' });
    expect(view.other).toEqual({ 'reserved:host': '' });
  });
});

describe('pod readers', () => {
  it('reads IPv4 addresses and named ports including sidecars', () => {
    expect(podIpv4s(pod)).toEqual(['10.1.0.5']);
    expect(podContainerPorts(pod)).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    expect(
      nodeIpv4s({ status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'ExternalIP', address: '1.2.3.4' }, { type: 'InternalIP', address: '172.28.1.11' }] } }),
    ).toEqual(['172.28.1.11', '1.2.3.4']);
  });
});

describe('IP and CIDR parsing', () => {
  it('parses IPv4 strictly by default', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('010.0.0.1')).toBeUndefined();
    expect(parseIpv4('010.0.0.1', true)).toBe(0x0a000001);
    expect(parseIpv4('256.0.0.1')).toBeUndefined();
    expect(parseIpv4('1.2.3')).toBeUndefined();
    expect(formatIpv4(0xc0a80101)).toBe('192.168.1.1');
  });

  it('flags what strict validation rejects but still reads it', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, cidr: { text: '10.0.0.0/8' }, hostBitsSet: false, leadingZeros: false });
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ family: 4, cidr: { text: '10.0.0.0/8' }, hostBitsSet: true });
    expect(parseCidr('010.0.0.0/8')).toMatchObject({ family: 4, leadingZeros: true });
    expect(parseCidr('10.0.0.0/08')).toMatchObject({ family: 4, leadingZeros: true });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, cidr: { base: 0, prefix: 0 } });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('2001:db8::/64')).toMatchObject({ family: 6, prefix: 64, hostBitsSet: false, ipv4Mapped: false });
    expect(parseCidr('2001:db8::1/64')).toMatchObject({ family: 6, hostBitsSet: true });
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 6, ipv4Mapped: true });
    expect(parseCidr('::/0')).toMatchObject({ family: 6, prefix: 0 });
    expect(parseCidr('1::2::3/64')).toBeUndefined();
    expect(parseCidr('2001:db8::/129')).toBeUndefined();
  });

  it('answers containment', () => {
    const c = parseCidr('10.1.0.0/16');
    const inner = parseCidr('10.1.2.0/24');
    if (c?.family !== 4 || inner?.family !== 4) throw new Error('parse failed');
    expect(cidrContainsIpv4(c.cidr, parseIpv4('10.1.255.1')!)).toBe(true);
    expect(cidrContainsIpv4(c.cidr, parseIpv4('10.2.0.1')!)).toBe(false);
    expect(cidrWithin(inner.cidr, c.cidr)).toBe(true);
    expect(cidrWithin(c.cidr, inner.cidr)).toBe(false);
    const v6 = parseCidr('2001:db8::/32');
    const v6in = parseCidr('2001:db8:1::/48');
    if (v6?.family !== 6 || v6in?.family !== 6) throw new Error('parse failed');
    expect(ipv6Within(v6in, v6)).toBe(true);
    expect(ipv6Within(v6, v6in)).toBe(false);
  });
});

describe('identities', () => {
  it('classifies numbers and labels reserved ones', () => {
    expect(identityKind(ReservedIdentity.world)).toBe('reserved');
    expect(identityKind(256)).toBe('cluster');
    expect(identityKind(1 << 24)).toBe('cidr');
    expect(() => identityKind(-1)).toThrow(/not an identity/);
    expect(reservedIdentityLabels(ReservedIdentity.remoteNode)).toEqual({ 'reserved:remote-node': '' });
    expect(reservedIdentityLabels(ReservedIdentity.kubeApiserver)).toEqual({ 'reserved:kube-apiserver': '' });
  });
});
