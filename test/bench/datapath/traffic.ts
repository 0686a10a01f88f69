// B1 (first-packet latency vs number of services) and B3 (established traffic) with real
// TCP in the benchmark namespaces: Lumen's socket LB and tc LB against kube-proxy-style
// iptables rules (legacy and nft) and a direct connect to the pod address.
import { ServiceTable, type Datapath, type ServiceSpec } from '../../../agent/native/index';
import { ipNetns, waitForLine, type Sandbox } from '../../../bpf/tests/lib/netns';
import { log, parseSamples, round, run, stats, type Stats, type Tools } from './env';
import { flushNat, fullRuleset, restore, writeRuleFile, type IptablesFlavour, type KpService } from './kubeproxy';
import { BACKEND_IPS, BACKEND_PORT, serviceVip, type BenchTopology } from './topology';

export interface TrafficContext {
  sb: Sandbox;
  topo: BenchTopology;
  tools: Tools;
  dp: Datapath;
  cgroup: string;
  dir: string;
}

export const IPERF_VIP = '10.96.255.1';

export function lumenServices(count: number): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      address: serviceVip(i), port: 80, protocol: 'TCP', revNatId: i + 1,
      backends: BACKEND_IPS.map((ip, j) => ({ id: j + 1, address: ip, port: BACKEND_PORT })),
    });
  }
  out.push({
    address: IPERF_VIP, port: 5201, protocol: 'TCP', revNatId: 65000,
    backends: BACKEND_IPS.map((ip, j) => ({ id: 100 + j, address: ip, port: 5201 })),
  });
  return out;
}

export function kpServices(count: number): KpService[] {
  const out: KpService[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ name: `bench/svc-${i}:http`, vip: serviceVip(i), port: 80, endpoints: BACKEND_IPS.map((ip) => ({ ip, port: BACKEND_PORT })) });
  }
  return out;
}

function attach(c: TrafficContext): void {
  const ns = `/run/netns/${c.topo.node}`;
  c.dp.attachEndpoint(c.topo.clientHostIfindex, { netns: ns });
  c.dp.attachEndpoint(c.topo.backendHostIfindex, { netns: ns });
}

function detach(c: TrafficContext): void {
  const ns = `/run/netns/${c.topo.node}`;
  c.dp.detachEndpoint(c.topo.clientHostIfindex, { netns: ns });
  c.dp.detachEndpoint(c.topo.backendHostIfindex, { netns: ns });
}

async function connectSamples(c: TrafficContext, targets: string, samples: number, inCgroup: boolean): Promise<number[]> {
  // The connect() client stays on CPU 0: fewer migrations between samples, less noise.
  const argv = ['ip', 'netns', 'exec', c.topo.client, 'taskset', '-c', '0', c.tools.netbench, 'connect', targets, String(samples), String(Math.ceil(samples / 10))];
  return parseSamples(await run(argv, inCgroup ? { cgroup: c.cgroup } : {})).map((ns) => ns / 1000);
}

function usStats(xs: number[]): Stats {
  const s = stats(xs);
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), mean: round(s.mean), min: round(s.min) };
}

export type B1Variant = 'direct' | 'direct+lumen' | 'lumen-sock' | 'lumen-tc' | 'iptables-legacy' | 'iptables-nft';

export interface B1Row {
  services: number;
  variant: B1Variant;
  /** microseconds, pooled over all rounds */
  stats: Stats;
  /** p50 minus the direct (no BPF, no rules) p50 at the same size, microseconds */
  addedP50: number;
  /** per round: this variant's p50 minus direct's p50 of the same round (µs) */
  roundDeltas: number[];
  /** median of roundDeltas: the paired estimate, robust to load that drifts between rounds */
  addedPaired: number;
  /** median over rounds of (this p50 - direct+lumen p50): what the translation adds under Lumen */
  addedOverLumen: number;
  /** 25th and 75th percentile of those per-round differences (how far a round strays) */
  addedOverLumenIqr: [number, number];
}

/**
 * connect() latency for each size; per size the variants run round-robin in `rounds`
 * rounds of samples/rounds connects, so load from elsewhere on the machine lands on all
 * variants alike. Samples go to random services of the size (random backend for direct).
 */
export async function runB1(c: TrafficContext, sizes: number[], samples: number, rounds: number): Promise<{ rows: B1Row[]; restoreMs: Record<string, number> }> {
  const rows: B1Row[] = [];
  const restoreMs: Record<string, number> = {};
  const direct = BACKEND_IPS.map((ip) => `${ip}:${BACKEND_PORT}`).join(',');
  const svcTable = new ServiceTable(c.dp.maps);
  const per = Math.ceil(samples / rounds);
  for (const n of sizes) {
    const count = Math.max(n, 1);
    svcTable.writeAll(lumenServices(count));
    const targets = `@${writeRuleFile(c.dir, `targets-${n}.txt`, Array.from({ length: count }, (_, i) => `${serviceVip(i)} 80`).join('\n'))}`;
    const rules = writeRuleFile(c.dir, `rules-${n}.txt`, fullRuleset(kpServices(count)));
    const acc: Record<B1Variant, number[]> = { direct: [], 'direct+lumen': [], 'lumen-sock': [], 'lumen-tc': [], 'iptables-legacy': [], 'iptables-nft': [] };
    const roundP50: Array<Record<B1Variant, number>> = [];
    // Groups of variants that share a datapath state; their order rotates every round so
    // no variant always runs right after an iptables restore or at the end of a round.
    type Group = () => Promise<Array<[B1Variant, number[]]>>;
    const groups: Group[] = [
      async () => {
        detach(c);
        const r = [['direct', await connectSamples(c, direct, per, false)] as [B1Variant, number[]]];
        attach(c);
        return r;
      },
      async () => [
        ['direct+lumen', await connectSamples(c, direct, per, false)],
        ['lumen-sock', await connectSamples(c, targets, per, true)],
        ['lumen-tc', await connectSamples(c, targets, per, false)],
      ],
      ...(['legacy', 'nft'] as IptablesFlavour[]).map((flavour): Group => async () => {
        detach(c);
        const ms = restore(c.topo.node, flavour, rules);
        restoreMs[`${flavour}@${n}`] ??= round(ms, 1);
        const xs = await connectSamples(c, targets, per, false);
        flushNat(c.topo.node, flavour);
        attach(c);
        return [[`iptables-${flavour}` as B1Variant, xs]];
      }),
    ];
    for (let r = 0; r < rounds; r++) {
      const p50 = {} as Record<B1Variant, number>;
      for (let g = 0; g < groups.length; g++) {
        for (const [variant, xs] of await groups[(g + r) % groups.length]!()) {
          acc[variant].push(...xs);
          p50[variant] = stats(xs).p50;
        }
      }
      roundP50.push(p50);
    }
    const base = usStats(acc.direct).p50;
    for (const [variant, xs] of Object.entries(acc) as Array<[B1Variant, number[]]>) {
      const s = usStats(xs);
      const roundDeltas = roundP50.map((p) => round(p[variant] - p.direct));
      const overLumen = roundP50.map((p) => p[variant] - p['direct+lumen']);
      const sortedOver = [...overLumen].sort((a, b) => a - b);
      const q = (f: number) => round(sortedOver[Math.min(sortedOver.length - 1, Math.floor(f * sortedOver.length))]!);
      const row: B1Row = {
        services: n, variant, stats: s, addedP50: round(s.p50 - base), roundDeltas,
        addedPaired: round(stats(roundDeltas).p50), addedOverLumen: round(stats(overLumen).p50), addedOverLumenIqr: [q(0.25), q(0.75)],
      };
      rows.push(row);
      log(`B1 ${String(n).padStart(5)} services  ${variant.padEnd(16)} p50 ${s.p50.toFixed(1)} us  p99 ${s.p99.toFixed(1)} us  paired +${row.addedPaired.toFixed(1)} us (over direct+lumen ${row.addedOverLumen.toFixed(1)})`);
    }
  }
  return { rows, restoreMs };
}

async function rr(c: TrafficContext, ip: string, port: number, n: number, inCgroup: boolean): Promise<number> {
  // Not pinned: a request/response ping-pong pinned to fixed CPUs stalls behind whatever
  // else runs there on a shared machine.
  const out = await run(['ip', 'netns', 'exec', c.topo.client, c.tools.netbench, 'rr', ip, String(port), String(n)], inCgroup ? { cgroup: c.cgroup } : {});
  const s = stats(parseSamples(out));
  return 1e9 / s.mean; // transactions per second
}

/** iperf3 throughput in Gbit/s; retried twice: under heavy machine load the server now and
 *  then drops a control connection between back-to-back tests. */
async function iperf(c: TrafficContext, ip: string, seconds: number, inCgroup: boolean): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await iperfOnce(c, ip, seconds, inCgroup);
    } catch (err) {
      if (attempt >= 3) throw err;
      log(`B3 iperf3 to ${ip} failed (${(err as Error).message.slice(0, 120)}), retrying`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function iperfOnce(c: TrafficContext, ip: string, seconds: number, inCgroup: boolean): Promise<number> {
  const out = await run(['ip', 'netns', 'exec', c.topo.client, 'iperf3', '-c', ip, '-p', '5201', '-t', String(seconds), '-J'], inCgroup ? { cgroup: c.cgroup } : {});
  const j = JSON.parse(out) as { error?: string; end?: { sum_received?: { bits_per_second: number } } };
  if (!j.end?.sum_received) throw new Error(`[bench] iperf3 to ${ip}: ${j.error ?? 'no result'}`);
  return j.end.sum_received.bits_per_second / 1e9;
}

export interface B3Result {
  rr: Record<string, { tps: number[]; median: number; ratio: number }>;
  iperf: Record<string, { gbps: number[]; median: number; ratio: number }>;
  services: number;
}

/** Established traffic with `services` frontends programmed: request/response and
 *  iperf3, variants interleaved round by round so drift hits all of them alike. */
export async function runB3(c: TrafficContext, services: number, rounds: number, rrCount: number, iperfSeconds: number): Promise<B3Result> {
  new ServiceTable(c.dp.maps).writeAll(lumenServices(Math.max(services, 1)));
  const vip = serviceVip(0);
  const rules = writeRuleFile(c.dir, 'rules-b3.txt', fullRuleset(kpServices(Math.max(services, 1))));
  const iperfServer = c.sb.spawn(c.topo.backend, ['iperf3', '-s', '-p', '5201', '--forceflush']);
  await waitForLine(iperfServer, /Server listening/);
  const rrRes: Record<string, number[]> = { baseline: [], 'lumen-sock': [], 'lumen-tc': [], 'iptables-legacy': [] };
  const ipRes: Record<string, number[]> = { baseline: [], 'lumen-sock': [], 'lumen-tc': [] };
  type Step = () => Promise<void>;
  const steps: Step[] = [
    async () => {
      detach(c);
      rrRes.baseline!.push(await rr(c, BACKEND_IPS[0]!, BACKEND_PORT, rrCount, false));
      ipRes.baseline!.push(await iperf(c, BACKEND_IPS[0]!, iperfSeconds, false));
      attach(c);
    },
    async () => {
      rrRes['lumen-sock']!.push(await rr(c, vip, 80, rrCount, true));
      ipRes['lumen-sock']!.push(await iperf(c, IPERF_VIP, iperfSeconds, true));
    },
    async () => {
      rrRes['lumen-tc']!.push(await rr(c, vip, 80, rrCount, false));
      ipRes['lumen-tc']!.push(await iperf(c, IPERF_VIP, iperfSeconds, false));
    },
    async () => {
      detach(c);
      restore(c.topo.node, 'legacy', rules);
      rrRes['iptables-legacy']!.push(await rr(c, vip, 80, rrCount, false));
      flushNat(c.topo.node, 'legacy');
      attach(c);
    },
  ];
  try {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]!();
      log(`B3 round ${r + 1}/${rounds}: rr tps ${Object.entries(rrRes).map(([k, v]) => `${k} ${Math.round(v[r]!)}`).join(', ')}; iperf Gbit/s ${Object.entries(ipRes).map(([k, v]) => `${k} ${v[r]!.toFixed(2)}`).join(', ')}`);
    }
  } finally {
    iperfServer.kill('SIGTERM');
  }
  const med = (xs: number[]) => stats(xs).p50;
  // The ratio is taken per round (same conditions) and its median reported.
  const summarise = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, {
    values: v.map((x) => round(x, 2)), median: round(med(v), 2), ratio: round(med(v.map((x, i) => x / m.baseline![i]!)), 3),
  }]));
  const rrSum = summarise(rrRes);
  const ipSum = summarise(ipRes);
  return {
    services,
    rr: Object.fromEntries(Object.entries(rrSum).map(([k, v]) => [k, { tps: v.values, median: v.median, ratio: v.ratio }])),
    iperf: Object.fromEntries(Object.entries(ipSum).map(([k, v]) => [k, { gbps: v.values, median: v.median, ratio: v.ratio }])),
  };
}

/** Sanity check before measuring: both paths reach a backend. */
export async function smoke(c: TrafficContext): Promise<void> {
  await run(['ip', 'netns', 'exec', c.topo.client, c.tools.netbench, 'connect', `${serviceVip(0)}:80`, '3', '0'], { cgroup: c.cgroup });
  await run(['ip', 'netns', 'exec', c.topo.client, c.tools.netbench, 'connect', `${serviceVip(0)}:80`, '3', '0']);
  ipNetns(c.topo.node, 'true');
}
