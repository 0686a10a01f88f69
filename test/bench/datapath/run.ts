// `npm run bench:datapath`: builds the benchmark namespaces (lumen-bench-*), runs B1, B3,
// B4 and B5, writes test/bench/results/datapath.json, the datapath section of
// docs/BENCHMARKS.md and its chart, and removes everything it created, also on failure.
//   --only b1,b3,b4,b5   run a subset      --quick   small sample counts (smoke run)
//   --render-only        redo the doc section and chart from the saved JSON
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Datapath, EndpointTable, IpcacheTable, ServiceTable } from '../../../agent/native/index';
import { ensureBpffs, kernelSkipReason, OBJECT_DIR, randomSuffix, requireBuilt } from '../../../bpf/tests/lib/env';
import { Sandbox, waitForLine } from '../../../bpf/tests/lib/netns';
import { buildTools, log, REPO } from './env';
import { runB4 } from './programming';
import { runB5 } from './perpacket';
import { writeDocSection } from '../doc-section';
import { chartSvg, evaluateGoals, markdown, renderPng, type Results } from './report';
import { BACKEND_IPS, BACKEND_PORT, buildBenchTopology, CLIENT_IP } from './topology';
import { lumenServices, runB1, runB3, smoke, type TrafficContext } from './traffic';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, 'render-only': { type: 'boolean', default: false } } });
  if (values['render-only']) {
    const saved = JSON.parse(readFileSync(join(REPO, 'test', 'bench', 'results', 'datapath.json'), 'utf8')) as Results;
    await publish(saved);
    return 0;
  }
  const only = new Set((values.only ?? 'b1,b3,b4,b5').split(',').map((s) => s.trim().toLowerCase()));
  const quick = values.quick!;
  const skip = kernelSkipReason();
  if (skip) {
    process.stderr.write(`lumen bench: cannot run: ${skip}\n`);
    return 1;
  }
  requireBuilt();
  ensureBpffs();

  const suffix = randomSuffix();
  const sb = new Sandbox(`lumen-bench-${suffix}`);
  const pinDirs = ['dp', 'b4', 'b5'].map((k) => `/sys/fs/bpf/lumen-bench-${suffix}-${k}`);
  let dp: Datapath | undefined;
  const cleanup = () => {
    try {
      dp?.close();
    } catch { /* already closed */ }
    for (const p of pinDirs) {
      try {
        Datapath.unpin(p);
      } catch (err) {
        process.stderr.write(`[bench] cleanup ${p}: ${(err as Error).message}\n`);
      }
    }
    sb.cleanup();
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: Results = {
    meta: {
      date: new Date().toISOString().slice(0, 10), kernel: release(), cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length,
      node: process.version, quick: quick ? 1 : 0, loadavg: loadavg().map((x) => x.toFixed(2)).join(' '),
    },
  };
  const tools = buildTools();
  try {
    if (only.has('b1') || only.has('b3')) {
      const topo = buildBenchTopology(sb);
      const cgroup = sb.cgroup('sock');
      dp = Datapath.load({ pinDir: pinDirs[0]!, objectDir: OBJECT_DIR, objects: ['lxc', 'sock'] });
      const eps = new EndpointTable(dp.maps.endpoints);
      eps.upsert({ address: CLIENT_IP, ifindex: topo.clientHostIfindex, endpointId: 1, identity: 1001 });
      BACKEND_IPS.forEach((ip, i) => eps.upsert({ address: ip, ifindex: topo.backendHostIfindex, endpointId: 2 + i, identity: 2001 }));
      new IpcacheTable(dp.maps.ipcache).set('10.250.30.1/32', 1);
      dp.attachCgroup(cgroup);
      const server = sb.spawn(topo.backend, [tools.netbench, 'server', String(BACKEND_PORT)]);
      await waitForLine(server, /^ready$/);
      const ctx: TrafficContext = { sb, topo, tools, dp, cgroup, dir: tools.dir };
      dp.attachEndpoint(topo.clientHostIfindex, { netns: `/run/netns/${topo.node}` });
      dp.attachEndpoint(topo.backendHostIfindex, { netns: `/run/netns/${topo.node}` });
      new ServiceTable(dp.maps).writeAll(lumenServices(1));
      await smoke(ctx);
      if (only.has('b1')) {
        const sizes = quick ? [0, 1000] : [0, 100, 1000, 5000, 10000];
        // 20 rounds of 500: per-round paired differences are what the goals use, and more
        // rounds narrow their median more than more samples per round would.
        const samples = quick ? 1000 : 10000;
        const rounds = quick ? 2 : 20;
        log(`B1: connect() latency, ${samples} samples per point in ${rounds} interleaved rounds, sizes ${sizes.join('/')}`);
        const b1 = await runB1(ctx, sizes, samples, rounds);
        results.b1 = { samples, rounds, sizes, ...b1 };
      }
      if (only.has('b3')) {
        const n = quick ? 1000 : 10000;
        log(`B3: established traffic with ${n} services programmed`);
        // iperf3 runs move by ±10 % between rounds even on a quiet machine: 9 rounds.
        results.b3 = await runB3(ctx, n, quick ? 1 : 9, quick ? 5000 : 20000, quick ? 1 : 2);
      }
      dp.close();
      dp = undefined;
    }
    if (only.has('b4')) {
      log('B4: programming cost');
      results.b4 = runB4({ sb, pinDir: pinDirs[1]!, objectDir: OBJECT_DIR, dir: tools.dir, services: quick ? 2000 : 10000, rounds: quick ? 2 : 7, changes: quick ? 50 : 1000 });
    }
    if (only.has('b5')) {
      log('B5: per-packet cost through BPF_PROG_TEST_RUN');
      results.b5 = runB5({ pinDir: pinDirs[2]!, objectDir: OBJECT_DIR, noopObject: tools.noopObject, steadyObject: tools.steadyObject, fills: [0.01, 0.5, 1], runs: quick ? 2000 : 20000, repeat: quick ? 10000 : 100000 });
    }
  } finally {
    cleanup();
    rmSync(tools.dir, { recursive: true, force: true });
  }

  results.meta.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  await publish(results);
  return 0;
}

/** Goals, JSON, chart and the docs/BENCHMARKS.md section. */
async function publish(results: Results): Promise<void> {
  results.goals = evaluateGoals(results);
  const resultsDir = join(REPO, 'test', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'datapath.json'), `${JSON.stringify(results, null, 2)}\n`);
  const png = join(resultsDir, 'datapath.png');
  await renderPng(chartSvg(results), png);
  writeDocSection(REPO, 'datapath', markdown(results, '../test/bench/results/datapath.png'));
  log(`wrote test/bench/results/datapath.json, ${png}, docs/BENCHMARKS.md`);
  for (const g of results.goals) log(`${g.met ? 'met    ' : 'NOT MET'} ${g.id}: ${g.measured} (goal: ${g.goal})`);
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`lumen bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
