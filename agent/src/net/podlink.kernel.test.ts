// Pod veth plumbing against the real kernel: a "node" netns and a "pod" netns made by
// the test; ping across the veth via the link-local gateway; CHECK; idempotent DEL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './exec.js';
import { checkPodLink, hostIfName, listHostVeths, setupPodLink, teardownPodLink, type PodLinkSpec } from './podlink.js';

const isRoot = process.getuid?.() === 0;
const tag = randomBytes(3).toString('hex');
const nodeNs = `lumen-dpt-agent-n${tag}`;
const podNs = `lumen-dpt-agent-p${tag}`;

describe.skipIf(!isRoot)('pod link (needs root)', () => {
  beforeAll(async () => {
    await run(['ip', 'netns', 'add', nodeNs]);
    await run(['ip', 'netns', 'add', podNs]);
    await run(['ip', 'link', 'set', 'lo', 'up'], { netns: `/run/netns/${nodeNs}` });
  });
  afterAll(async () => {
    await run(['ip', 'netns', 'del', podNs]).catch(() => undefined);
    await run(['ip', 'netns', 'del', nodeNs]).catch(() => undefined);
  });

  const spec = (): PodLinkSpec => ({
    hostIf: hostIfName(`container-${tag}`, 'eth0'),
    netns: `/run/netns/${podNs}`,
    nodeNetns: `/run/netns/${nodeNs}`,
    ifName: 'eth0',
    ip: '10.250.7.5',
    routes: ['10.250.0.0/16'],
  });

  it('names host interfaces within 15 characters, stable per container', () => {
    expect(hostIfName('abc', 'eth0')).toMatch(/^lxc[0-9a-f]{12}$/);
    expect(hostIfName('abc', 'eth0')).toBe(hostIfName('abc', 'eth0'));
    expect(hostIfName('abc', 'eth0')).not.toBe(hostIfName('abd', 'eth0'));
  });

  it('sets up a pod that reaches the node and passes CHECK; a retried ADD is fine', async () => {
    const s = spec();
    // The node needs an address the pod routes to: put one on the node's loopback.
    await run(['ip', 'addr', 'add', '10.250.7.1/32', 'dev', 'lo'], { netns: s.nodeNetns });
    await setupPodLink(s);
    const again = await setupPodLink(s);
    expect(again.host.ifname).toBe(s.hostIf);
    expect(await checkPodLink(s)).toEqual([]);
    const acceptLocal = await run(['cat', `/proc/sys/net/ipv4/conf/${s.hostIf}/accept_local`], { netns: s.nodeNetns });
    expect(acceptLocal.stdout.trim()).toBe('1');
    // A TCP connect to a closed port on the node: "refused" proves the round trip works
    // (an unreachable node would time out instead).
    const probe = await run(['timeout', '3', 'bash', '-c', 'exec 3<>/dev/tcp/10.250.7.1/9'], { netns: s.netns, okCodes: [1, 124] });
    expect(probe.stderr).toMatch(/Connection refused/);
    // No default route in the pod: an outside address has no route.
    const out = await run(['ip', 'route', 'get', '192.0.2.1'], { netns: s.netns, okCodes: [2] });
    expect(out.code).toBe(2);
    expect((await listHostVeths(s.nodeNetns)).map((l) => l.ifname)).toContain(s.hostIf);
  });

  it('CHECK reports a missing route and DEL is idempotent', async () => {
    const s = spec();
    await run(['ip', 'route', 'del', '10.250.0.0/16'], { netns: s.netns });
    expect(await checkPodLink(s)).toEqual([`route 10.250.0.0/16 via 169.254.1.1 is missing in the pod`]);
    await teardownPodLink(s.hostIf, s.ip, s.nodeNetns);
    await teardownPodLink(s.hostIf, s.ip, s.nodeNetns);
    expect(await checkPodLink(s)).toEqual([`host interface ${s.hostIf} is missing`]);
  });
});
