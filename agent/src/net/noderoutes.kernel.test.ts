// Direct routing against the real kernel in a test namespace: routes to peers' pod CIDRs
// are added, changed and removed; routes the agent does not own are left alone.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipJson, run } from './exec.js';
import { interfaceWithAddress, listLumenRoutes, syncNodeRoutes } from './noderoutes.js';

const isRoot = process.getuid?.() === 0;
const ns = `lumen-dpt-agent-r${randomBytes(3).toString('hex')}`;
const path = `/run/netns/${ns}`;

describe.skipIf(!isRoot)('node routes (needs root)', () => {
  beforeAll(async () => {
    await run(['ip', 'netns', 'add', ns]);
    await run(['ip', 'link', 'add', 'ldpr0', 'type', 'veth', 'peer', 'name', 'ldpr1'], { netns: path });
    await run(['ip', 'link', 'set', 'ldpr1', 'up'], { netns: path });
    await run(['ip', 'addr', 'add', '10.250.9.11/24', 'dev', 'ldpr0'], { netns: path });
    await run(['ip', 'link', 'set', 'ldpr0', 'up'], { netns: path });
    // A route someone else owns in the same table.
    await run(['ip', 'route', 'add', '10.251.99.0/24', 'via', '10.250.9.1'], { netns: path });
  });
  afterAll(async () => {
    await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
  });

  it('finds the uplink by address', async () => {
    expect(await interfaceWithAddress('10.250.9.11', path)).toMatchObject({ ifname: 'ldpr0' });
    expect(await interfaceWithAddress('10.250.9.99', path)).toBeUndefined();
  });

  it('adds, moves and removes peer routes and leaves foreign routes alone', async () => {
    expect(await syncNodeRoutes([{ name: 'b', podCIDR: '10.251.1.0/24', internalIP: '10.250.9.12' }, { name: 'c', podCIDR: '10.251.2.0/24', internalIP: '10.250.9.13' }], path))
      .toEqual({ added: 2, removed: 0 });
    expect(await syncNodeRoutes([{ name: 'b', podCIDR: '10.251.1.0/24', internalIP: '10.250.9.12' }, { name: 'c', podCIDR: '10.251.2.0/24', internalIP: '10.250.9.13' }], path))
      .toEqual({ added: 0, removed: 0 });
    expect(await syncNodeRoutes([{ name: 'b', podCIDR: '10.251.1.0/24', internalIP: '10.250.9.14' }], path)).toEqual({ added: 1, removed: 2 });
    const mine = await listLumenRoutes(path);
    expect(mine.map((r) => [r.dst, r.gateway])).toEqual([['10.251.1.0/24', '10.250.9.14']]);
    await syncNodeRoutes([], path);
    expect(await listLumenRoutes(path)).toEqual([]);
    const all = await ipJson<{ dst: string }[]>(['route', 'show'], path);
    expect(all.map((r) => r.dst)).toContain('10.251.99.0/24');
  });
});
