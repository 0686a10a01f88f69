import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, waitFor } from '../lib/proc';
import { bundlePrograms } from './bundle';

// The echo server and client run here on loopback only (ECHO_HOST), outside any lab.
let dir: string;
let echo: ChildProcess | undefined;
let port: number;
let out = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const client = (...args: string[]) => run([join(dir, 'client'), ...args], { allowFail: true, timeoutMs: 10_000 });

describe('lab programs', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-programs-'));
    await bundlePrograms(dir);
    port = await freePort();
    echo = spawn(join(dir, 'echo-server'), [], { env: { ...process.env, POD_NAME: 'echo-a', ECHO_HOST: '127.0.0.1', ECHO_PORTS: `${port},${port}/udp` } });
    echo.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor('echo to listen', 10_000, () => (out.includes(`listening tcp+http ${port}`) && out.includes(`listening udp ${port}`) ? true : undefined), 50);
  }, 30_000);
  afterAll(() => {
    echo?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('echo answers TCP, UDP and HTTP with its pod name and the peer it saw', async () => {
    const tcp = await client('tcp', '127.0.0.1', String(port), 'hi');
    expect(tcp.code, tcp.stderr).toBe(0);
    expect(JSON.parse(tcp.stdout)).toMatchObject({ pod: 'echo-a', proto: 'tcp', port, echo: 'hi', local: `127.0.0.1:${port}` });
    expect(JSON.parse(tcp.stdout).peer).toMatch(/^127\.0\.0\.1:\d+$/);
    const udp = await client('udp', '127.0.0.1', String(port), 'yo');
    expect(JSON.parse(udp.stdout)).toMatchObject({ pod: 'echo-a', proto: 'udp', echo: 'yo' });
    const http = await client('http', '127.0.0.1', String(port), '/status/503');
    expect(http.stdout.split('\n')[0]).toBe('HTTP 503');
    expect(JSON.parse(http.stdout.split('\n')[1]!)).toMatchObject({ pod: 'echo-a', proto: 'http', method: 'GET', path: '/status/503' });
    expect((await client('connect', '127.0.0.1', String(port))).stdout).toBe('connected\n');
  });

  it('client fails with a clear message and usage errors exit 2', async () => {
    const closed = await freePort();
    const r = await client('tcp', '127.0.0.1', String(closed), '--timeout-ms', '500');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`client: tcp 127.0.0.1:${closed}: connect ECONNREFUSED`));
    const bad = await client('tcp', '127.0.0.1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('tcp needs <ip> <port>');
    expect((await client('nope')).stderr).toContain('unknown mode "nope"');
  });

  it('client load reports successes, spreads over long-lived connections, and exits 0 without failures', async () => {
    const r = await client('load', '127.0.0.1', String(port), '--interval-ms', '50', '--long-lived', '2', '--duration-s', '1', '--report-ms', '400');
    expect(r.code, r.stdout).toBe(0);
    const final = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(final).toMatchObject({ event: 'final', newFail: 0, longFail: 0, longOpen: 2, pods: { 'echo-a': expect.any(Number) } });
    expect(final.newOk).toBeGreaterThan(5);
    expect(final.longOk).toBeGreaterThan(5);
  });
});
