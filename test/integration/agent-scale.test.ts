// Many Services at once: every node programs all of them, the last one carries traffic, and
// a restarted agent finds them all again (from the API and its pinned maps). The timing and
// memory numbers for the same scenario come from test/bench/agent-sync.ts, not from here.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHandle } from '../lab/index.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import {
  applyAll, clientPod, echoDeployment, installAgent, labClient, missingAgentArtifacts,
  namespace, remove, waitReadyPods, type PodLite,
  agentLab, labSkipReason,
} from './agent-helpers.js';
import { agentStatus, createServices, programmedInNamespace, restartAgents, waitProgrammed } from './agent-scale-scenario.js';

const repo = join(import.meta.dirname, '../..');
const labRef = agentLab();
const NS = `lscale-${Date.now().toString(36).slice(-5)}`;
const SERVICES = Number(process.env.LUMEN_SCALE_SERVICES ?? 300);

let lab: LabHandle;
let kube: KubeClient;
let echo: PodLite[];

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

  it(`programs ${SERVICES} services on every node and finds them again after a restart`, async () => {
    await createServices(kube, NS, echo, 0, SERVICES);
    await waitProgrammed(lab, repo, NS, SERVICES, echo.length);
    const last = (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services/svc-${SERVICES - 1}`)).spec.clusterIP;
    const r = await lab.execPod(NS, 'client', ['client', 'tcp', last, '80', 'x'], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);

    await restartAgents(lab, kube);
    for (const n of lab.nodes) {
      expect(await programmedInNamespace(lab, repo, n.name, NS, echo.length)).toBe(SERVICES);
      expect((await agentStatus(lab, repo, n.name)).sync.initialSyncMs).toBeGreaterThan(0);
    }
    const again = await lab.execPod(NS, 'client', ['client', 'tcp', last, '80', 'x'], { timeoutMs: 10_000 });
    expect(again.code, again.stderr).toBe(0);
  });
});
