// Tests of exec credential plugins with real plugin scripts: PATH, caching, expiry and failures.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LumenError } from '../../shared/contract/index.js';
import { ExecCredentials } from './exec.js';
import type { ExecEntry } from './kubeconfig/schema.js';

let dir: string;
let bin: string;
const where = { user: 'dev', context: 'dev-ctx', cluster: { name: 'dev-cluster', entry: { server: 'https://dev:6443' } } };

/** Writes an executable plugin into a directory that is NOT on the test process's PATH. */
function plugin(name: string, body: string): string {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return name;
}

function credential(status: Record<string, unknown>, apiVersion = 'client.authentication.k8s.io/v1'): string {
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', status });
}

function entry(command: string, extra: Partial<ExecEntry> = {}): ExecEntry {
  return { command, apiVersion: 'client.authentication.k8s.io/v1', ...extra };
}

function provider(now = Date.now) {
  return new ExecCredentials({ searchPath: async () => ({ path: `/nonexistent:${bin}`, source: 'login-shell' }), timeoutMs: 3000, now });
}

async function failure(promise: Promise<unknown>): Promise<LumenError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LumenError);
    return error as LumenError;
  }
  throw new Error('expected a failure');
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-exec-'));
  bin = path.join(dir, 'login-path-bin');
  mkdirSync(bin);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ExecCredentials', () => {
  it('finds the plugin on the login-shell PATH and passes args, env and KUBERNETES_EXEC_INFO', async () => {
    const seen = path.join(dir, 'seen.json');
    const cmd = plugin('cloud-auth', `printf '{"args":"%s","region":"%s","path":"%s","info":%s}' "$*" "$REGION" "$PATH" "$KUBERNETES_EXEC_INFO" > ${seen}\necho '${credential({ token: 'tok-1' })}'`);
    const cred = await provider().get(entry(cmd, { args: ['token', '--cluster', 'dev'], env: [{ name: 'REGION', value: 'eu-1' }], provideClusterInfo: true }), where);
    expect(cred).toEqual({ token: 'tok-1', expiresAt: null });
    const ran = JSON.parse(readFileSync(seen, 'utf8')) as { args: string; region: string; path: string; info: { kind: string; spec: { interactive: boolean; cluster: { server: string } } } };
    expect(ran.args).toBe('token --cluster dev');
    expect(ran.region).toBe('eu-1');
    expect(ran.path).toBe(`/nonexistent:${bin}`);
    expect(ran.info.kind).toBe('ExecCredential');
    expect(ran.info.spec).toEqual({ interactive: false, cluster: { server: 'https://dev:6443' } });
  });

  it('caches a credential until shortly before it expires, then runs the plugin again', async () => {
    const counter = path.join(dir, 'count');
    writeFileSync(counter, '');
    let now = Date.parse('2030-01-01T00:00:00Z');
    const cmd = plugin('counting', `echo x >> ${counter}\necho '${credential({ token: 'tok', expirationTimestamp: '2030-01-01T01:00:00Z' })}'`);
    const creds = provider(() => now);
    await creds.get(entry(cmd), where);
    await creds.get(entry(cmd), where);
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    now = Date.parse('2030-01-01T00:59:30Z'); // inside the one-minute margin
    await creds.get(entry(cmd), where);
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    creds.invalidate('dev');
    await creds.get(entry(cmd), where);
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('runs the plugin once for requests made at the same time', async () => {
    const counter = path.join(dir, 'parallel-count');
    writeFileSync(counter, '');
    const cmd = plugin('slow-auth', `echo x >> ${counter}\n/bin/sleep 0.2\necho '${credential({ token: 'shared' })}'`);
    const creds = provider();
    const results = await Promise.all(Array.from({ length: 5 }, () => creds.get(entry(cmd), where)));
    expect(results.map((r) => r.token)).toEqual(['shared', 'shared', 'shared', 'shared', 'shared']);
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('accepts a client certificate and key instead of a token', async () => {
    const cmd = plugin('cert-auth', `echo '${credential({ clientCertificateData: 'CERT', clientKeyData: 'KEY' })}'`);
    expect(await provider().get(entry(cmd), where)).toEqual({ clientCertificateData: 'CERT', clientKeyData: 'KEY', expiresAt: null });
  });

  it('names a missing plugin, the PATH searched and the install hint', async () => {
    const e = await failure(provider().get(entry('not-installed-anywhere', { installHint: 'brew install it' }), where));
    expect(e.payload).toMatchObject({
      code: 'exec-plugin',
      message: 'credential plugin "not-installed-anywhere" for user "dev" was not found',
      detail: `searched PATH from your login shell: /nonexistent:${bin}`,
      hint: 'brew install it',
      context: 'dev-ctx',
      cluster: 'dev-cluster',
    });
  });

  it('reports a failing plugin with its exit code and the end of its stderr', async () => {
    const cmd = plugin('failing', 'echo "first line" >&2\necho "error: refresh token revoked" >&2\nexit 3');
    const e = await failure(provider().get(entry(cmd), where));
    expect(e.payload.message).toBe('credential plugin "failing" failed with exit code 3');
    expect(e.payload.detail).toBe('first line\nerror: refresh token revoked');
  });

  it('rejects output that is not an ExecCredential, naming the problem', async () => {
    const notJson = plugin('not-json', 'echo "Please log in at https://sso.example"');
    expect((await failure(provider().get(entry(notJson), where))).message).toBe('credential plugin "not-json" printed something that is not JSON');
    const wrongKind = plugin('wrong-kind', `echo '{"kind":"Secret","status":{}}'`);
    expect((await failure(provider().get(entry(wrongKind), where))).message).toMatch(/printed no valid ExecCredential: kind/);
    const empty = plugin('empty-status', `echo '${credential({})}'`);
    expect((await failure(provider().get(entry(empty), where))).message).toBe('credential plugin "empty-status" returned neither a token nor a client certificate and key');
    const version = plugin('old-version', `echo '${credential({ token: 't' }, 'client.authentication.k8s.io/v1beta1')}'`);
    expect((await failure(provider().get(entry(version), where))).message).toBe(
      'credential plugin "old-version" answered with apiVersion client.authentication.k8s.io/v1beta1, the kubeconfig asks for client.authentication.k8s.io/v1',
    );
  });

  it('reports an already-expired credential as expired-credentials', async () => {
    const cmd = plugin('stale', `echo '${credential({ token: 't', expirationTimestamp: '2001-01-01T00:00:00Z' })}'`);
    const e = await failure(provider().get(entry(cmd), where));
    expect(e.code).toBe('expired-credentials');
    expect(e.message).toContain('expired at 2001-01-01T00:00:00Z');
  });

  it('kills a plugin that hangs and says so', async () => {
    const cmd = plugin('hanging', '/bin/sleep 30');
    const creds = new ExecCredentials({ searchPath: async () => ({ path: bin, source: 'process' }), timeoutMs: 300 });
    const started = Date.now();
    const e = await failure(creds.get(entry(cmd), where));
    expect(e.message).toBe('credential plugin "hanging" did not answer within 0 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses plugins that need a terminal, with what to do instead', async () => {
    const cmd = plugin('interactive', 'exit 0');
    const e = await failure(provider().get(entry(cmd, { interactiveMode: 'Always' }), where));
    expect(e.message).toContain('needs an interactive terminal');
    expect(e.payload.hint).toMatch(/kubectl/);
  });
});
