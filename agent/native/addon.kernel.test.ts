// The addon and its wrapper against the running kernel: load errors with the verifier
// log, pin reuse across loads, atomic tc and cgroup re-attach, batch/fallback map ops,
// iteration, the ring-buffer thread and its clean shutdown, argument validation.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelSkipReason, loadTestDatapath, OBJECT_DIR, removePins, REPO, requireBuilt, testPinDir } from '../../bpf/tests/lib/env';
import { Sandbox, ipNetns, sh } from '../../bpf/tests/lib/netns';
import { buildPacket } from '../../bpf/tests/lib/packet';
import type { Datapath} from './index';
import { BpfError, BpfObjectFile, FlowEventReader, ServiceTable, drainFlowEvents, ifIndex, type FlowEvent } from './index';
import { loadBinding } from './binding';

const skip = kernelSkipReason();

describe.skipIf(!!skip)(`lumen_bpf addon${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const pinDir = testPinDir();
  let dp: Datapath;
  beforeAll(() => {
    requireBuilt();
    dp = loadTestDatapath(pinDir);
  });
  afterAll(() => {
    dp?.close();
    removePins(pinDir);
  });

  it('returns the verifier log when a program is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lumen-bad-'));
    try {
      writeFileSync(join(dir, 'bad.c'), [
        '#include <linux/bpf.h>',
        '#include <bpf/bpf_helpers.h>',
        'SEC("tc") int bad(struct __sk_buff *skb) { return *(int *)(long)skb->data; }',
        'char LICENSE[] SEC("license") = "GPL";',
      ].join('\n'));
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(dir, 'bad.c'), '-o', join(dir, 'bad.o')]);
      const obj = new BpfObjectFile(join(dir, 'bad.o'));
      let err: unknown;
      try {
        obj.load();
      } catch (e) {
        err = e;
      } finally {
        obj.close();
      }
      expect(err).toBeInstanceOf(BpfError);
      const e = err as BpfError;
      expect(e.errno).toBe(13);
      expect(e.code).toBe('EACCES');
      expect(e.libbpfLog).toMatch(/invalid access to packet|R\d+ invalid mem access/);
      expect(e.message).toContain('load');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reuses pinned maps on a second load (agent restart) and refuses a different size', () => {
    const svc = new ServiceTable(dp.maps);
    svc.upsert({ address: '10.250.200.1', port: 80, protocol: 'TCP', revNatId: 9, backends: [{ id: 77, address: '10.250.2.10', port: 8080 }] });
    const again = loadTestDatapath(pinDir, { objects: ['lxc'] });
    try {
      expect(new ServiceTable(again.maps).list().map((s) => `${s.address}:${s.port}->${s.backends.map((b) => b.id)}`)).toEqual(['10.250.200.1:80->77']);
      expect(again.maps.services.info.id).toBe(dp.maps.services.info.id);
    } finally {
      again.close();
    }
    expect(() => loadTestDatapath(pinDir, { objects: ['lxc'], mapSizes: { ct: 8192 } })).toThrow(/load .*lxc\.bpf\.o/);
  });

  it('batches hash updates, falls back per key for LPM tries, iterates and counts', () => {
    const entries = Array.from({ length: 300 }, (_, i) => [i + 1000, { addr: `10.250.50.${i % 250}`, port: 1000 + i, state: 0 }] as const);
    expect(dp.maps.backends.setMany(entries)).toEqual({ count: 300, batched: true });
    expect(dp.maps.backends.get(1299)).toEqual({ addr: '10.250.50.49', port: 1299, state: 0 });
    expect(dp.maps.backends.count()).toBeGreaterThanOrEqual(300);
    const dumped = new Map(dp.maps.backends.entries());
    for (const [k, v] of entries) expect(dumped.get(k)).toEqual(v);
    // Missing keys in a delete batch are skipped, not fatal.
    expect(dp.maps.backends.deleteMany([1000, 1001, 999999, 1002]).count).toBe(3);
    expect(dp.maps.backends.get(1001)).toBeUndefined();

    const lpm = dp.maps.ipcache.setMany([[{ prefixlen: 24, addr: '10.250.60.0' }, { identity: 300, flags: 0 }], [{ prefixlen: 32, addr: '10.250.60.7' }, { identity: 301, flags: 0 }]]);
    // LPM tries gained batch support in recent kernels; older ones take the per-key path.
    expect(lpm.count).toBe(2);
    expect(dp.maps.ipcache.entries().length).toBeGreaterThanOrEqual(2);
    const p = dp.maps.ipcache.pressure();
    expect(p.maxEntries).toBe(1024);
    expect(p.ratio).toBeGreaterThan(0);
  });

  it('validates arguments before the native call', () => {
    expect(() => dp.maps.backends.set(1, { addr: '10.250.1.300', port: 1, state: 0 })).toThrow(/lumen_backend\.addr.*octet above 255/);
    expect(() => dp.maps.backends.set(1, { addr: '10.250.1.3', port: 70000, state: 0 })).toThrow(/lumen_backend\.port: expected an integer 0\.\.65535/);
    expect(() => loadBinding().mapLookup(dp.maps.backends.fd, Buffer.alloc(3))).toThrow(/key for map lumen_backends must be 4 bytes, got 3/);
    expect(() => dp.testRun('no_such_prog', { data: Buffer.alloc(60) })).toThrow(/no loaded object has program no_such_prog/);
    expect(() => dp.attachEndpoint(0)).toThrow(/ifindex must be a positive integer/);
  });

  it('reports per-packet duration through BPF_PROG_TEST_RUN with repeat', () => {
    const pkt = buildPacket({ ip: { src: '10.250.9.1', dst: '10.250.9.2' }, udp: { sport: 1, dport: 2 } });
    const r = dp.testRun('from_netdev', { data: pkt, repeat: 1000 });
    expect(r.retval).toBe(0);
    expect(r.durationNs).toBeGreaterThan(0);
    expect(r.durationNs).toBeLessThan(100_000);
  });

  it('delivers events on the reader thread in batches and stops cleanly', async () => {
    drainFlowEvents(dp.eventsFd);
    const got: FlowEvent[] = [];
    const reader = new FlowEventReader(dp.eventsFd, (evs) => got.push(...evs), { maxBatch: 16 });
    try {
      // Spoofed sources are dropped with an event each: 100 events.
      for (let i = 0; i < 100; i++) dp.testRun('from_container', { data: buildPacket({ ip: { src: `10.250.77.${i + 1}`, dst: '10.250.9.2' }, udp: { sport: 1, dport: 2 } }) });
      const deadline = Date.now() + 5000;
      while (got.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got.length).toBe(100);
      expect(got.every((e) => e.dropReasonText === 'invalid source address')).toBe(true);
      expect(reader.stats().batches).toBeGreaterThanOrEqual(7);
    } finally {
      const t0 = Date.now();
      reader.close();
      expect(Date.now() - t0).toBeLessThan(500);
    }
  });

  it('lets a process with a reader exit after close()', () => {
    const script = `
      import { Datapath, FlowEventReader } from ${JSON.stringify(join(REPO, 'agent/native/index.ts'))};
      const dp = Datapath.load({ pinDir: ${JSON.stringify(pinDir)}, objectDir: ${JSON.stringify(OBJECT_DIR)}, objects: ['lxc'],
        mapSizes: { services: 1024, backends: 1024, revNat: 1024, ct: 4096, ipcache: 1024, endpoints: 256, policy: 4096, affinity: 1024, sock: 1024, eventsBytes: 262144 } });
      const r = new FlowEventReader(dp.eventsFd, () => {});
      setTimeout(() => { r.close(); dp.close(); console.log('closed'); }, 200);
    `;
    const res = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['--eval', script], { timeout: 20_000, cwd: REPO });
    expect(res.stderr.toString()).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.toString().trim()).toBe('closed');
  });

  describe('attach', () => {
    const sb = new Sandbox('lumen-dpt-addon');
    let ns = '';
    afterAll(() => sb.cleanup());

    it('re-attaches tc programs in place at our handle/priority and detaches them', () => {
      ns = sb.netns('a');
      sh('ip', ['-n', ns, 'link', 'add', 'ldpdummy0', 'type', 'veth', 'peer', 'name', 'ldpdummy1']);
      const nsPath = `/run/netns/${ns}`;
      const idx = ifIndex('ldpdummy0', nsPath);
      // Someone else's filter at another priority must survive everything we do.
      ipNetns(ns, 'tc', 'qdisc', 'add', 'dev', 'ldpdummy0', 'clsact');
      ipNetns(ns, 'tc', 'filter', 'add', 'dev', 'ldpdummy0', 'ingress', 'prio', '5', 'u32', 'match', 'u32', '0', '0', 'flowid', '1:1');
      const first = dp.attachEndpoint(idx, { netns: nsPath });
      expect(dp.tcProgId(idx, 'ingress', { netns: nsPath })).toBe(first.ingressProgId);
      const dp2 = loadTestDatapath(pinDir, { objects: ['lxc'] });
      try {
        const second = dp2.attachEndpoint(idx, { netns: nsPath });
        expect(second.ingressProgId).not.toBe(first.ingressProgId);
        expect(dp2.tcProgId(idx, 'egress', { netns: nsPath })).toBe(second.egressProgId);
        const filters = ipNetns(ns, 'tc', 'filter', 'show', 'dev', 'ldpdummy0', 'ingress');
        expect(filters.match(/pref 20 bpf .*handle 0x4c4d/g)).toHaveLength(1);
        expect(filters).toMatch(/pref 5 u32/);
        dp2.detachEndpoint(idx, { netns: nsPath });
        expect(dp2.tcProgId(idx, 'ingress', { netns: nsPath })).toBeUndefined();
        expect(ipNetns(ns, 'tc', 'filter', 'show', 'dev', 'ldpdummy0', 'ingress')).toMatch(/pref 5 u32/);
      } finally {
        dp2.close();
      }
    });

    it('attaches the socket hooks to a cgroup through pinned links and swaps them in place', () => {
      const cg = sb.cgroup('addon');
      const connect4 = dp.program('lumen_connect4');
      const a = dp.attachCgroup(cg);
      expect(a.map((x) => x.replaced)).toEqual([false, false, false, false]);
      const ids = loadBinding().cgroupQuery(cg, connect4.attachType);
      expect(ids).toEqual([loadBinding().progInfo(connect4.fd).id]);
      const dp2 = loadTestDatapath(pinDir, { objects: ['sock'] });
      try {
        const b = dp2.attachCgroup(cg);
        expect(b.map((x) => x.replaced)).toEqual([true, true, true, true]);
        expect(b.map((x) => x.linkId)).toEqual(a.map((x) => x.linkId));
        expect(loadBinding().cgroupQuery(cg, connect4.attachType)).toEqual([loadBinding().progInfo(dp2.program('lumen_connect4').fd).id]);
        expect(dp2.detachCgroup(cg)).toBe(4);
        expect(loadBinding().cgroupQuery(cg, connect4.attachType)).toEqual([]);
      } finally {
        dp2.close();
      }
    });
  });
});
