// B4: how long programming services takes. Lumen: 10k services x 3 backends written cold
// in batches, then one change at 10k; kube-proxy: iptables-restore of the equivalent
// ruleset (cold) and its --noflush delta for one change, legacy and nft.
import { Datapath, ServiceTable, type ServiceSpec } from '../../../agent/native/index';
import type { Sandbox } from '../../../bpf/tests/lib/netns';
import { log, round, stats } from './env';
import { flushNat, fullRuleset, oneChangeDelta, restore, writeRuleFile, type IptablesFlavour, type KpService } from './kubeproxy';
import { serviceVip } from './topology';

function backendIp(i: number): string {
  const n = 0x0afa0000 + 256 + i; // 10.250.1.0 upwards
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** 10k services, each with its own 3 backends (30k distinct backends). */
function specs(count: number): ServiceSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    address: serviceVip(i), port: 80, protocol: 'TCP' as const, revNatId: (i % 65535) + 1,
    backends: [0, 1, 2].map((j) => ({ id: i * 3 + j + 1, address: backendIp(i * 3 + j), port: 8080 })),
  }));
}

function kp(s: ServiceSpec): KpService {
  return { name: `bench/svc-${s.address}:http`, vip: s.address, port: s.port, endpoints: s.backends.map((b) => ({ ip: b.address, port: b.port })) };
}

export interface B4Result {
  services: number;
  lumen: { coldMs: number[]; coldMedianMs: number; coldMinMs: number; entries: number; changeP50Ms: number; changeP95Ms: number; changeP99Ms: number; changes: number };
  iptables: Record<IptablesFlavour, { coldMs: number[]; coldMedianMs: number; changeMs: number[]; changeMedianMs: number; fullResyncMedianMs: number }>;
}

export function runB4(opts: { sb: Sandbox; pinDir: string; objectDir: string; dir: string; services: number; rounds: number; changes: number }): B4Result {
  const all = specs(opts.services);
  const coldMs: number[] = [];
  let entries = 0;
  let changeSamples: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    Datapath.unpin(opts.pinDir);
    const dp = Datapath.load({ pinDir: opts.pinDir, objectDir: opts.objectDir, objects: ['lxc'] });
    try {
      const table = new ServiceTable(dp.maps);
      const t = process.hrtime.bigint();
      entries = table.writeAll(all).entries;
      coldMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r === opts.rounds - 1) {
        // One change at full size: a service's backend set flips between two versions.
        const target = all[Math.floor(all.length / 2)]!;
        const alt: ServiceSpec = { ...target, backends: [...target.backends.slice(0, 2), { id: 900000, address: '10.250.250.250', port: 8080 }] };
        changeSamples = [];
        for (let i = 0; i < opts.changes; i++) {
          const t1 = process.hrtime.bigint();
          table.upsert(i % 2 ? target : alt);
          changeSamples.push(Number(process.hrtime.bigint() - t1) / 1e6);
        }
      }
    } finally {
      dp.close();
    }
    log(`B4 Lumen cold write of ${opts.services} services (${entries} map entries): ${coldMs[r]!.toFixed(1)} ms`);
  }
  Datapath.unpin(opts.pinDir);
  const ch = stats(changeSamples);
  log(`B4 Lumen one change at ${opts.services}: p50 ${ch.p50.toFixed(3)} ms, p99 ${ch.p99.toFixed(3)} ms`);

  const ns = opts.sb.netns('ipt');
  const full = writeRuleFile(opts.dir, 'b4-full.txt', fullRuleset(all.map(kp)));
  const target = all[Math.floor(all.length / 2)]!;
  const alt: ServiceSpec = { ...target, backends: [...target.backends.slice(0, 2), { id: 900000, address: '10.250.250.250', port: 8080 }] };
  const fwd = writeRuleFile(opts.dir, 'b4-delta-a.txt', oneChangeDelta(kp(target), kp(alt)));
  const back = writeRuleFile(opts.dir, 'b4-delta-b.txt', oneChangeDelta(kp(alt), kp(target)));
  const ipt = {} as B4Result['iptables'];
  for (const flavour of ['legacy', 'nft'] as IptablesFlavour[]) {
    const cold: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      cold.push(restore(ns, flavour, full));
      if (r < opts.rounds - 1) flushNat(ns, flavour);
    }
    const change: number[] = [];
    for (let i = 0; i < Math.max(5, Math.min(opts.changes, 20)); i++) change.push(restore(ns, flavour, i % 2 ? back : fwd, true));
    // Before kube-proxy's partial syncs (and on every full resync) one change meant
    // restoring the whole table.
    const resync: number[] = [];
    for (let r = 0; r < Math.min(opts.rounds, 3); r++) resync.push(restore(ns, flavour, full));
    flushNat(ns, flavour);
    ipt[flavour] = {
      coldMs: cold.map((x) => round(x, 1)), coldMedianMs: round(stats(cold).p50, 1),
      changeMs: change.map((x) => round(x, 2)), changeMedianMs: round(stats(change).p50, 2),
      fullResyncMedianMs: round(stats(resync).p50, 1),
    };
    log(`B4 iptables-${flavour}: cold restore ${ipt[flavour].coldMedianMs} ms, one change (--noflush) ${ipt[flavour].changeMedianMs} ms, full resync ${ipt[flavour].fullResyncMedianMs} ms`);
  }
  return {
    services: opts.services,
    lumen: {
      coldMs: coldMs.map((x) => round(x, 2)), coldMedianMs: round(stats(coldMs).p50, 2), coldMinMs: round(stats(coldMs).min, 2), entries,
      changeP50Ms: round(ch.p50, 4), changeP95Ms: round(changeSamples.sort((a, b) => a - b)[Math.floor(changeSamples.length * 0.95)]!, 4), changeP99Ms: round(ch.p99, 4), changes: ch.n,
    },
    iptables: ipt,
  };
}
