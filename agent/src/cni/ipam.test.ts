// IPAM: persistence across reopen (an agent restart), no double hand-out, idempotent ADD/DEL.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ipam } from './ipam.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lumen-ipam-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const owner = (n: number) => ({ containerId: `c${n}`, ifName: 'eth0', namespace: 'ns', pod: `p${n}` });

describe('Ipam', () => {
  it('skips network, router and broadcast addresses and hands out distinct endpoint ids', async () => {
    const ipam = await Ipam.open(dir, '10.1.2.0/29');
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await ipam.allocate(owner(i)));
    expect(got.map((a) => a.ip)).toEqual(['10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6']);
    expect(new Set(got.map((a) => a.endpointId)).size).toBe(5);
    await expect(ipam.allocate(owner(9))).rejects.toThrow(/no free address/);
  });

  it('returns the same allocation for a retried ADD and releases idempotently', async () => {
    const ipam = await Ipam.open(dir, '10.1.2.0/24');
    const a = await ipam.allocate(owner(1));
    expect(await ipam.allocate(owner(1))).toEqual(a);
    expect((await ipam.release('c1', 'eth0'))?.ip).toBe(a.ip);
    expect(await ipam.release('c1', 'eth0')).toBeUndefined();
  });

  it('survives a restart: reopened state never hands out a used address, nor a just-released one first', async () => {
    const first = await Ipam.open(dir, '10.1.2.0/24');
    const a = await first.allocate(owner(1));
    const b = await first.allocate(owner(2));
    await first.release('c1', 'eth0');
    const second = await Ipam.open(dir, '10.1.2.0/24');
    expect(second.findByIp(b.ip)?.containerId).toBe('c2');
    const c = await second.allocate(owner(3));
    expect(c.ip).not.toBe(b.ip);
    expect(c.ip).not.toBe(a.ip); // continues after the last one handed out
    expect(c.endpointId).not.toBe(b.endpointId);
  });

  it('serialises concurrent allocations', async () => {
    const ipam = await Ipam.open(dir, '10.1.2.0/24');
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => ipam.allocate(owner(i))));
    expect(new Set(all.map((a) => a.ip)).size).toBe(40);
    const reopened = await Ipam.open(dir, '10.1.2.0/24');
    expect(reopened.list()).toHaveLength(40);
  });

  it('skips addresses other pods hold outside this IPAM', async () => {
    const ipam = await Ipam.open(dir, '10.1.2.0/24');
    const a = await ipam.allocate(owner(1), new Set(['10.1.2.2', '10.1.2.3']));
    expect(a.ip).toBe('10.1.2.4');
  });

  it('refuses to start on a corrupt state file instead of risking duplicates', async () => {
    await writeFile(join(dir, '10.1.2.0_24.json'), '{not json');
    await expect(Ipam.open(dir, '10.1.2.0/24')).rejects.toThrow(/unreadable/);
  });

  it('rejects a CIDR with host bits set', async () => {
    await expect(Ipam.open(dir, '10.1.2.5/24')).rejects.toThrow(/host bits/);
  });

  it('persists as readable JSON', async () => {
    const ipam = await Ipam.open(dir, '10.1.2.0/24');
    await ipam.allocate(owner(1));
    const text = await readFile(join(dir, '10.1.2.0_24.json'), 'utf8');
    expect(JSON.parse(text).allocations[0].pod).toBe('p1');
  });
});
