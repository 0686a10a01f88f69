// Many Services in a lab with the agent installed: create them, wait until every node has
// programmed them, restart the agents and read their sync time and memory. Shared by the
// scale test (correctness) and test/bench/agent-sync.ts (the measurement).
import { readFileSync } from 'node:fs';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import type { LabHandle } from '../lab/index.js';
import { AGENT_SELECTOR, listPods, lumenCli, remove, waitFor, type PodLite } from './agent-helpers.js';
import { mapLimited } from '../../src/shared/async/index.js';

export interface AgentStatusLite {
  sync: { initialSyncMs: number | null };
}

export async function agentStatus(lab: LabHandle, repo: string, node: string): Promise<AgentStatusLite> {
  return JSON.parse(await lumenCli(lab, repo, node, ['status', '-o', 'json'])) as AgentStatusLite;
}

/** Frontends of services in `namespace` whose backends (all `backends` of them) are in the node's maps. */
export async function programmedInNamespace(lab: LabHandle, repo: string, node: string, namespace: string, backends: number): Promise<number> {
  const list = JSON.parse(await lumenCli(lab, repo, node, ['service', 'list', '-o', 'json'])) as {
    desired: { service: { namespace: string } } | null;
    realized: { backends: unknown[] } | null;
  }[];
  return list.filter((e) => e.desired?.service.namespace === namespace && e.realized?.backends.length === backends).length;
}

/**
 * Selector-less Services `svc-<from..to-1>` with hand-made EndpointSlices pointing at
 * `backends`: the caller controls the backends and does not wait on the controller-manager's
 * rate-limited slice controller.
 */
export async function createServices(kube: KubeClient, namespace: string, backends: PodLite[], from: number, to: number): Promise<void> {
  await mapLimited(Array.from({ length: to - from }, (_, i) => from + i), 16, async (i) => {
    const name = `svc-${i}`;
    await kube.create(`/api/v1/namespaces/${namespace}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    });
    await kube.create(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: backends.map((p) => ({ addresses: [p.status.podIP], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.spec.nodeName })),
    });
  });
}

export async function waitProgrammed(lab: LabHandle, repo: string, namespace: string, count: number, backends: number, timeoutMs = 180_000): Promise<void> {
  await waitFor(`${count} services programmed on every node`, async () => {
    const all = await Promise.all(lab.nodes.map((n) => programmedInNamespace(lab, repo, n.name, namespace, backends)));
    return all.every((n) => n >= count) ? true : undefined;
  }, timeoutMs, 500);
}

/** Deletes every agent pod and waits until their replacements are Ready; returns them. */
export async function restartAgents(lab: LabHandle, kube: KubeClient): Promise<PodLite[]> {
  const old = await listPods(kube, 'lumen-system', AGENT_SELECTOR);
  for (const p of old) await remove(kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name, namespace: 'lumen-system' } });
  return waitFor('restarted agents Ready', async () => {
    const now = (await listPods(kube, 'lumen-system', AGENT_SELECTOR)).filter((p) => !old.some((o) => o.metadata.uid === p.metadata.uid));
    return now.length === lab.nodes.length && now.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? now : undefined;
  }, 120_000);
}

/** Resident memory of each node's agent process, KiB. */
export async function agentRssKiB(lab: LabHandle, kube: KubeClient): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await listPods(kube, 'lumen-system', AGENT_SELECTOR)) {
    const pid = lab.podRecord('lumen-system', p.metadata.name).containers.agent?.pid;
    if (!pid) continue;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    out[p.spec.nodeName!] = Number(m?.[1] ?? 0);
  }
  return out;
}
