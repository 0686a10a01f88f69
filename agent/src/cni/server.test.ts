// The CNI socket server: one request per connection, answers framed for the C plugin,
// handler failures become CNI errors with the spec's fields, the socket is root-only.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CniCode, CniError, decodeAnswer, type CniRequest } from './codec.js';
import { startCniServer, type CniHandler } from './server.js';

const seen: CniRequest[] = [];
const handler: CniHandler = {
  async add(req) {
    seen.push(req);
    if (req.args.K8S_POD_NAME === 'broken') throw new Error('veth failed', { cause: new Error('EEXIST') });
    return { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: req.netns }], ips: [{ address: '10.0.0.2/32', interface: 0 }], routes: [], dns: {} };
  },
  async del(req) { seen.push(req); },
  async check() { throw new CniError(CniCode.checkFailed, 'route missing'); },
  async status() { /* ready */ },
};

let dir: string;
let sock: string;
let close: () => Promise<void>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lumen-cnisrv-'));
  sock = join(dir, 'cni.sock');
  const server = await startCniServer(sock, handler);
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

function call(body: unknown): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => { out += d; });
    c.on('end', () => resolve(decodeAnswer(out)));
    c.on('error', reject);
    c.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const req = (command: string, pod = 'web') => ({
  command, containerId: 'c1', netns: '/proc/1/ns/net', ifName: 'eth0',
  args: `K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod}`, path: '', config: { cniVersion: '0.4.0', name: 'lumen', type: 'lumen-cni' },
});

describe('CNI server', () => {
  it('is a 0600 socket', async () => {
    expect((await stat(sock)).mode & 0o777).toBe(0o600);
  });

  it('answers ADD with the result in the requested cniVersion', async () => {
    const a = await call(req('ADD'));
    expect(a.code).toBe(0);
    expect(a.body).toMatchObject({ cniVersion: '0.4.0', ips: [{ address: '10.0.0.2/32' }] });
    expect(seen.at(-1)?.args.K8S_POD_NAME).toBe('web');
  });

  it('answers DEL with exit 0 and no body', async () => {
    expect(await call(req('DEL'))).toEqual({ code: 0, body: undefined });
  });

  it('turns failures into CNI errors with code, msg and the chained cause', async () => {
    expect(await call(req('CHECK'))).toEqual({ code: CniCode.checkFailed, body: { cniVersion: '0.4.0', code: CniCode.checkFailed, msg: 'route missing' } });
    const broken = await call(req('ADD', 'broken'));
    expect(broken.code).toBe(CniCode.setupFailed);
    expect((broken.body as { msg: string }).msg).toBe('veth failed: EEXIST');
    const garbage = await call('{nope');
    expect(garbage.code).toBe(CniCode.decodeFailure);
  });
});
