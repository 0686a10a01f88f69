// Tests of kubeconfig loading with real files: kubectl's merge rules, path resolution, and
// specific errors for bad files and broken contexts that leave the good contexts usable.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecCredentials } from '../exec.js';
import { mergeKubeconfigs, kubeconfigPaths } from './merge.js';
import { parseKubeconfigText } from './parse.js';
import { loadKubeconfig } from './service.js';

let dir: string;
const exec = new ExecCredentials({ searchPath: async () => ({ path: path.join(dir, 'bin'), source: 'login-shell' }) });

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function load(...files: string[]) {
  return loadKubeconfig({ env: { KUBECONFIG: files.join(path.delimiter) }, home: dir, exec });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-kubeconfig-'));
  mkdirSync(path.join(dir, 'bin'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const first = `
apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: shared
  cluster:
    server: https://first.example:6443
    certificate-authority: certs/ca.pem
users:
- name: shared-user
  user:
    token: first-token
contexts:
- name: alpha
  context: {cluster: shared, user: shared-user, namespace: team-a}
- name: dup
  context: {cluster: shared, user: shared-user}
`;

const second = `
apiVersion: v1
kind: Config
current-context: beta
clusters:
- name: shared
  cluster:
    server: https://second.example:6443
- name: other
  cluster:
    server: https://other.example:6443
    certificate-authority: ../ca/other.pem
users:
- name: shared-user
  user:
    token: second-token
- name: cert-user
  user:
    client-certificate: client.crt
    client-key: client.key
contexts:
- name: dup
  context: {cluster: other, user: cert-user}
- name: beta
  context: {cluster: other, user: cert-user}
`;

describe('kubeconfig merge (kubectl rules)', () => {
  it('takes each name from the first file that defines it and current-context from the first that sets one', async () => {
    const a = write('one/config', first);
    const b = write('two/sub/config', second);
    const { merged, state } = await load(a, b);
    expect(merged.currentContext).toBe('alpha');
    expect(merged.clusters.get('shared')?.value.server).toBe('https://first.example:6443');
    expect(merged.users.get('shared-user')?.value.token).toBe('first-token');
    expect(merged.contexts.get('dup')?.value.cluster).toBe('shared');
    expect(state.contexts.map((c) => c.name)).toEqual(['alpha', 'dup', 'beta']);
    expect(state.contexts.find((c) => c.name === 'alpha')).toMatchObject({ current: true, namespace: 'team-a', server: 'https://first.example:6443', auth: 'token', file: a });
    expect(state.contexts.find((c) => c.name === 'beta')).toMatchObject({ current: false, server: 'https://other.example:6443', auth: 'client-certificate', file: b });
  });

  it('resolves relative paths against the directory of the file that wrote them', async () => {
    const a = write('one/config', first);
    const b = write('two/sub/config', second);
    const { merged } = await load(a, b);
    expect(merged.clusters.get('shared')?.value['certificate-authority']).toBe(path.join(dir, 'one/certs/ca.pem'));
    expect(merged.clusters.get('other')?.value['certificate-authority']).toBe(path.join(dir, 'two/ca/other.pem'));
    expect(merged.users.get('cert-user')?.value['client-certificate']).toBe(path.join(dir, 'two/sub/client.crt'));
  });

  it('uses the later file for current-context only when earlier files set none', () => {
    const noCurrent = parseKubeconfigText('/a', 'clusters: []\n').config!;
    const withCurrent = parseKubeconfigText('/b', 'current-context: b\n').config!;
    expect(mergeKubeconfigs([noCurrent, withCurrent]).currentContext).toBe('b');
  });

  it('reads KUBECONFIG in order without empty entries or repeats, else ~/.kube/config', () => {
    const env = { KUBECONFIG: ['/x/a', '', '/x/b', '/x/a'].join(path.delimiter) };
    expect(kubeconfigPaths(env, '/home/u')).toEqual({ paths: ['/x/a', '/x/b'], source: 'KUBECONFIG' });
    expect(kubeconfigPaths({}, '/home/u')).toEqual({ paths: ['/home/u/.kube/config'], source: 'default' });
    expect(kubeconfigPaths({ KUBECONFIG: '' }, '/home/u').source).toBe('default');
  });

  it('skips KUBECONFIG entries that do not exist, like kubectl', async () => {
    const a = write('one/config', first);
    const { state } = await load(path.join(dir, 'nope'), a);
    expect(state.files).toEqual([{ path: path.join(dir, 'nope'), exists: false }, { path: a, exists: true }]);
    expect(state.errors).toEqual([]);
    expect(state.contexts).toHaveLength(2);
  });
});

describe('kubeconfig errors', () => {
  it('reports a file that is not YAML with its line and column, and keeps the good files', async () => {
    const good = write('good/config', first);
    const bad = write('bad/not-yaml', 'apiVersion: v1\nclusters:\n  - name: x\n    cluster: {server: [unclosed\n');
    const { state } = await load(bad, good);
    expect(state.errors.length).toBeGreaterThanOrEqual(1);
    expect(state.errors.every((e) => e.file === bad)).toBe(true);
    expect(state.errors[0]).toMatchObject({ file: bad, line: expect.any(Number), column: expect.any(Number) });
    expect(state.errors[0]!.message).toMatch(/^not valid YAML: /);
    expect(state.errors[0]!.line).toBeGreaterThanOrEqual(4);
    expect(state.contexts.map((c) => c.name)).toEqual(['alpha', 'dup']);
  });

  it('reports YAML that is not a kubeconfig (an HTML page, a list)', () => {
    expect(parseKubeconfigText('/f', '<html><body>login</body></html>').errors[0]!.message).toBe(
      'not a kubeconfig: the top level is a plain string, expected a mapping with clusters, users and contexts',
    );
    expect(parseKubeconfigText('/f', '- a\n- b\n').errors[0]!.message).toMatch(/top level is a list/);
  });

  it('reports bad entries with their line, skipping only them', () => {
    const text = [
      'clusters:',
      '- name: ok',
      '  cluster: {server: https://ok:6443}',
      '- cluster: {server: https://anon:6443}',
      '- name: bad-skip',
      '  cluster:',
      '    server: https://x',
      '    insecure-skip-tls-verify: "yes"',
      '- name: ok',
      '  cluster: {server: https://again:6443}',
      'users: {}',
    ].join('\n');
    const { config, errors } = parseKubeconfigText('/k', text);
    expect(config!.clusters.map((c) => c.name)).toEqual(['ok']);
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [4, 'clusters entry has no "name"'],
      [8, 'cluster "bad-skip": cluster.insecure-skip-tls-verify expected boolean, received string'],
      [9, 'cluster "ok" is defined twice in this file (first at line 2); the first is used'],
      [11, '"users" must be a list'],
    ]);
  });

  it('shows a context whose cluster or user is missing with that error, next to working ones', async () => {
    const file = write('broken/config', `
clusters:
- name: real
  cluster: {server: https://real:6443}
- name: serverless
  cluster: {certificate-authority-data: AAAA}
users:
- name: me
  user: {token: abc}
contexts:
- name: works
  context: {cluster: real, user: me}
- name: no-cluster
  context: {cluster: gone, user: me}
- name: no-user
  context: {cluster: real, user: ghost}
- name: no-server
  context: {cluster: serverless, user: me}
- name: anonymous
  context: {cluster: real}
`);
    const { state } = await load(file);
    const byName = Object.fromEntries(state.contexts.map((c) => [c.name, c]));
    expect(byName.works!.error).toBeNull();
    expect(byName.anonymous!.error).toBeNull();
    expect(byName.anonymous!.auth).toBe('none');
    expect(byName['no-cluster']!.error).toMatchObject({
      code: 'kubeconfig',
      message: 'context "no-cluster" refers to cluster "gone", which no kubeconfig file defines',
      detail: `context defined at ${file}:13`,
    });
    expect(byName['no-user']!.error?.message).toBe('context "no-user" refers to user "ghost", which no kubeconfig file defines');
    expect(byName['no-server']!.error?.message).toBe('cluster "serverless" has no server address');
  });

  it('names a missing certificate or token file', async () => {
    const file = write('files/config', `
clusters:
- name: c
  cluster: {server: https://c:6443, certificate-authority: missing-ca.pem}
users:
- name: u
  user: {tokenFile: /nonexistent/token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
`);
    const { state } = await load(file);
    expect(state.contexts[0]!.error?.message).toBe(`the certificate-authority of cluster "c" does not exist: ${path.join(dir, 'files/missing-ca.pem')}`);
  });

  it('names a missing exec plugin, the PATH searched and the installHint', async () => {
    const file = write('exec/config', `
clusters:
- name: c
  cluster: {server: https://c:6443}
users:
- name: cloud
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: lumen-test-missing-plugin
      installHint: |
        Install lumen-test-missing-plugin from the cloud CLI.
- name: present
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: present-plugin
contexts:
- name: cloud
  context: {cluster: c, user: cloud}
- name: fine
  context: {cluster: c, user: present}
`);
    const plugin = path.join(dir, 'bin/present-plugin');
    writeFileSync(plugin, '#!/bin/sh\nexit 0\n');
    chmodSync(plugin, 0o755);
    const { state } = await load(file);
    const cloud = state.contexts.find((c) => c.name === 'cloud')!;
    expect(cloud.auth).toBe('exec');
    expect(cloud.execCommand).toBe('lumen-test-missing-plugin');
    expect(cloud.error).toMatchObject({
      code: 'exec-plugin',
      message: 'credential plugin "lumen-test-missing-plugin" for user "cloud" was not found',
      detail: `searched PATH from your login shell: ${path.join(dir, 'bin')}`,
      hint: 'Install lumen-test-missing-plugin from the cloud CLI.',
    });
    expect(state.contexts.find((c) => c.name === 'fine')!.error).toBeNull();
  });

  it('never puts tokens or keys in the state sent to the renderer', async () => {
    const keyData = Buffer.from('-----BEGIN PRIVATE KEY-----\nSECRET-KEY-BYTES\n-----END PRIVATE KEY-----\n').toString('base64');
    const file = write('secret/config', `
clusters:
- name: c
  cluster: {server: https://c:6443}
users:
- name: t
  user: {token: super-secret-token-value, password: pw-secret, username: admin}
- name: k
  user: {client-certificate-data: ${Buffer.from('cert').toString('base64')}, client-key-data: ${keyData}}
contexts:
- name: a
  context: {cluster: c, user: t}
- name: b
  context: {cluster: c, user: k}
`);
    const { state } = await load(file);
    const wire = JSON.stringify(state);
    for (const secret of ['super-secret-token-value', 'pw-secret', keyData, 'SECRET-KEY-BYTES']) expect(wire).not.toContain(secret);
    expect(state.contexts.map((c) => c.auth)).toEqual(['token', 'client-certificate']);
  });
});
