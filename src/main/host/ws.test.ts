// Tests of browser mode's host with real sockets: static files and headers, the token and
// Origin checks, calls and events over the WebSocket, and that no secret ever leaves main.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_PATH } from '../../shared/contract/index.js';
import { createServices, type Services } from '../services.js';
import { registerHandlers } from './handlers.js';
import { startBrowserHost, type BrowserHost } from './ws.js';

let dir: string;
let kubeconfig: string;
let services: Services;
let host: BrowserHost;
let closedPort: number;
const TOKEN_SECRET = 'tok-8f2e6c1d-super-secret';
const KEY_SECRET = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nKEYBYTES-7d1a\n-----END EC PRIVATE KEY-----\n').toString('base64');

function kubeconfigText(extraContext = ''): string {
  return `
current-context: closed
clusters:
- name: closed
  cluster: {server: "https://127.0.0.1:${closedPort}"}
users:
- name: token-user
  user: {token: ${TOKEN_SECRET}}
- name: key-user
  user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${KEY_SECRET}}
contexts:
- name: closed
  context: {cluster: closed, user: token-user}
- name: with-key
  context: {cluster: closed, user: key-user}
${extraContext}`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-ws-'));
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  kubeconfig = path.join(dir, 'config');
  writeFileSync(kubeconfig, kubeconfigText());
  mkdirSync(path.join(dir, 'renderer/assets'), { recursive: true });
  writeFileSync(path.join(dir, 'renderer/index.html'), '<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'" /></head><body>app</body></html>');
  writeFileSync(path.join(dir, 'renderer/assets/app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  services = createServices({ mode: 'browser', env: { KUBECONFIG: kubeconfig, PATH: process.env.PATH }, watchFiles: false, connectTimeoutMs: 2000 });
  host = await startBrowserHost({ dispatcher: registerHandlers(services), rendererDir: path.join(dir, 'renderer') });
});

afterAll(async () => {
  await host.close();
  services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: pathname, method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket; resolves with it once open, or with the HTTP status that refused it. */
function open(query: string, origin: string | undefined): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${WS_PATH}${query}`, origin ? { origin } : {});
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => {});
  });
}

class Session {
  frames: string[] = [];
  private id = 0;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(data.toString()));
  }
  call(channel: string, request: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, channel, request }));
    return new Promise((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        const frame = JSON.parse(data.toString()) as { id?: number; result?: never };
        if (frame.id === id) {
          this.ws.off('message', onMessage);
          resolve(frame.result!);
        }
      };
      this.ws.on('message', onMessage);
    });
  }
  async event(name: string, timeoutMs = 3000): Promise<unknown> {
    const started = Date.now();
    for (;;) {
      const hit = this.frames.map((f) => JSON.parse(f) as { event?: string; payload?: unknown }).find((f) => f.event === name);
      if (hit) return hit.payload;
      if (Date.now() - started > timeoutMs) throw new Error(`no ${name} event`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('static files', () => {
  it('serves index.html with the CSP header and the same policy in its meta tag', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port};`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.body).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(res.body).not.toContain('frame-ancestors');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await get('/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('never serves files outside the renderer directory', async () => {
    expect((await get('/../secret.txt')).body).not.toContain('outside');
    expect((await get('/..%2fsecret.txt')).status).toBe(403);
    expect((await get('/%2e%2e/secret.txt')).body).not.toContain('outside');
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('refuses foreign Host headers (DNS rebinding) and methods other than GET/HEAD', async () => {
    expect((await get('/', { Host: 'evil.example' })).status).toBe(421);
    expect((await get('/', { Host: `localhost:${host.port}` })).status).toBe(421);
    expect((await get('/', {}, 'POST')).status).toBe(405);
  });
});

describe('WebSocket access', () => {
  const origin = () => `http://127.0.0.1:${host.port}`;

  it('needs the token: 401 without it or with a wrong one', async () => {
    expect(await open('', origin())).toBe(401);
    expect(await open('?token=wrong', origin())).toBe(401);
    expect(await open(`?token=${host.token.slice(0, -1)}`, origin())).toBe(401);
  });

  it('needs the served origin: 403 for others, even with the token', async () => {
    expect(await open(`?token=${host.token}`, 'http://evil.example')).toBe(403);
    expect(await open(`?token=${host.token}`, 'http://127.0.0.1:1')).toBe(403);
    expect(await open(`?token=${host.token}`, `http://localhost:${host.port}`)).toBe(403);
    expect(await open(`?token=${host.token}`, undefined)).toBe(403);
  });

  it('prints a URL carrying a fresh random token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe('the contract over the WebSocket', () => {
  it('answers calls from the same services and pushes events, without leaking secrets', async () => {
    const ws = await open(`?token=${host.token}`, `http://127.0.0.1:${host.port}`);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const s = new Session(ws);
    try {
      expect(await s.call('app:info', {})).toMatchObject({ ok: true, value: { name: 'Lumen', mode: 'browser' } });
      const kube = await s.call('kubeconfig:get', {});
      expect((kube.value as { contexts: { name: string }[] }).contexts.map((c) => c.name)).toEqual(['closed', 'with-key']);
      expect(await s.call('cluster:connect', { context: 42 })).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
      expect(await s.call('nope:nothing', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });

      expect(await s.call('cluster:connect', { context: 'closed' })).toMatchObject({ ok: false, error: { code: 'unreachable' } });
      // The key bytes are not a key: the error says so without quoting them.
      const withKey = await s.call('cluster:connect', { context: 'with-key' });
      expect(withKey).toMatchObject({ ok: false, error: { code: 'kubeconfig', message: expect.stringMatching(/^the client certificate or key of context "with-key" cannot be used/) } });
      expect(await s.event('cluster:state')).toMatchObject({ status: 'connecting' });

      writeFileSync(kubeconfig, kubeconfigText('- name: added\n  context: {cluster: closed, user: token-user}\n'));
      await s.call('kubeconfig:reload', {});
      const changed = (await s.event('kubeconfig:changed')) as { contexts: { name: string }[] };
      expect(changed.contexts.map((c) => c.name)).toEqual(['closed', 'with-key', 'added']);

      const sub = await s.call('watch:subscribe', { kinds: ['pods'] });
      expect(sub).toMatchObject({ ok: true });
      expect(await s.call('watch:unsubscribe', { subscription: 'not-mine' })).toMatchObject({ ok: false, error: { code: 'not-found' } });

      const everything = s.frames.join('\n');
      for (const secret of [TOKEN_SECRET, KEY_SECRET, 'KEYBYTES-7d1a']) expect(everything).not.toContain(secret);
    } finally {
      ws.close();
    }
  });

  it('drops a client that sends frames outside the protocol', async () => {
    const ws = await open(`?token=${host.token}`, `http://127.0.0.1:${host.port}`);
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c) => resolve(c));
      ws.send('not json');
    });
    expect(code).toBe(1003);
  });
});
