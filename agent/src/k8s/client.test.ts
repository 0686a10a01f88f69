// Kubeconfig credentials: the current context, inline data vs files relative to the file,
// and errors that name what is missing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, isAlreadyExists, isConflict, isGone, isNotFound, kubeconfigCredentials } from './client.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lumen-kc-'));
  await writeFile(join(dir, 'ca.crt'), 'CA-PEM');
  await writeFile(join(dir, 'config'), [
    'apiVersion: v1', 'kind: Config', 'current-context: lab',
    'clusters:',
    '- name: lab', '  cluster: {server: "https://172.28.0.1:6443", certificate-authority: ca.crt}',
    '- name: other', '  cluster: {server: "https://10.0.0.1", insecure-skip-tls-verify: true}',
    'users:',
    `- name: admin`, `  user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}`,
    '- name: bot', '  user: {token: abc}',
    'contexts:',
    '- name: lab', '  context: {cluster: lab, user: admin}',
    '- name: other', '  context: {cluster: other, user: bot}',
    '- name: broken', '  context: {cluster: nowhere, user: bot}',
  ].join('\n'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('kubeconfigCredentials', () => {
  it('reads the current context with files relative to the kubeconfig and inline data', () => {
    const c = kubeconfigCredentials(join(dir, 'config'));
    expect(c.server).toBe('https://172.28.0.1:6443');
    expect(c.ca?.toString()).toBe('CA-PEM');
    expect(c.cert?.toString()).toBe('CERT');
    expect(c.key?.toString()).toBe('KEY');
  });

  it('reads a named context with a token', () => {
    expect(kubeconfigCredentials(join(dir, 'config'), 'other')).toMatchObject({ server: 'https://10.0.0.1', token: 'abc', insecureSkipTlsVerify: true });
  });

  it('names what is missing', () => {
    expect(() => kubeconfigCredentials(join(dir, 'config'), 'nope')).toThrow(/context "nope" not found/);
    expect(() => kubeconfigCredentials(join(dir, 'config'), 'broken')).toThrow(/cluster "nowhere" not found/);
    expect(() => kubeconfigCredentials(join(dir, 'missing'))).toThrow(/cannot read kubeconfig/);
  });
});

describe('KubeApiError', () => {
  it('classifies statuses and says what was accessed', () => {
    const e = new KubeApiError(409, 'AlreadyExists', 'POST', '/apis/lumen.dev/v1/identities', 'identities "300" already exists');
    expect(isAlreadyExists(e) && isConflict(e)).toBe(true);
    expect(isNotFound(e) || isGone(e)).toBe(false);
    expect(e.message).toBe('POST /apis/lumen.dev/v1/identities: 409 AlreadyExists: identities "300" already exists');
  });
});
