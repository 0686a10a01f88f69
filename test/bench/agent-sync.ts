// Agent start-up sync with many Services, against baselines measured in the same lab run:
// a restarted agent's sync time (start -> every kind listed, maps reconciled, ready) with
// N services vs with none, and vs the time a plain client needs just to list what the
// agent lists; live programming (API create -> every node programmed) vs the creates
// alone; agent memory. Run as root: `npm run bench:agent-sync [-- --services 1000 --rounds 3]`
// (needs build:bpf, build:native, build:cni, build:agent). Results:
// test/bench/results/agent-sync.json and the agent-sync section of docs/BENCHMARKS.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectionPaths } from '../../src/shared/k8s/paths.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import { startLab, type Lab } from '../lab/index.js';
import {
  applyAll, clientPod, echoDeployment, installAgent, labClient, missingAgentArtifacts, namespace, waitReadyPods,
} from '../integration/agent-helpers.js';
import { agentRssKiB, agentStatus, createServices, restartAgents, waitProgrammed } from '../integration/agent-scale-scenario.js';
import { writeDocSection } from './doc-section.js';

const repo = path.resolve(import.meta.dirname, '../..');
const NS = 'lumen-bench-sync';
const log = (m: string): void => console.log(`[bench:agent-sync] ${m}`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** What a plain client needs to read what the agent reads at start: every watched kind, paged. */
async function listEverything(kube: KubeClient): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Object.values(collectionPaths).map(async (base) => {
    let cont = '';
    do {
      const page = await kube.get<{ metadata: { continue?: string } }>(`${base}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      cont = page.metadata.continue ?? '';
    } while (cont);
  }));
  return performance.now() - t0;
}

/** Restarts the agents `rounds` times; the agents' own sync times (ms) and a list baseline per round. */
async function syncRounds(lab: Lab, kube: KubeClient, rounds: number): Promise<{ syncMs: number[]; listMs: number[] }> {
  const syncMs: number[] = [];
  const listMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    listMs.push(await listEverything(kube));
    await restartAgents(lab, kube);
    for (const n of lab.nodes) {
      const s = (await agentStatus(lab, repo, n.name)).sync.initialSyncMs;
      if (s === null) throw new Error(`the agent on ${n.name} reports no initial sync`);
      syncMs.push(s);
    }
  }
  return { syncMs, listMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '3' } } });
  const services = Number(values.services);
  const rounds = Number(values.rounds);
  const missing = missingAgentArtifacts(repo);
  if (missing.length) throw new Error(`build first: ${missing.join(', ')}`);
  const lab = await startLab({ nodes: 2, log: () => undefined });
  try {
    const kube = labClient(lab.kubeconfig);
    log(`lab ${lab.instance} up; installing the agent`);
    await installAgent(lab, kube);
    await applyAll(kube, [namespace(NS), echoDeployment(NS, 'echo', 2, { app: 'echo' }, [{ name: 'http', port: 8080 }]), clientPod(NS, 'client', lab.nodes[0]!.name)]);
    const echo = await waitReadyPods(kube, NS, 'app=echo', 2);

    log(`baseline: ${rounds} agent restarts with no extra services`);
    const empty = await syncRounds(lab, kube, rounds);

    log(`creating ${services} services (2 backends each)`);
    const t0 = performance.now();
    await createServices(kube, NS, echo, 0, services);
    const createMs = performance.now() - t0;
    await waitProgrammed(lab, repo, NS, services, echo.length);
    const programmedMs = performance.now() - t0;
    const rssLive = await agentRssKiB(lab, kube);

    log(`${rounds} agent restarts with ${services} services`);
    const full = await syncRounds(lab, kube, rounds);
    const rssRestart = await agentRssKiB(lab, kube);
    kube.close();

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', load: os.loadavg(), kernel: os.release() },
      services, backendsPerService: echo.length, rounds, nodes: lab.nodes.length,
      syncMsNoServices: empty.syncMs, syncMs: full.syncMs,
      listMsNoServices: empty.listMs, listMs: full.listMs,
      createMs, createToProgrammedMs: programmedMs,
      rssKiBAfterLiveSync: rssLive, rssKiBAfterRestartSync: rssRestart,
      ratios: {
        syncVsNoServices: median(full.syncMs) / median(empty.syncMs),
        syncVsListingIt: median(full.syncMs) / median(full.listMs),
        programmedVsCreates: programmedMs / createMs,
      },
    };
    mkdirSync(path.join(repo, 'test/bench/results'), { recursive: true });
    writeFileSync(path.join(repo, 'test/bench/results/agent-sync.json'), `${JSON.stringify(result, null, 2)}\n`);
    const mib = (kib: Record<string, number>): string => Object.entries(kib).map(([n, k]) => `${n} ${(k / 1024).toFixed(0)} MiB`).join(', ');
    writeDocSection(repo, 'agent-sync', [
      '## Agent sync (`npm run bench:agent-sync`)',
      '',
      `Measured ${result.date.slice(0, 10)} on ${result.machine.model} (${result.machine.cpus} CPUs, load average at the end ${result.machine.load.map((l) => l.toFixed(2)).join(' ')}), kernel ${result.machine.kernel}, in a ${result.nodes}-node lab. Raw numbers: \`test/bench/results/agent-sync.json\`. Medians over ${rounds} restarts of both agents.`,
      '',
      '| measurement | value | baseline (same run) | ratio |',
      '|---|---|---|---|',
      `| agent sync at start, ${services} services × ${result.backendsPerService} backends | ${median(full.syncMs).toFixed(0)} ms | same agent with no extra services: ${median(empty.syncMs).toFixed(0)} ms | ${result.ratios.syncVsNoServices.toFixed(2)}× |`,
      `| agent sync at start, ${services} services | ${median(full.syncMs).toFixed(0)} ms | a plain client listing every watched kind: ${median(full.listMs).toFixed(0)} ms | ${result.ratios.syncVsListingIt.toFixed(2)}× |`,
      `| live: first create -> programmed on every node | ${programmedMs.toFixed(0)} ms | the ${services} Service + EndpointSlice creates alone: ${createMs.toFixed(0)} ms | ${result.ratios.programmedVsCreates.toFixed(2)}× |`,
      `| agent memory (RSS) after the live sync | ${mib(rssLive)} | | |`,
      `| agent memory (RSS) after a restart sync | ${mib(rssRestart)} | | |`,
      '',
      'Sync time is the agent\'s own `initialSyncMs` (process start to ready: every kind listed, endpoints restored, maps reconciled against the pins).',
    ].join('\n'));
    log(`sync ${median(full.syncMs).toFixed(0)} ms with ${services} services (${result.ratios.syncVsNoServices.toFixed(2)}× no services, ${result.ratios.syncVsListingIt.toFixed(2)}× listing it)`);
  } finally {
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`[bench:agent-sync] ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
