// lumen-agent lifecycle in the lab with real traffic: scaling a Deployment down drains the
// terminating backend (no new connections, established ones complete), restarting the
// agents under load breaks nothing, and uninstalling removes programs, pins and the CNI.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHandle } from '../lab/index.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import {
  AGENT_SELECTOR, applyAll, clientPod, echoDeployment, installAgent, labClient, listPods, lumenCli, missingAgentArtifacts,
  namespace, objectPath, remove, service, waitFor, waitReadyPods, type K8sObject,
  agentLab, labSkipReason, waitServiceRealized,
} from './agent-helpers.js';

const repo = join(import.meta.dirname, '../..');
const labRef = agentLab();
const NS = `llife-${Date.now().toString(36).slice(-5)}`;

let lab: LabHandle;
let kube: KubeClient;
let objects: K8sObject[];

interface LoadLine { t: number; event: string; newOk?: number; newFail?: number; longOk?: number; longFail?: number; pods?: Record<string, number>; error?: string }
/** CLI -o json output: an array (or an { items } envelope). */
function listOf<T>(out: string): T[] {
  const v = JSON.parse(out) as T[] | { items: T[] };
  return Array.isArray(v) ? v : v.items;
}
const parseLoad = (stdout: string): LoadLine[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LoadLine);

async function serviceIP(name: string): Promise<string> {
  return (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services/${name}`)).spec.clusterIP;
}

describe.skipIf(!!labSkipReason)(`lumen-agent lifecycle in the lab${labSkipReason ? ` (skipped: ${labSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    const missing = missingAgentArtifacts(repo);
    if (missing.length) throw new Error(`build first: ${missing.join(', ')}`);
    lab = labRef.lab as LabHandle;
    kube = labClient(lab.kubeconfig);
    ({ objects } = await installAgent(lab, kube));
    const n1 = lab.nodes[0]!.name;
    // A backend that drains like a real server: on SIGTERM it keeps serving 8 s, then exits.
    const drain = echoDeployment(NS, 'drain', 2, { app: 'drain' }, [{ name: 'http', port: 8080 }], { grace: 30 });
    const c = (drain.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
    c.command = ['sh', '-c', `trap 'sleep 8; kill $pid' TERM; ${join(lab.info.binDir, 'echo-server')} & pid=$!; wait $pid; wait $pid`];
    await applyAll(kube, [
      namespace(NS),
      drain,
      service(NS, 'drain', { app: 'drain' }, [{ name: 'http', port: 80, targetPort: 'http' }]),
      echoDeployment(NS, 'echo', 2, { app: 'echo' }, [{ name: 'http', port: 8080 }]),
      service(NS, 'echo', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http' }]),
      clientPod(NS, 'client', n1),
    ]);
    await waitReadyPods(kube, NS, 'app=drain', 2);
    await waitReadyPods(kube, NS, 'app=echo', 2);
    await waitReadyPods(kube, NS, 'app=client', 1);
    await waitServiceRealized(lab, repo, NS, 'drain', 2);
    await waitServiceRealized(lab, repo, NS, 'echo', 2);
  });

  afterAll(async () => {
    if (!kube) return;
    await remove(kube, namespace(NS));
    kube.close();
  });

  it('scale down: no new connection goes to the removed backend; established ones to it complete', async () => {
    const ip = await serviceIP('drain');
    const t0 = Date.now();
    const load = lab.execPod(NS, 'client', ['client', 'load', ip, '80', '--interval-ms', '100', '--long-lived', '10', '--duration-s', '7', '--report-ms', '500'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const scaledAt = Date.now() - t0;
    await kube.mergePatch(`/apis/apps/v1/namespaces/${NS}/deployments/drain`, { spec: { replicas: 1 } });
    const victim = await waitFor('an endpoint of drain to be terminating', async () => {
      const slices = await kube.get<{ items: { endpoints?: { conditions?: { terminating?: boolean }; targetRef?: { name: string } }[] }[] }>(
        `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=drain')}`);
      return slices.items.flatMap((s) => s.endpoints ?? []).find((e) => e.conditions?.terminating)?.targetRef?.name;
    }, 20_000, 100);
    // The datapath keeps the terminating backend (for established connections) but new
    // connections never pick it while an active one exists.
    await waitFor('the agent to mark the backend terminating', async () => {
      const all = await Promise.all(lab.nodes.map((n) => lumenCli(lab, repo, n.name, ['service', 'list', '-o', 'json'])));
      return all.every((out) => listOf<{ desired: { service: { name: string } } | null; realized: { backends: { state: string }[] } | null }>(out)
        .some((e) => e.desired?.service.name === 'drain' && e.realized?.backends.some((b) => b.state === 'terminating'))) ? true : undefined;
    }, 10_000, 100);
    const fresh: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await lab.execPod(NS, 'client', ['client', 'tcp', ip, '80', 'new'], { timeoutMs: 10_000 });
      expect(r.code, r.stderr).toBe(0);
      fresh.push((/"pod":"([^"]+)"/.exec(r.stdout) ?? [])[1]!);
    }
    expect(fresh).not.toContain(victim);
    const res = await load;
    const lines = parseLoad(res.stdout);
    const final = lines.find((l) => l.event === 'final')!;
    expect(final, res.stdout + res.stderr).toBeDefined();
    expect(lines.filter((l) => l.event === 'fail')).toEqual([]);
    expect(final.newFail).toBe(0);
    expect(final.longFail).toBe(0);
    // The long-lived connections on the terminating backend kept exchanging after the scale-down.
    const before = lines.filter((l) => l.event === 'summary' && l.t <= scaledAt).pop();
    expect((final.pods?.[victim] ?? 0)).toBeGreaterThan(before?.pods?.[victim] ?? 0);
  });

  it('restarting both agents while a client holds connections and opens one every 10 ms breaks nothing', async () => {
    const ip = await serviceIP('echo');
    // The scale-down victim must be gone first, or its CNI DEL changes the endpoint lists.
    await waitFor('the drained pod gone', async () => ((await listPods(kube, NS, 'app=drain')).length === 1 ? true : undefined), 60_000);
    const before = await Promise.all(lab.nodes.map((n) => lumenCli(lab, repo, n.name, ['endpoint', 'list', '-o', 'json'])));
    const load = lab.execPod(NS, 'client', ['client', 'load', ip, '80', '--interval-ms', '10', '--long-lived', '4', '--duration-s', '15', '--report-ms', '1000'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 3000));
    const agents = await listPods(kube, 'lumen-system', AGENT_SELECTOR);
    for (const p of agents) await remove(kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name, namespace: 'lumen-system' } });
    await waitFor('new agent pods Ready', async () => {
      const now = (await listPods(kube, 'lumen-system', AGENT_SELECTOR)).filter((p) => !agents.some((a) => a.metadata.uid === p.metadata.uid));
      return now.length === lab.nodes.length && now.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
    }, 60_000);
    const res = await load;
    const lines = parseLoad(res.stdout);
    const final = lines.find((l) => l.event === 'final');
    expect(final, res.stdout + res.stderr).toBeDefined();
    expect(lines.filter((l) => l.event === 'fail')).toEqual([]);
    expect(final!.newFail).toBe(0);
    expect(final!.longFail).toBe(0);
    expect(final!.newOk).toBeGreaterThan(500);
    // The restarted agents found the same endpoints (restored from IPAM state and the maps).
    const after = await Promise.all(lab.nodes.map((n) => lumenCli(lab, repo, n.name, ['endpoint', 'list', '-o', 'json'])));
    const ids = (out: string) => listOf<{ id: number; ipv4: string }>(out).map((e) => `${e.id}=${e.ipv4}`).sort();
    expect(after.map(ids)).toEqual(before.map(ids));
  });

  it('uninstall (cleanup-on-exit) detaches programs, removes pins and the CNI config', async () => {
    await remove(kube, namespace(NS));
    await waitFor(`namespace ${NS} gone`, async () => (await kube.get(`/api/v1/namespaces/${NS}`).then(() => undefined, () => true)), 90_000);
    await installAgent(lab, kube, { cleanupOnExit: true });
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    await remove(kube, ds);
    await waitFor('agent pods gone', async () => ((await listPods(kube, 'lumen-system', AGENT_SELECTOR)).length === 0 ? true : undefined), 60_000);
    for (const n of lab.nodes) {
      const pins = await lab.exec(n.name, ['sh', '-c', 'ls /sys/fs/bpf/lumen 2>/dev/null | grep -c lumen_ || true']);
      expect(pins.stdout.trim()).toBe('0');
      expect((await lab.exec(n.name, ['test', '-e', '/etc/cni/net.d/05-lumen.conflist'])).code).not.toBe(0);
      const tc = await lab.exec(n.name, ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress']);
      expect(tc.stdout).not.toMatch(/from_netdev/);
    }
    // Pods created now get the lab's fallback network.
    for (const o of [...objects].reverse()) if (o.kind !== 'CustomResourceDefinition' && o.kind !== 'DaemonSet') await remove(kube, o);
    expect(objectPath(ds)).toContain('daemonsets');
  });
});
