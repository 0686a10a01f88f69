// Tests of the preflight checks as pure functions: versions, kernels, CNIs, kube-proxy, flavours, and the permission list derived from the manifests.
import { describe, expect, it } from 'vitest';
import { renderManifests } from '../../../../resources/manifests.js';
import { generateSecrets } from '../secrets.js';
import { apiVersionCheck, cniCheck, existingCheck, findKubeProxy, kernelCheck, kubeProxyCheck, permissionsCheck } from './checks.js';
import { detectFlavour, type NodeLike } from './flavour.js';
import { installNeeds, needLabel, roleGrants } from './permissions.js';

const node = (name: string, extra: Partial<NodeLike> & { labels?: Record<string, string>; kernel?: string } = {}): NodeLike => ({
  metadata: { name, labels: extra.labels ?? {}, annotations: extra.metadata?.annotations ?? {} },
  spec: extra.spec ?? {},
  status: { nodeInfo: { kernelVersion: extra.kernel ?? '6.8.0-45-generic', kubeletVersion: 'v1.36.3' }, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
});
const ok = <T>(value: T) => ({ ok: true as const, value });

describe('flavour', () => {
  it('recognises each flavour by its strongest evidence', () => {
    expect(detectFlavour([node('n', { labels: { 'lumen.dev/lab': 'true' } })], 'x', 'https://1.2.3.4').flavour).toBe('lab');
    expect(detectFlavour([node('kind-control-plane', { spec: { providerID: 'kind://docker/kind/kind-control-plane' } })], 'x', 's')).toEqual({ flavour: 'kind', evidence: 'node kind-control-plane has providerID kind://docker/kind/kind-control-plane' });
    expect(detectFlavour([node('n', { labels: { 'cloud.google.com/gke-nodepool': 'pool' } })], 'x', 's').flavour).toBe('gke');
    expect(detectFlavour([node('n', { spec: { providerID: 'aws:///eu-west-1a/i-1' } })], 'x', 's').flavour).toBe('eks');
    expect(detectFlavour([node('n')], 'x', 'https://abc.hcp.westeurope.azmk8s.io:443').flavour).toBe('aks');
    expect(detectFlavour([node('n', { labels: { 'minikube.k8s.io/name': 'minikube' } })], 'x', 's').flavour).toBe('minikube');
    expect(detectFlavour([{ ...node('n'), status: { nodeInfo: { kubeletVersion: 'v1.30.2+k3s1' } } }], 'default', 's').flavour).toBe('k3s');
    expect(detectFlavour([node('n')], 'kind-dev', 's').flavour).toBe('kind');
    expect(detectFlavour([node('n')], 'prod', 'https://10.0.0.1:6443')).toEqual({ flavour: 'generic', evidence: 'no known node label, providerID or context name' });
  });
});

describe('checks', () => {
  it('refuses API servers older than 1.30 and passes current ones', () => {
    expect(apiVersionCheck(ok({ gitVersion: 'v1.29.4', major: '1', minor: '29' })).status).toBe('fail');
    expect(apiVersionCheck(ok({ gitVersion: 'v1.31.0-gke.1', major: '1', minor: '31+' })).status).toBe('pass');
    expect(apiVersionCheck(ok({ gitVersion: 'v1.40.0', major: '1', minor: '40' })).status).toBe('warn');
    expect(apiVersionCheck({ ok: false, error: 'refused' }).summary).toContain('refused');
  });

  it('names the nodes whose kernel is too old', () => {
    const c = kernelCheck(ok([node('a', { kernel: '6.1.0' }), node('b', { kernel: '5.15.0-91-generic' }), node('c', { kernel: '5.17.0' })]));
    expect(c.status).toBe('fail');
    expect(c.summary).toBe('1 node(s) run a kernel older than 5.17: b');
    expect(c.details).toEqual(['a: 6.1.0', 'b: 5.15.0-91-generic', 'c: 5.17.0']);
    expect(kernelCheck(ok([node('r', { kernel: '5.14.0-427.el9.x86_64' })])).status).toBe('warn');
  });

  it('finds other CNIs by DaemonSet name, label or node annotation, and ignores Lumen', () => {
    const ds = (name: string, ns: string, labels: Record<string, string> = {}) => ({ metadata: { name, namespace: ns, labels } });
    const lab = { flavour: 'generic' as const, evidence: '' };
    const c = cniCheck(ok([ds('calico-node', 'kube-system'), ds('lumen-agent', 'lumen-system', { 'app.kubernetes.io/part-of': 'lumen' }), ds('my-cilium', 'x', { 'k8s-app': 'cilium' })]), [], lab);
    expect(c.status).toBe('warn');
    expect(c.details).toEqual(['Calico (DaemonSet kube-system/calico-node)', 'Cilium (DaemonSet x/my-cilium)']);
    const byAnnotation = cniCheck(ok([]), [{ metadata: { name: 'n1', annotations: { 'flannel.alpha.coreos.com/public-ip': '1.2.3.4' } } }], lab);
    expect(byAnnotation.summary).toContain('Flannel');
    expect(cniCheck(ok([ds('lumen-agent', 'lumen-system', { 'app.kubernetes.io/part-of': 'lumen' })]), [], lab).status).toBe('pass');
  });

  it('finds kube-proxy as a DaemonSet, as static pods, or inside k3s', () => {
    const generic = { flavour: 'generic' as const, evidence: '' };
    expect(findKubeProxy({ daemonSets: ok([{ metadata: { name: 'kube-proxy', namespace: 'kube-system' } }]), pods: ok([]) }, generic)).toEqual({ present: true, evidence: 'DaemonSet kube-system/kube-proxy' });
    expect(findKubeProxy({ daemonSets: ok([]), pods: ok([{ metadata: { name: 'kube-proxy-node1' } }]) }, generic).present).toBe(true);
    expect(findKubeProxy({ daemonSets: ok([]), pods: ok([]) }, { flavour: 'k3s', evidence: '' }).present).toBe(true);
    const absent = findKubeProxy({ daemonSets: ok([]), pods: ok([]) }, generic);
    expect(kubeProxyCheck(absent, true).status).toBe('pass');
    const present = kubeProxyCheck({ present: true, evidence: 'DaemonSet kube-system/kube-proxy' }, true);
    expect(present.status).toBe('warn');
    expect(present.action).toContain('keep it');
    expect(present.action).toContain('replace it');
  });

  it('lists missing permissions by name and reason', () => {
    const c = permissionsCheck(ok([
      { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', why: 'create CRD x', allowed: false, reason: null },
      { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'lumen-system', why: 'read logs', allowed: true, reason: null },
    ]));
    expect(c.status).toBe('fail');
    expect(c.details).toEqual(['create customresourcedefinitions.apiextensions.k8s.io — to create CRD x']);
  });

  it('says upgrade or downgrade for an existing install', () => {
    expect(existingCheck(ok({ namespace: 'lumen-system', version: '0.0.9', objects: 12 }), '0.1.0').summary).toContain('an upgrade to 0.1.0');
    expect(existingCheck(ok({ namespace: 'lumen-system', version: '0.2.0', objects: 12 }), '0.1.0').status).toBe('warn');
    expect(existingCheck(ok(null), '0.1.0').summary).toContain('fresh install');
  });
});

describe('permission list', () => {
  const objects = renderManifests({ apiServer: 'https://10.0.0.1:6443', secrets: generateSecrets('lumen-system') });

  it('asks create and patch (server-side apply creates through PATCH) for every object, in the right scope', () => {
    const needs = installNeeds(objects, 'lumen-system');
    const labels = needs.map(needLabel);
    for (const l of ['create customresourcedefinitions.apiextensions.k8s.io', 'patch customresourcedefinitions.apiextensions.k8s.io', 'create daemonsets.apps in lumen-system',
      'patch secrets in lumen-system', 'create clusterrolebindings.rbac.authorization.k8s.io', 'get pods/proxy in lumen-system', 'get pods/log in lumen-system',
      'create namespaces', 'create networkpolicies.networking.k8s.io', 'escalate clusterroles.rbac.authorization.k8s.io']) {
      expect(labels).toContain(l);
    }
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('expands a role into the permissions it grants', () => {
    const role = objects.find((o) => o.kind === 'Role')!;
    const grants = roleGrants(role, 'lumen-system').map(needLabel);
    expect(grants).toContain('create leases.coordination.k8s.io in lumen-system');
    expect(grants).toContain('update leases.coordination.k8s.io in lumen-system');
  });
});
