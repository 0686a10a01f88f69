// Tests of connecting and of error classification with real sockets: a closed port, a
// silent server, TLS servers with untrusted or mismatched certificates, non-Kubernetes HTTP.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LumenError } from '../../shared/contract/index.js';
import { connectToTarget } from './connect.js';
import { HttpStatusError, classifyClusterError } from './errors.js';
import { ExecCredentials } from './exec.js';
import { buildContextTarget } from './kubeconfig/clientConfig.js';
import { mergeKubeconfigs } from './kubeconfig/merge.js';
import { parseKubeconfigText } from './kubeconfig/parse.js';

let dir: string;
let cert: string;
let key: string;
const servers: { close(): void }[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-connect-'));
  // A real certificate for "other.example" only, from no CA the client trusts.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-subj', '/CN=other.example', '-days', '2', '-addext', 'subjectAltName=DNS:other.example',
  ], { stdio: 'ignore' });
  cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function target(server: string, cluster: Record<string, unknown> = {}, user: Record<string, unknown> = { token: 'abc' }) {
  const text = JSON.stringify({
    clusters: [{ name: 'c', cluster: { server, ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  });
  const merged = mergeKubeconfigs([parseKubeconfigText('/virtual/config', text).config!]);
  return buildContextTarget(merged, 'ctx', new ExecCredentials({ searchPath: async () => ({ path: '', source: 'process' }) }));
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

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function httpsServer(handler: http.RequestListener): Promise<number> {
  const server = https.createServer({ cert, key }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

describe('connectToTarget failures', () => {
  it('reports a closed port as unreachable with the address', async () => {
    const port = await freePort();
    const e = await failure(connectToTarget(target(`https://127.0.0.1:${port}`)));
    expect(e.payload).toMatchObject({
      code: 'unreachable',
      message: `cannot reach https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
      detail: `address 127.0.0.1:${port}`,
      context: 'ctx',
      cluster: 'c',
    });
  });

  it('reports a server that never answers as unreachable after the timeout', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push(silent);
    const port = (silent.address() as net.AddressInfo).port;
    const e = await failure(connectToTarget(target(`https://127.0.0.1:${port}`), { timeoutMs: 300 }));
    expect(e.code).toBe('unreachable');
    expect(e.message).toBe(`cannot reach https://127.0.0.1:${port}: no answer within 0 s`);
  });

  it('reports an untrusted certificate as a TLS error with the verification code', async () => {
    const port = await httpsServer((_req, res) => res.end('{}'));
    const e = await failure(connectToTarget(target(`https://127.0.0.1:${port}`)));
    expect(e.code).toBe('tls');
    expect(e.message).toMatch(new RegExp(`^TLS verification of 127\\.0\\.0\\.1:${port} failed: .*self[- ]signed`));
    expect(e.payload.detail).toMatch(/^DEPTH_ZERO_SELF_SIGNED_CERT; check certificate-authority/);
  });

  it('reports a trusted certificate for another name as a TLS error', async () => {
    const port = await httpsServer((_req, res) => res.end('{}'));
    const ca = Buffer.from(cert).toString('base64');
    const e = await failure(connectToTarget(target(`https://127.0.0.1:${port}`, { 'certificate-authority-data': ca })));
    expect(e.code).toBe('tls');
    expect(e.payload.detail).toMatch(/^ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('reports a server that is not a Kubernetes API server', async () => {
    const port = await httpsServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>router login</html>'));
    const ca = Buffer.from(cert).toString('base64');
    const e = await failure(connectToTarget(target(`https://127.0.0.1:${port}`, { 'certificate-authority-data': ca, 'tls-server-name': 'other.example' })));
    expect(e.code).toBe('server-error');
    expect(e.payload.detail).toBe('the answer is not JSON (is this a Kubernetes API server?)');
  });
});

describe('classifyClusterError', () => {
  const where = { context: 'prod', cluster: 'prod-cluster', server: 'https://api.prod:6443' };
  const status = (code: number, message: string, details?: object) =>
    new HttpStatusError(code, 'GET', '/api/v1/pods', { kind: 'Status', code, message, ...(details ? { details } : {}) }, '');

  it('maps 401 to unauthorized, or to expired-credentials when a credential is past its expiry', () => {
    expect(classifyClusterError(status(401, 'Unauthorized'), where).payload).toMatchObject({
      code: 'unauthorized',
      message: 'api.prod:6443 rejected the credentials of context "prod" (401 Unauthorized)',
      detail: 'server said: Unauthorized',
    });
    const expired = classifyClusterError(status(401, 'Unauthorized'), where, () => 'the token expired on 2020-01-01T00:00:00.000Z');
    expect(expired.payload).toMatchObject({ code: 'expired-credentials', message: 'the credentials of context "prod" have expired: the token expired on 2020-01-01T00:00:00.000Z' });
  });

  it('maps 403 to forbidden naming the denied resource', () => {
    const e = classifyClusterError(status(403, 'pods is forbidden: User "dev" cannot list resource "pods"', { kind: 'pods' }), where);
    expect(e.payload).toMatchObject({ code: 'forbidden', message: 'context "prod" may not read pods (403 Forbidden)', detail: 'pods is forbidden: User "dev" cannot list resource "pods"' });
  });

  it('maps 5xx to server-error and keeps LumenErrors as they are', () => {
    expect(classifyClusterError(status(503, 'etcd unavailable'), where).code).toBe('server-error');
    const own = LumenError.of('exec-plugin', 'x');
    expect(classifyClusterError(own, where)).toBe(own);
  });

  it('finds socket codes in wrapped causes', () => {
    const wrapped = new Error('request failed', { cause: Object.assign(new Error('connect EHOSTUNREACH 10.0.0.1:443'), { code: 'EHOSTUNREACH' }) });
    expect(classifyClusterError(wrapped, where).message).toBe('cannot reach https://api.prod:6443: no route to host (EHOSTUNREACH)');
  });
});

describe('credential expiry diagnosis', () => {
  it('recognises an expired JWT token so a 401 can say "expired"', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expiredJwt = `${b64({ alg: 'RS256' })}.${b64({ exp: 1_600_000_000 })}.sig`;
    const validJwt = `${b64({ alg: 'RS256' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
    expect(target('https://x:6443', {}, { token: expiredJwt }).expired()).toBe('the token expired on 2020-09-13T12:26:40.000Z');
    expect(target('https://x:6443', {}, { token: validJwt }).expired()).toBeNull();
    expect(target('https://x:6443', {}, { token: 'opaque' }).expired()).toBeNull();
  });
});
