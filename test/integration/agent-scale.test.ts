// Measurements for the agent's note, with correctness checks around them: 1,000 Services
// (2 backends each) programmed on both nodes; the sync time of a freshly started agent with
// those in the API (list every kind, restore, reconcile the maps, ready); agent memory (RSS).
// Timings are printed, not asserted: this machine's 2 shared cores make them noisy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHandle } from '../lab/index.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import {
  AGENT_SELECTOR, applyAll, clientPod, echoDeployment, installAgent, labClient, listPods, lumenCli, missingAgentArtifacts,
  namespace, remove, waitFor, waitReadyPods, type PodLite,
  agentLab, labSkipReason,
} from './agent-helpers.js';

const repo = join(import.meta.dirname, '../..');
const labRef = agentLab();
const NS = `lscale-${Date.now().toString(36).slice(-5)}`;
const SERVICES = Number(process.env.LUMEN_SCALE_SERVICES ?? 1000);

let lab: LabHandle;
let kube: KubeClient;
let echo: PodLite[];

async function status(node: string): Promise<{ sync: { initialSyncMs: number | null } }> {
  return JSON.parse(await lumenCli(lab, repo, node, ['status', '-o', 'json']));
}

/** Frontends of this test's services whose two backends are in the node's maps. */
async function programmedInNamespace(node: string): Promise<number> {
  const list = JSON.parse(await lumenCli(lab, repo, node, ['service', 'list', '-o', 'json'])) as { desired: { service: { namespace: string } } | null; realized: { backends: unknown[] } | null }[];
  return list.filter((e) => e.desired?.service.namespace === NS && e.realized?.backends.length === 2).length;
}

function agentRssKiB(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rec of listPodsSync()) {
    const pid = rec.pid;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    out[rec.node] = Number(m?.[1] ?? 0);
  }
  return out;
}

let agentPods: { name: string; node: string }[] = [];
function listPodsSync(): { node: string; pid: number }[] {
  return agentPods.map((p) => ({ node: p.node, pid: lab.podRecord('lumen-system', p.name).containers.agent!.pid! }));
}

async function parallel<T>(items: T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe.skipIf(!!labSkipReason)(`lumen-agent with ${SERVICES} services${labSkipReason ? ` (skipped: ${labSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    const missing = missingAgentArtifacts(repo);
    if (missing.length) throw new Error(`build first: ${missing.join(', ')}`);
    lab = labRef.lab as LabHandle;
    kube = labClient(lab.kubeconfig);
    await installAgent(lab, kube);
    await applyAll(kube, [namespace(NS), echoDeployment(NS, 'echo', 2, { app: 'echo' }, [{ name: 'http', port: 8080 }]), clientPod(NS, 'client', lab.nodes[0]!.name)]);
    echo = await waitReadyPods(kube, NS, 'app=echo', 2);
    await waitReadyPods(kube, NS, 'app=client', 1);
  });

  afterAll(async () => {
    if (!kube) return;
    await remove(kube, namespace(NS));
    kube.close();
  });

  it(`programs ${SERVICES} services on every node and syncs them at start`, async () => {
    const t0 = Date.now();
    // Selector-less Services with hand-made EndpointSlices: the test controls the backends
    // and does not wait on the controller-manager's rate-limited slice controller.
    await parallel(Array.from({ length: SERVICES }, (_, i) => i), 16, async (i) => {
      const name = `svc-${i}`;
      await kube.create(`/api/v1/namespaces/${NS}/services`, {
        apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS },
        spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
      });
      await kube.create(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: echo.map((p) => ({ addresses: [p.status.podIP], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.spec.nodeName })),
      });
    });
    const created = Date.now() - t0;
    await waitFor(`${SERVICES} services programmed on every node`, async () => {
      const all = await Promise.all(lab.nodes.map((n) => programmedInNamespace(n.name)));
      return all.every((n) => n >= SERVICES) ? true : undefined;
    }, 180_000, 500);
    const programmed = Date.now() - t0;
    const last = (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services/svc-${SERVICES - 1}`)).spec.clusterIP;
    const r = await lab.execPod(NS, 'client', ['client', 'tcp', last, '80', 'x'], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    agentPods = (await listPods(kube, 'lumen-system', AGENT_SELECTOR)).map((p) => ({ name: p.metadata.name, node: p.spec.nodeName! }));
    const rssWarm = agentRssKiB();

    // Restart: the sync a fresh agent does with everything already in the API and the maps.
    const old = await listPods(kube, 'lumen-system', AGENT_SELECTOR);
    for (const p of old) await remove(kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name, namespace: 'lumen-system' } });
    await waitFor('restarted agents Ready', async () => {
      const now = (await listPods(kube, 'lumen-system', AGENT_SELECTOR)).filter((p) => !old.some((o) => o.metadata.uid === p.metadata.uid));
      return now.length === lab.nodes.length && now.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? now : undefined;
    }, 120_000);
    agentPods = (await listPods(kube, 'lumen-system', AGENT_SELECTOR)).map((p) => ({ name: p.metadata.name, node: p.spec.nodeName! }));
    const after = await Promise.all(lab.nodes.map((n) => status(n.name)));
    for (const n of lab.nodes) expect(await programmedInNamespace(n.name)).toBe(SERVICES);
    const rssRestart = agentRssKiB();
    const report = {
      services: SERVICES,
      createMs: created,
      createToProgrammedOnAllNodesMs: programmed,
      initialSyncMsAfterRestart: Object.fromEntries(lab.nodes.map((n, i) => [n.name, after[i]!.sync.initialSyncMs])),
      rssKiBAfterLiveSync: rssWarm,
      rssKiBAfterRestartSync: rssRestart,
    };
    console.log(`[agent-scale] ${JSON.stringify(report)}`);
    expect(Object.values(report.initialSyncMsAfterRestart).every((v) => typeof v === 'number' && v > 0)).toBe(true);
  });
});
