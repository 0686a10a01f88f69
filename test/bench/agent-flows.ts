// Flow pipeline throughput (decode + enrich + ring + counters) on one core: synthetic lumen_flow_event records fed in-process, and records the kernel wrote into a saturated ring buffer; reports both and their ratio.
// Run: npx tsx test/bench/agent-flows.ts [--seconds 4]. The kernel-fed part needs root, bpf/.output/lxc.bpf.o and the addon.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowEvent } from '../../agent/native/abi.js';
import { Datapath, splitRecords } from '../../agent/native/index.js';
import { loadBinding } from '../../agent/native/binding.js';
import type { FlowLookups, Labels, ObjectRef, PeerLookup, PolicyRuleRef } from '../../agent/src/api/view.js';
import { FlowPipeline } from '../../agent/src/flows/pipeline.js';
import type { RawFlowEvent } from '../../agent/src/flows/raw.js';
import { BENCH_MAP_SIZES } from './agent-flows-producer.js';
import { writeDocSection } from './doc-section.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 4;
const log = (m: string): void => console.log(`[bench:agent-flows] ${m}`);

/** A cluster-sized index behind FlowLookups: 2,000 pods on 10 nodes, 200 identities, 500 services, 300 rules. */
function syntheticCluster(): FlowLookups {
  const peers = new Map<string, PeerLookup>();
  const labels = new Map<number, Labels>();
  for (let id = 256; id < 456; id++) labels.set(id, { app: `app-${id}`, tier: id % 2 ? 'web' : 'db', 'ns:kubernetes.io/metadata.name': `ns-${id % 20}` });
  for (let i = 0; i < 2000; i++) peers.set(`10.201.${i >> 8}.${i & 255}`, { namespace: `ns-${i % 20}`, pod: `pod-${i}`, node: `node-${i % 10}`, identity: 256 + (i % 200) });
  const services = new Map<string, ObjectRef>();
  for (let i = 0; i < 500; i++) services.set(`10.97.${i >> 8}.${i & 255}:80/TCP`, { namespace: `ns-${i % 20}`, name: `svc-${i}` });
  const rules = new Map<number, PolicyRuleRef>();
  for (let i = 1; i <= 300; i++) rules.set(i, { policy: { namespace: `ns-${i % 20}`, name: `pol-${i}` }, direction: i % 2 ? 'ingress' : 'egress', ruleIndex: i % 3 });
  const selecting = [{ namespace: 'ns-1', name: 'default-deny' }];
  return {
    nodeName: 'node-0',
    endpointById: () => undefined,
    peerByIp: (ip) => peers.get(ip),
    identityLabels: (id) => labels.get(id),
    serviceByFrontend: (fe) => services.get(`${fe.ip}:${fe.port}/${fe.protocol}`),
    ruleById: (id) => rules.get(id),
    selectingPolicies: () => selecting,
  };
}

/** 4,096 distinct records: forwarded/dropped/audit, translated services, rule ids, known and unknown peers. */
function syntheticRecords(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < 4096; i++) {
    const kind = i % 10;
    const ev: RawFlowEvent = {
      time_ns: Number(process.hrtime.bigint()), packets: 1 + (i % 7), bytes: 60 + i,
      saddr: `10.201.${(i * 7) % 8}.${(i * 13) & 255}`, daddr: kind === 9 ? '192.0.2.10' : `10.201.${i % 8}.${i & 255}`,
      sport: 30000 + i, dport: 8080, proto: kind === 8 ? 17 : 6,
      verdict: kind < 6 ? 1 : kind < 9 ? 2 : 3, drop_reason: kind === 6 || kind === 7 ? 1 : kind === 8 ? 2 : 0,
      obs_point: 1 + (i % 2), src_identity: 256 + (i % 200), dst_identity: kind === 9 ? 2 : 256 + ((i * 3) % 200),
      endpoint_id: 1 + (i % 100), ifindex: 10 + (i % 100), rule_id: kind < 3 ? 1 + (i % 300) : 0,
      svc_addr: kind === 4 ? `10.97.${(i % 500) >> 8}.${i % 256}` : '0.0.0.0', svc_port: kind === 4 ? 80 : 0,
      tcp_flags: i % 3 === 0 ? 0x02 : 0x10, flags: (kind === 4 ? 0x4 : 0) | (i % 5 === 0 ? 0x1 : 0),
    } as RawFlowEvent;
    out.push(flowEvent.encode(ev));
  }
  return out;
}

interface Result { events: number; seconds: number; eventsPerSecond: number; cpuCores: number; eventsPerCpuSecond: number; lost?: number; emitted?: number; skipped?: number; decodeErrors: number }

function inProcess(seconds: number): Result {
  const records = syntheticRecords();
  const batches: Buffer[][] = [];
  for (let i = 0; i < records.length; i += 256) batches.push(records.slice(i, i + 256));
  const pipeline = new FlowPipeline({ lookups: syntheticCluster(), bufferSize: 16384 });
  for (let i = 0; i < 50; i++) pipeline.processRecords(batches[i % batches.length]!); // warm-up (JIT)
  const before = pipeline.store.totalFlows;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let i = 0;
  while (performance.now() < end) pipeline.processRecords(batches[i++ % batches.length]!);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const events = pipeline.store.totalFlows - before;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { events, seconds: wall, eventsPerSecond: events / wall, cpuCores: cpuSeconds / wall, eventsPerCpuSecond: events / cpuSeconds, decodeErrors: pipeline.store.decodeErrors };
}

function kernelFedSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (BPF)';
  if (!existsSync(join(root, 'bpf/.output/lxc.bpf.o'))) return 'bpf/.output/lxc.bpf.o missing (npm run build:bpf)';
  try {
    loadBinding();
  } catch (err) {
    return `addon not loadable: ${(err as Error).message}`;
  }
  return undefined;
}

async function kernelFed(seconds: number): Promise<Result> {
  if (!existsSync('/sys/fs/bpf/maps.debug') && !existsSync('/sys/fs/bpf')) throw new Error('/sys/fs/bpf missing');
  const pinDir = `/sys/fs/bpf/lumen-bench-flows-${randomBytes(4).toString('hex')}`;
  mkdirSync(pinDir, { recursive: true });
  const dp = Datapath.load({ pinDir, objects: ['lxc'], mapSizes: BENCH_MAP_SIZES });
  const pipeline = new FlowPipeline({ lookups: syntheticCluster(), bufferSize: 16384 });
  const b = loadBinding();
  let consumer: { close(): void } | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // The agent's path: the addon's consumer thread → batches → FlowPipeline.ingestRecords (time-sliced).
    consumer = new b.RingBufferConsumer(dp.eventsFd, (batch) => pipeline.ingestRecords(splitRecords(batch)), { maxBatch: 1024, maxQueued: 16 });
    const tsx = join(root, 'node_modules/.bin/tsx');
    const warmup = 1;
    child = spawn(tsx, [join(root, 'test/bench/agent-flows-producer.ts'), pinDir, String(seconds + warmup + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let producerOut = '';
    child.stdout!.on('data', (d: Buffer) => (producerOut += d.toString()));
    const exited = new Promise<number>((resolve) => child!.on('exit', (code) => resolve(code ?? 1)));
    // Wait for the producer to start filling the ring, then a warm-up second.
    const started = performance.now();
    while (pipeline.store.totalFlows === 0) {
      if (performance.now() - started > 20_000) throw new Error('the producer emitted no events within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const c0 = dp.counters();
    const f0 = pipeline.store.totalFlows;
    const s0 = pipeline.store.skipped;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const c1 = dp.counters();
    const events = pipeline.store.totalFlows - f0;
    const skipped = pipeline.store.skipped - s0;
    const code = await exited;
    if (code !== 0) throw new Error(`producer exited with ${code}`);
    log(`producer: ${producerOut.trim()}`);
    return {
      events, seconds: wall, eventsPerSecond: events / wall, cpuCores: (cpu.user + cpu.system) / 1e6 / wall, eventsPerCpuSecond: events / ((cpu.user + cpu.system) / 1e6),
      lost: c1.eventsLost - c0.eventsLost, emitted: c1.eventsEmitted - c0.eventsEmitted, skipped, decodeErrors: pipeline.store.decodeErrors,
    };
  } finally {
    child?.kill('SIGTERM');
    consumer?.close();
    dp.close();
    Datapath.unpin(pinDir);
  }
}

async function main(): Promise<void> {
  log(`in-process: synthetic records through FlowPipeline.ingestRecords for ${SECONDS} s ...`);
  const a = inProcess(SECONDS);
  log(`in-process: ${Math.round(a.eventsPerSecond).toLocaleString('en-US')} events/s (${a.cpuCores.toFixed(2)} cores)`);
  const skip = kernelFedSkipReason();
  let k: Result | undefined;
  if (skip) log(`kernel-fed: skipped: ${skip}`);
  else {
    log(`kernel-fed: to_container via BPF_PROG_TEST_RUN in a child process, ring buffer saturated, for ${SECONDS} s ...`);
    k = await kernelFed(SECONDS);
    log(`kernel-fed: ${Math.round(k.eventsPerSecond).toLocaleString('en-US')} events/s (${k.cpuCores.toFixed(2)} cores incl. the consumer thread); kernel emitted ${k.emitted}, lost ${k.lost} (ring full), agent skipped ${k.skipped} (queue full)`);
  }
  // Per CPU-second: the machine is shared, so wall-clock rates say as much about the neighbours as about us.
  const ratio = k ? k.eventsPerCpuSecond / a.eventsPerCpuSecond : undefined;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows = [
    ['in-process (synthetic records)', fmt(a.eventsPerCpuSecond), fmt(a.eventsPerSecond), a.cpuCores.toFixed(2), '-'],
    ['kernel-fed (ring buffer saturated)', k ? fmt(k.eventsPerCpuSecond) : `skipped: ${skip}`, k ? fmt(k.eventsPerSecond) : '-', k ? k.cpuCores.toFixed(2) : '-', k ? `${k.lost} / ${k.skipped} of ${(k.emitted ?? 0) + (k.lost ?? 0)} produced` : '-'],
  ];
  const table = ['| feed | events per CPU-second (one core) | events/s wall | CPU cores used | events lost (kernel) / skipped (agent) |', '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const ratioLine = ratio !== undefined ? `kernel-fed / in-process (per CPU-second): ${ratio.toFixed(2)}×` : '';
  console.log(`\n${table}\n\n${ratioLine}`);
  writeDocSection(root, 'agent-flows', [
    '## Agent flow pipeline (`npm run bench:agent-flows`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${cpus().length} CPUs, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}), kernel ${release()}, ${SECONDS} s per feed. Raw numbers: \`test/bench/results/agent-flows.json\`.`,
    '',
    table,
    '',
    ratioLine,
    '',
    'What one agent core does with flow events: decode, enrich (pods, identities, services, policy names from a cluster-sized index), the flow ring and the counters. "Kernel-fed" takes records `to_container` wrote into a saturated ring buffer (BPF_PROG_TEST_RUN in a child process) through the addon\'s consumer thread; "in-process" feeds the same pipeline synthetic records, the upper bound. Rates are per CPU-second because the machine is shared.',
  ].join('\n'));
  const out = join(root, 'test/bench/results/agent-flows.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, inProcess: a, kernelFed: k ?? { skipped: skip }, ratio }, null, 2) + '\n');
  log(`results written to ${out}`);
}

main().catch((err: unknown) => {
  console.error('[bench:agent-flows] failed:', err);
  process.exit(1);
});
