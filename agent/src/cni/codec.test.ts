// CNI codec: request validation errors name the field; answers frame exit code + JSON;
// the real C plugin (when built) round-trips through a unix socket.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniCode, CniError, decodeAnswer, encodeAnswer, encodeError, parseCniArgs, parseRequest } from './codec.js';

const base = {
  command: 'ADD', containerId: 'abc', netns: '/proc/1/ns/net', ifName: 'eth0',
  args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1', path: '/opt/cni/bin',
  config: { cniVersion: '1.0.0', name: 'lumen', type: 'lumen-cni' },
};

describe('CNI codec', () => {
  it('parses a request and CNI_ARGS', () => {
    const r = parseRequest(JSON.stringify(base));
    expect(r.command).toBe('ADD');
    expect(r.args.K8S_POD_NAME).toBe('web-1');
    expect(r.config.name).toBe('lumen');
  });

  it.each([
    [{ ...base, command: 'FOO' }, /CNI_COMMAND "FOO"/],
    [{ ...base, ifName: 'this-name-is-way-too-long' }, /CNI_IFNAME/],
    [{ ...base, netns: '' }, /CNI_NETNS is empty/],
    [{ ...base, containerId: '' }, /CNI_CONTAINERID/],
    [{ ...base, config: { ...base.config, cniVersion: '9.9.9' } }, /cniVersion "9.9.9"/],
    [{ ...base, config: [] }, /not a JSON object/],
  ])('rejects %#', (req, msg) => {
    expect(() => parseRequest(JSON.stringify(req))).toThrow(msg);
  });

  it('DEL tolerates an empty netns (the namespace may already be gone)', () => {
    expect(parseRequest(JSON.stringify({ ...base, command: 'DEL', netns: '' })).netns).toBe('');
  });

  it('rejects malformed CNI_ARGS', () => {
    expect(() => parseCniArgs('A=1;broken')).toThrow(/segment "broken"/);
  });

  it('frames answers and errors', () => {
    expect(decodeAnswer(encodeAnswer(0, { a: 1 }))).toEqual({ code: 0, body: { a: 1 } });
    const e = decodeAnswer(encodeError(new CniError(CniCode.tryAgainLater, 'busy', 'more')));
    expect(e).toEqual({ code: 11, body: { cniVersion: '1.0.0', code: 11, msg: 'busy', details: 'more' } });
    const generic = decodeAnswer(encodeError(new Error('outer', { cause: new Error('inner') })));
    expect(generic.code).toBe(CniCode.setupFailed);
    expect((generic.body as { msg: string }).msg).toBe('outer: inner');
  });

  const plugin = join(import.meta.dirname, '../../cni/lumen-cni');
  it.skipIf(!existsSync(plugin))('the C plugin forwards a request and relays the answer (needs `npm run build:cni`)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lumen-cni-'));
    const sock = join(dir, 'cni.sock');
    let received = '';
    const server = createServer((c) => {
      c.setEncoding('utf8');
      c.on('data', (d) => { received += d; });
      c.on('end', () => c.end(encodeError(new CniError(7, 'bad "config"'))));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const res = await new Promise<{ code: number; stdout: string }>((resolve) => {
        const child = execFile(plugin, [], {
          env: { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c"1', CNI_NETNS: '', CNI_IFNAME: 'eth0', CNI_ARGS: 'K8S_POD_NAME=x', CNI_PATH: '/opt/cni/bin' },
        }, (err, stdout) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout }));
        child.stdin!.end(JSON.stringify({ cniVersion: '1.0.0', name: 'lumen', type: 'lumen-cni', socketPath: sock }));
      });
      const req = parseRequest(received);
      expect(req.containerId).toBe('c"1');
      expect(req.config.socketPath).toBe(sock);
      expect(res.code).toBe(7);
      expect(JSON.parse(res.stdout)).toEqual({ cniVersion: '1.0.0', code: 7, msg: 'bad "config"' });
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
