// Install manifests: order and determinism, RBAC without wildcards and matching what the agent watches, DaemonSet mounts what the config points at, required fields per kind, labels, secrets, the CLI and the certificate.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configToData, resolveConfig } from '../agent/src/config.js';
import { kindPaths } from '../agent/src/k8s/watches.js';
import { generateToken, selfSignedCertificate } from './certs.js';
import { optionsFromArgs, toYamlDocuments } from './cli.js';
import { INSTALL_SELECTOR, names, renderManifests, type InstallOptions, type K8sObject } from './manifests.js';
import { clusterRules } from './rbac.js';

const pair = selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['127.0.0.1'], now: new Date('2025-06-01T00:00:00Z') });
const base: InstallOptions = { apiServer: 'https://172.28.1.1:6443', secrets: { tlsCert: pair.certPem, tlsKey: pair.keyPem, token: 'x'.repeat(43) } };

/* eslint-disable @typescript-eslint/no-explicit-any */
const find = (objs: K8sObject[], kind: string, name?: string): any => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
};
const agentContainer = (objs: K8sObject[]): any => find(objs, 'DaemonSet').spec.template.spec.containers[0];

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

/** The fields the API server requires of each kind we render (what `kubectl apply` would reject). */
function validate(obj: K8sObject, all: K8sObject[]): string[] {
  const errs: string[] = [];
  const where = `${obj.kind}/${obj.metadata.name}`;
  const o = obj as any;
  if (!obj.apiVersion || !obj.kind) errs.push(`${where}: apiVersion/kind`);
  if (!dns1123Subdomain.test(obj.metadata.name)) errs.push(`${where}: metadata.name`);
  if (clusterScoped.has(obj.kind) === !!obj.metadata.namespace) errs.push(`${where}: namespace set on a cluster-scoped kind or missing on a namespaced one`);
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) if (v.length > 63 || !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]?$/.test(v) || k.length > 316) errs.push(`${where}: label ${k}=${v}`);
  switch (obj.kind) {
    case 'CustomResourceDefinition': {
      const s = o.spec;
      if (obj.metadata.name !== `${s.names.plural}.${s.group}`) errs.push(`${where}: name must be <plural>.<group>`);
      if (!['Cluster', 'Namespaced'].includes(s.scope)) errs.push(`${where}: scope`);
      if (s.versions.filter((v: any) => v.storage).length !== 1) errs.push(`${where}: exactly one storage version`);
      for (const v of s.versions) {
        const walk = (node: any, path: string): void => {
          if (!node.type && !node['x-kubernetes-preserve-unknown-fields']) errs.push(`${where}: ${path} has no type (not a structural schema)`);
          for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${k}`);
          if (node.items) walk(node.items, `${path}[]`);
          if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
          for (const r of node.required ?? []) if (!(r in (node.properties ?? {}))) errs.push(`${where}: ${path} requires unknown ${r}`);
        };
        walk(v.schema.openAPIV3Schema, v.name);
        for (const c of v.additionalPrinterColumns ?? []) if (!c.jsonPath.startsWith('.') || !['string', 'integer', 'date', 'number', 'boolean'].includes(c.type)) errs.push(`${where}: column ${c.name}`);
      }
      break;
    }
    case 'ClusterRole':
    case 'Role':
      for (const r of o.rules) if (!r.apiGroups || !r.resources?.length || !r.verbs?.length) errs.push(`${where}: rule needs apiGroups, resources, verbs`);
      break;
    case 'ClusterRoleBinding':
    case 'RoleBinding': {
      const ref = all.find((x) => x.kind === o.roleRef.kind && x.metadata.name === o.roleRef.name);
      if (!ref) errs.push(`${where}: roleRef ${o.roleRef.kind}/${o.roleRef.name} not rendered`);
      for (const s of o.subjects) if (!all.some((x) => x.kind === s.kind && x.metadata.name === s.name && x.metadata.namespace === s.namespace)) errs.push(`${where}: subject ${s.name} not rendered`);
      break;
    }
    case 'Secret':
      for (const v of Object.values(o.data)) if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v as string)) errs.push(`${where}: data not base64`);
      if (o.type === 'kubernetes.io/tls' && !(o.data['tls.crt'] && o.data['tls.key'])) errs.push(`${where}: tls secret needs tls.crt and tls.key`);
      break;
    case 'DaemonSet': {
      const t = o.spec.template;
      for (const [k, v] of Object.entries(o.spec.selector.matchLabels)) if (t.metadata.labels[k] !== v) errs.push(`${where}: selector ${k} not in template labels`);
      const volumes = new Set(t.spec.volumes.map((v: any) => v.name));
      if (volumes.size !== t.spec.volumes.length) errs.push(`${where}: duplicate volume names`);
      for (const c of [...t.spec.containers, ...(t.spec.initContainers ?? [])]) {
        if (!c.name || !c.image) errs.push(`${where}: container needs name and image`);
        for (const m of c.volumeMounts ?? []) {
          if (!volumes.has(m.name)) errs.push(`${where}: ${c.name} mounts unknown volume ${m.name}`);
          if (!m.mountPath.startsWith('/')) errs.push(`${where}: ${c.name} mountPath ${m.mountPath}`);
        }
        const paths = (c.volumeMounts ?? []).map((m: any) => m.mountPath);
        if (new Set(paths).size !== paths.length) errs.push(`${where}: ${c.name} mounts one path twice`);
        for (const e of c.env ?? []) if (!('value' in e) && !e.valueFrom) errs.push(`${where}: env ${e.name}`);
        for (const p of [c.readinessProbe, c.livenessProbe].filter(Boolean)) {
          if (!c.ports?.some((cp: any) => cp.containerPort === p.httpGet.port)) errs.push(`${where}: probe port ${p.httpGet.port} is not a container port`);
        }
        for (const cp of c.ports ?? []) if (t.spec.hostNetwork && cp.hostPort !== undefined && cp.hostPort !== cp.containerPort) errs.push(`${where}: hostNetwork needs hostPort == containerPort`);
        if (c.securityContext?.privileged !== true && (c.volumeMounts ?? []).some((m: any) => m.mountPropagation === 'Bidirectional')) errs.push(`${where}: ${c.name}: Bidirectional propagation needs privileged`);
      }
      break;
    }
  }
  return errs;
}

describe('renderManifests', () => {
  it('renders every object in apply order, deterministically, each valid for its kind', () => {
    const a = renderManifests(base);
    expect(a.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/lumen-system', 'CustomResourceDefinition/identities.lumen.dev', 'CustomResourceDefinition/lumenendpoints.lumen.dev',
      'ServiceAccount/lumen-agent', 'ClusterRole/lumen-agent', 'ClusterRoleBinding/lumen-agent', 'Role/lumen-agent', 'RoleBinding/lumen-agent',
      'ConfigMap/lumen-config', 'Secret/lumen-agent-tls', 'Secret/lumen-agent-token', 'DaemonSet/lumen-agent',
    ]);
    expect(renderManifests(base)).toEqual(a);
    expect(a.flatMap((o) => validate(o, a))).toEqual([]);
  });

  it('the validator itself catches broken objects', () => {
    const objs = structuredClone(renderManifests(base)) as any[];
    const ds = objs.find((o) => o.kind === 'DaemonSet');
    ds.spec.template.spec.volumes = ds.spec.template.spec.volumes.filter((v: any) => v.name !== 'state');
    ds.spec.selector.matchLabels.extra = 'x';
    objs.find((o) => o.kind === 'CustomResourceDefinition').spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.labels = {};
    objs.find((o) => o.kind === 'ClusterRoleBinding').roleRef.name = 'other';
    const errs = objs.flatMap((o) => validate(o, objs));
    expect(errs).toEqual(expect.arrayContaining([
      expect.stringMatching(/mounts unknown volume state/), expect.stringMatching(/selector extra/),
      expect.stringMatching(/labels has no type/), expect.stringMatching(/roleRef ClusterRole\/other/),
    ]));
  });

  it('labels every object for uninstall and annotates the version', () => {
    const [key, value] = INSTALL_SELECTOR.split('=');
    for (const o of renderManifests({ ...base, version: '9.9.9' })) {
      expect(o.metadata.labels?.[key!], `${o.kind}`).toBe(value);
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('lumen-console');
      expect(o.metadata.annotations?.['lumen.dev/version']).toBe('9.9.9');
    }
  });

  it('RBAC has no wildcards and covers exactly what the agent watches with list+watch', () => {
    const objs = renderManifests(base);
    const rules = [...find(objs, 'ClusterRole').rules, ...find(objs, 'Role').rules];
    for (const r of rules) for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) expect(r[field] ?? [], field).not.toContain('*');
    const verbsFor = (group: string, resource: string): string[] => clusterRules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs);
    for (const path of Object.values(kindPaths)) {
      const m = /^\/apis?\/(?:([^/]+)\/)?v1\/([a-z]+)$/.exec(path as string);
      expect(m, path as string).not.toBeNull();
      const group = (path as string).startsWith('/api/') ? '' : m![1]!;
      expect(verbsFor(group, m![2]!), path as string).toEqual(expect.arrayContaining(['list', 'watch']));
    }
    expect(verbsFor('', 'secrets')).toEqual([]);
    expect(verbsFor('', 'pods')).not.toContain('delete');
    expect(find(objs, 'Role').rules).toContainEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['lumen-identity-gc'] });
  });

  it('the DaemonSet mounts what the config points at', () => {
    const config = {
      bpffsDir: '/sys/fs/bpf/custom', cgroupRoot: '/run/x/cgroup2', cniBinDir: '/usr/libexec/cni', cniConfDir: '/etc/cni/conf.d',
      apiSocket: '/run/lumen-a/api.sock', cniSocket: '/run/lumen-b/cni.sock', stateDir: '/data/lumen',
      tlsCertFile: '/secrets/tls/server.pem', tlsKeyFile: '/secrets/tls/server-key.pem', tokenFile: '/secrets/t/install-token', apiPort: 9443,
    };
    const objs = renderManifests({ ...base, config });
    const ds = find(objs, 'DaemonSet').spec.template.spec;
    const c = agentContainer(objs);
    const mountOf = (path: string) => c.volumeMounts.find((m: any) => m.mountPath === path);
    const volumeOf = (name: string) => ds.volumes.find((v: any) => v.name === name);
    for (const path of ['/sys/fs/bpf', '/run/x/cgroup2', '/usr/libexec/cni', '/etc/cni/conf.d', '/run/lumen-a', '/run/lumen-b', '/data/lumen']) {
      const m = mountOf(path);
      expect(m, path).toBeDefined();
      expect(volumeOf(m.name).hostPath.path).toBe(path);
    }
    expect(mountOf('/sys/fs/bpf').mountPropagation).toBe('HostToContainer');
    expect(volumeOf(mountOf('/secrets/tls').name).secret).toMatchObject({ secretName: names.tlsSecret, items: [{ key: 'tls.crt', path: 'server.pem' }, { key: 'tls.key', path: 'server-key.pem' }] });
    expect(volumeOf(mountOf('/secrets/t').name).secret.items).toEqual([{ key: 'token', path: 'install-token' }]);
    expect(c.args).toEqual(['--config-dir=/etc/lumen/config']);
    expect(volumeOf(mountOf('/etc/lumen/config').name).configMap.name).toBe(names.configMap);
    expect(find(objs, 'ConfigMap').data).toEqual(configToData(resolveConfig(config)));
    expect(c.ports).toEqual([{ name: 'api', containerPort: 9443, hostPort: 9443, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ scheme: 'HTTPS', path: '/readyz', port: 9443 });
    const init = ds.initContainers[0];
    expect(init.command.join(' ')).toContain('mount -t bpf bpf /sys/fs/bpf');
    expect(init.command.join(' ')).toContain('mount -t cgroup2 none /run/x/cgroup2');
    expect(objs.flatMap((o) => validate(o, objs))).toEqual([]);
  });

  it('runs the agent with capabilities, not privilege, on every node, against the real API server', () => {
    const objs = renderManifests({ ...base, apiServer: 'https://10.0.0.1' });
    const ds = find(objs, 'DaemonSet');
    const spec = ds.spec.template.spec;
    const c = agentContainer(objs);
    expect(c.securityContext.privileged).toBe(false);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_ADMIN'] });
    expect(spec).toMatchObject({ hostNetwork: true, priorityClassName: 'system-node-critical', tolerations: [{ operator: 'Exists' }], terminationGracePeriodSeconds: 30, serviceAccountName: 'lumen-agent' });
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({ NODE_NAME: 'spec.nodeName', NODE_IP: 'status.hostIP', POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
  });

  it('carries the secrets and rolls the pods when config or certificate change', () => {
    const objs = renderManifests(base);
    expect(Buffer.from(find(objs, 'Secret', names.tokenSecret).data.token, 'base64').toString()).toBe(base.secrets.token);
    expect(Buffer.from(find(objs, 'Secret', names.tlsSecret).data['tls.crt'], 'base64').toString()).toBe(pair.certPem);
    const hash = (o: InstallOptions) => find(renderManifests(o), 'DaemonSet').spec.template.metadata.annotations['lumen.dev/config-hash'];
    expect(hash({ ...base, config: { policyEnforcement: 'always' } })).not.toBe(hash(base));
    expect(hash({ ...base, image: 'example.com/lumen-agent:2' })).toBe(hash(base));
  });

  it('refuses bad options, naming them', () => {
    expect(() => renderManifests({ ...base, apiServer: 'http://1.2.3.4:6443' })).toThrow(/apiServer .*https:\/\//);
    expect(() => renderManifests({ ...base, namespace: 'Lumen' })).toThrow(/namespace "Lumen"/);
    expect(() => renderManifests({ ...base, config: { flowBufferSize: 1 } })).toThrow(/key "flow-buffer-size": must be at least 16/);
    expect(() => renderManifests({ ...base, secrets: { ...base.secrets, token: 'short' } })).toThrow(/at least 16/);
    expect(() => renderManifests({ ...base, config: { tlsKeyFile: '/other/key.pem' } })).toThrow(/must be in one directory/);
  });
});

describe('manifests CLI', () => {
  it('turns flags into options, generating a certificate and token', () => {
    const o = optionsFromArgs(['--api-server', 'https://172.28.1.1:6443', '--kube-proxy-replacement=false', '--audit-namespaces', 'dev,qa', '--image=lumen.dev/lumen-agent:dev', '--cert-host', '172.28.1.11']);
    expect(o.config).toMatchObject({ kubeProxyReplacement: false, nodePort: false, auditNamespaces: ['dev', 'qa'] });
    expect(o.image).toBe('lumen.dev/lumen-agent:dev');
    const x = new X509Certificate(o.secrets.tlsCert);
    expect(x.checkIP('172.28.1.11')).toBe('172.28.1.11');
    expect(x.checkHost('lumen-agent.lumen-system.svc')).toBe('lumen-agent.lumen-system.svc');
    expect(o.secrets.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const docs = parseAllDocuments(toYamlDocuments(renderManifests(o))).map((d) => d.toJS());
    expect(docs).toHaveLength(12);
    expect(docs.at(-1).kind).toBe('DaemonSet');
  });

  it('reads the API server from the kubeconfig and rejects unknown flags and bad values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lumen-manifests-test-'));
    try {
      const kc = join(dir, 'config');
      writeFileSync(kc, 'current-context: lab\ncontexts:\n- name: lab\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster: {server: "https://172.28.3.1:6443"}\n');
      expect(optionsFromArgs([], { KUBECONFIG: kc }).apiServer).toBe('https://172.28.3.1:6443');
      expect(() => optionsFromArgs([], { KUBECONFIG: join(dir, 'none') })).toThrow(/--api-server is required/);
      expect(() => optionsFromArgs(['--api-server=https://x:1', '--kube-proxy-replacment=true'])).toThrow(/unknown flag --kube-proxy-replacment/);
      expect(() => optionsFromArgs(['--api-server=https://x:1', '--policy-enforcement=sometimes'])).toThrow(/key "policy-enforcement": expected one of default, always, never/);
      expect(() => optionsFromArgs(['--api-server=https://x:1', '--tls-cert', '/x'])).toThrow(/go together/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('certificates', () => {
  it('are valid self-signed P-256 server certificates with the SANs asked for', () => {
    const p = selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['node-1', '10.1.2.3'], days: 30, now: new Date('2025-06-01T00:00:00Z') });
    const x = new X509Certificate(p.certPem);
    expect(x.subjectAltName).toBe('DNS:node-1, IP Address:10.1.2.3');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(p.keyPem))).toBe(true);
    expect(x.ca).toBe(false);
    expect(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()).toBe(30 * 86_400_000 + 5 * 60_000);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(() => selfSignedCertificate({ commonName: 'x', hosts: ['bad host'] })).toThrow(/neither an IPv4 address nor a DNS name/);
    expect(generateToken()).not.toBe(generateToken());
  });
});
