// Browser-mode e2e against a 2-node lab with the agent installed: the console's agent client through the real pod proxy
// (calls, flows, typed failures), the Services view (table, graph across both nodes, scaling, drift injected with the
// agent's own `lumen bpf lb delete`) and the Identities view (labels, endpoints, selecting policies). Screenshots in
// .artifacts/e2e/services-*.png and identities-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, AgentsClient } from '../../src/main/agents/index.js';
import { ExecCredentials } from '../../src/main/cluster/exec.js';
import { KubeHttp } from '../../src/main/cluster/http.js';
import { buildContextTarget } from '../../src/main/cluster/kubeconfig/clientConfig.js';
import { loadKubeconfig } from '../../src/main/cluster/kubeconfig/service.js';
import type { Flow } from '../../src/shared/flow/index.js';
import { parseFlowFilter } from '../../src/shared/flow/index.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import {
  applyAll, clientPod, echoDeployment, installAgent, labClient, lumenCli, missingAgentArtifacts, namespace, remove, service, waitFor,
  waitReadyPods, type PodLite,
} from '../integration/agent-helpers.js';
import { startLab, type Lab } from '../lab/index.js';
import { browserMissing, openBrowser, type BrowserSession } from './helpers/browser.js';
import { eventually, expectText } from './helpers/expect.js';
import { firstContext } from './helpers/kubeconfig.js';
import { REPO_ROOT, serveConsole, type ServedConsole } from './helpers/serve.js';

const NS = `lviews-${Date.now().toString(36).slice(-5)}`;
const ARTIFACTS = path.join(REPO_ROOT, '.artifacts/e2e');
const noLab = process.getuid?.() !== 0 ? 'the lab needs root' : null;
const missing = missingAgentArtifacts(REPO_ROOT);
const why = noLab ?? browserMissing() ?? (missing.length ? `build first: ${missing.join(', ')}` : null);

let lab: Lab;
let kube: KubeClient;
let http: KubeHttp;
let clusterIP: string;
let echo: PodLite[];

/** Screenshot once graph transitions settled, with any details panel scrolled to its top (the graph). */
async function shot(name: string): Promise<void> {
  await browser.page.waitForTimeout(600);
  await browser.page.locator('.svc-detail').evaluateAll((els) => els.forEach((el) => el.scrollTo(0, 0)));
  await browser.page.screenshot({ path: path.join(ARTIFACTS, name) });
}
let browser: BrowserSession;
let served: ServedConsole;

async function adminHttp(kubeconfig: string): Promise<KubeHttp> {
  const exec = new ExecCredentials();
  const { merged } = await loadKubeconfig({ env: { KUBECONFIG: kubeconfig }, exec });
  return new KubeHttp(buildContextTarget(merged, [...merged.contexts.keys()][0]!, exec));
}

async function scale(replicas: number): Promise<PodLite[]> {
  await kube.mergePatch(`/apis/apps/v1/namespaces/${NS}/deployments/echo`, { spec: { replicas } });
  return waitReadyPods(kube, NS, 'app=echo', replicas, 120_000);
}

// One lab for the file: starting one takes a while on two cores.
beforeAll(async () => {
  if (why) return;
  const t0 = Date.now();
  lab = await startLab({ nodes: 2, log: (line) => process.stdout.write(`[lab] ${line}\n`) });
  kube = labClient(lab.kubeconfig);
  await installAgent(lab, kube);
  const dep = echoDeployment(NS, 'echo', 2, { app: 'echo' }, [{ name: 'http', port: 8080 }]);
  // One replica per node while there are two; a third goes anywhere.
  (dep.spec as { template: { spec: Record<string, unknown> } }).template.spec.topologySpreadConstraints = [
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'echo' } } },
  ];
  await applyAll(kube, [
    namespace(NS, { team: 'views' }),
    dep,
    service(NS, 'echo', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http' }]),
    clientPod(NS, 'client', lab.nodes[0]!.name),
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'echo-from-client', namespace: NS },
      spec: { podSelector: { matchLabels: { app: 'echo' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }] },
    },
  ]);
  echo = await waitReadyPods(kube, NS, 'app=echo', 2);
  await waitReadyPods(kube, NS, 'app=client', 1);
  clusterIP = (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services/echo`)).spec.clusterIP;
  http = await adminHttp(lab.kubeconfig);
  mkdirSync(ARTIFACTS, { recursive: true });
  process.stdout.write(`[e2e] lab ${lab.instance} with agent and workload up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  if (kube) {
    await remove(kube, namespace(NS)).catch(() => undefined);
    kube.close();
  }
  await lab?.stop();
});

describe.skipIf(why !== null)(`the console's agent client through the lab's pod proxy${why ? ` (skipped: ${why})` : ''}`, () => {
  it('finds one Ready agent per node and reads status and realized services from each', async () => {
    const agents = new AgentsClient({ http: () => http });
    const found = await agents.agents();
    expect(found.map((a) => a.node)).toEqual(lab.nodes.map((n) => n.name).sort());
    expect(found.every((a) => a.pod?.ready && a.pod.port === 4244)).toBe(true);
    const statuses = await agents.forEachAgent((node) => agents.status(node));
    expect(statuses.map((s) => [s.node, s.ok && s.value.node, s.ok && s.value.ready])).toEqual(found.map((a) => [a.node, a.node, true]));
    for (const { node } of found) {
      const entry = (await agents.services(node)).find((e) => e.desired?.service.namespace === NS && e.desired.service.name === 'echo');
      expect(entry?.frontend).toEqual({ ip: clusterIP, port: 80, protocol: 'TCP' });
      expect(entry?.realized?.backends.map((b) => b.ip).sort()).toEqual(echo.map((p) => p.status.podIP).sort());
    }
  });

  it('follows flows of real traffic as NDJSON from the agents', async () => {
    const agents = new AgentsClient({ http: () => http });
    const controller = new AbortController();
    const flows: Flow[] = [];
    const following = lab.nodes.map((n) => agents.followFlows(n.name, parseFlowFilter(`namespace:${NS}`), (f) => flows.push(f), controller.signal));
    try {
      const got = await eventually('a flow from client to an echo pod', async () => {
        const r = await lab.execPod(NS, 'client', ['client', 'tcp', clusterIP, '80', 'hello'], { timeoutMs: 10_000 });
        expect(r.code).toBe(0);
        return flows.find((f) => f.source.pod === 'client' && f.destination.pod?.startsWith('echo-') && f.verdict === 'FORWARDED');
      }, 30_000);
      expect(got.destination.namespace).toBe(NS);
    } finally {
      controller.abort();
    }
    await Promise.all(following);
  });

  it('types real failures: a wrong token (401 from the agent), RBAC without pods/proxy, a node without agent', async () => {
    const node = lab.nodes[1]!.name;
    const wrong = new AgentsClient({ http: () => http, readToken: async () => 'not-the-install-token-0000' });
    const mismatch = await wrong.services(node).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(AgentError);
    expect((mismatch as AgentError).failure).toBe('token-mismatch');
    expect((mismatch as AgentError).message).toMatch(new RegExp(`^agent on node "${node}" \\(pod lumen-system/lumen-agent-\\w+\\) rejected the install token \\(401\\)$`));

    // A user who may find the agents and read the token, but not use the pod proxy.
    const user = 'lumen-e2e-viewer';
    await applyAll(kube, [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'e2e-viewer', namespace: 'lumen-system' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'e2e-viewer', namespace: 'lumen-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'e2e-viewer' }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] },
    ]);
    const viewerHttp = await adminHttp(await lab.userKubeconfig(user));
    const viewer = new AgentsClient({ http: () => viewerHttp });
    const forbidden = await waitFor('RBAC to apply', async () => {
      const e = await viewer.services(node).catch((x: unknown) => x);
      return e instanceof AgentError && e.failure === 'forbidden' ? e : undefined;
    }, 15_000);
    expect(forbidden.code).toBe('forbidden');
    expect(forbidden.message).toContain(`agent on node "${node}"`);
    expect(forbidden.payload.detail).toContain('pods/proxy');

    const none = await new AgentsClient({ http: () => http }).services('node-99').catch((e: unknown) => e);
    expect((none as AgentError).failure).toBe('not-running');
    expect((none as AgentError).message).toBe('no node "node-99" in the cluster has a Lumen agent');
  });
});

describe.skipIf(why !== null)(`Services and Identities views against the lab${why ? ` (skipped: ${why})` : ''}`, () => {
  const backendRows = () => browser.page.getByRole('table', { name: 'Backends' }).locator('tbody tr');
  const nodeState = (node: string) => browser.page.getByRole('list', { name: 'Realized per node' }).locator(`li[data-node="${node}"]`);

  beforeAll(async () => {
    served = await serveConsole({ KUBECONFIG: lab.kubeconfig });
    browser = await openBrowser();
    const ctx = firstContext(readFileSync(lab.kubeconfig, 'utf8'));
    await browser.page.goto(served.url);
    await browser.page.getByRole('region', { name: 'Context details' }).getByRole('button', { name: `Connect to ${ctx.name}` }).click();
    await expectText(browser.page.getByRole('status', { name: 'Connection status' }), 'Connected', 30_000);
  });

  it('lists the services; the graph shows the backends on both nodes, every node in sync', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Services' }).click();
    const grid = page.getByRole('grid', { name: 'Services' });
    await expectText(grid, `${NS}/echo`, 20_000);
    await expectText(grid, 'default/kubernetes');
    await page.getByRole('searchbox', { name: 'Search services' }).fill(`${NS} echo`);
    await eventually('one matching row', async () => (await grid.getByRole('row').count()) === 2);
    await shot('services-table.png');
    await grid.getByRole('row').filter({ hasText: `${NS}/echo` }).click();

    const details = page.getByRole('region', { name: 'Service details' });
    await expectText(details, clusterIP);
    await eventually('two backends on both nodes', async () => {
      const rows = await backendRows().allInnerTexts();
      return rows.length === 2 && lab.nodes.every((n) => rows.some((r) => r.includes(n.name) && r.includes('ready'))) ? rows : undefined;
    }, 20_000);
    for (const n of lab.nodes) await expectText(nodeState(n.name), 'in sync', 20_000);
    const graph = details.getByRole('img');
    await eventually('graph elements drawn', async () => Number(await graph.getAttribute('data-elements')) >= 7);
    expect(await graph.getAttribute('aria-label')).toContain('2 backends on 2 nodes; no drift');
    // Each backend carries its pod's identity (from its LumenEndpoint, written by the agent).
    for (const p of echo) {
      const le = await kube.get<{ status: { identity: { id: number } } }>(`/apis/lumen.dev/v1/namespaces/${NS}/lumenendpoints/${p.metadata.name}`);
      await expectText(backendRows().filter({ hasText: p.status.podIP! }), String(le.status.identity.id));
    }
    await shot('services-graph.png');

    // Hovering a backend on the canvas shows its identity: scan the backend column for it.
    const box = (await graph.boundingBox())!;
    const tooltip = page.getByRole('tooltip');
    let shown = '';
    for (let fx = 0.4; fx <= 0.62 && !shown; fx += 0.04) {
      for (let fy = 0.1; fy <= 0.9 && !shown; fy += 0.03) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
        if (await tooltip.isVisible().catch(() => false)) {
          const text = await tooltip.innerText();
          if (text.startsWith('identity ')) shown = text;
        }
      }
    }
    expect(shown).toMatch(new RegExp(`^identity \\d+: app=echo, ns:kubernetes.io/metadata.name=${NS}, ns:team=views$`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'services-hover.png') });
    await page.mouse.move(0, 0);

    // The spec side copies as JSON.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    await details.getByRole('button', { name: 'Copy desired JSON' }).click();
    const copied = JSON.parse(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())) as { service: { name: string }; frontends: { frontend: string; backends: unknown[] }[] };
    expect(copied.service.name).toBe('echo');
    expect(copied.frontends).toEqual([expect.objectContaining({ frontend: `${clusterIP}:80/TCP`, backends: expect.arrayContaining([expect.objectContaining({ ip: echo[0]!.status.podIP })]) })]);
  });

  it('follows the Deployment as it scales to 3 and to 1, updating the same graph in place', async () => {
    // The canvas element of the graph: updates must reuse it (cytoscape is never rebuilt on a delta).
    const canvas = await browser.page.getByRole('region', { name: 'Service details' }).getByRole('img').locator('canvas').first().elementHandle();
    echo = await scale(3);
    await eventually('three ready backends', async () => (await backendRows().filter({ hasText: 'ready' }).count()) === 3 && (await backendRows().count()) === 3, 30_000);
    const graph = browser.page.getByRole('region', { name: 'Service details' }).getByRole('img');
    await eventually('the graph to hold 3 backends', async () => (await graph.getAttribute('aria-label'))?.includes('3 backends on 2 nodes'), 10_000);
    await shot('services-scaled-3.png');
    echo = await scale(1);
    await eventually('one backend left', async () => (await backendRows().count()) === 1, 60_000);
    const left = echo[0]!;
    await expectText(backendRows().first(), left.status.podIP!);
    await expectText(backendRows().first(), left.spec.nodeName!);
    for (const n of lab.nodes) await expectText(nodeState(n.name), 'in sync', 20_000);
    await shot('services-scaled-1.png');
    expect(await canvas!.evaluate((el) => el.isConnected)).toBe(true);
  });

  it('shows drift on the node whose agent map lost a backend', async () => {
    const left = echo[0]!;
    const victim = lab.nodes.find((n) => n.name !== left.spec.nodeName)!.name;
    const other = lab.nodes.find((n) => n.name !== victim)!.name;
    const out = await lumenCli(lab, REPO_ROOT, victim, ['bpf', 'lb', 'delete', `${clusterIP}:80/TCP`, `${left.status.podIP}:8080`]);
    expect(out).toContain(`Removed backend ${left.status.podIP}:8080 from ${clusterIP}:80/TCP`);
    const details = browser.page.getByRole('region', { name: 'Service details' });
    await expectText(nodeState(victim), `backend ${left.status.podIP}:8080 of ${clusterIP}:80/TCP is missing from the maps`, 20_000);
    await expectText(details.getByRole('status', { name: 'Drift' }), `drift on ${victim}`);
    await expectText(nodeState(other), 'in sync');
    expect(await details.getByRole('img').getAttribute('aria-label')).toContain(`drift on ${victim}`);
    // The realized JSON of that node says the same.
    await details.getByRole('tab', { name: victim }).click();
    const realized = JSON.parse(await details.getByLabel('Realized JSON', { exact: true }).innerText()) as { node: string; entries: { frontend: { ip: string }; desired: { backends: { ip: string }[] }; realized: { backends: { ip: string }[] } }[] };
    expect(realized.node).toBe(victim);
    const fe = realized.entries.find((e) => e.frontend.ip === clusterIP)!;
    expect(fe.desired.backends.map((b) => b.ip)).toContain(left.status.podIP);
    expect(fe.realized.backends.map((b) => b.ip)).not.toContain(left.status.podIP);
    await shot('services-drift.png');

    // The next reconcile of the service (a new backend) puts it back: drift clears.
    echo = await scale(2);
    await expectText(nodeState(victim), 'in sync', 30_000);
  });

  it('shows the test pods\' identities with labels, endpoints and the policies selecting them', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Identities' }).click();
    await page.getByRole('searchbox', { name: 'Search identities' }).fill(NS);
    const grid = page.getByRole('grid', { name: 'Identities' });
    await expectText(grid, 'app=echo', 20_000);
    await expectText(grid, 'app=client');
    await expectText(page.getByRole('region', { name: 'Reserved identities' }), 'reserved:world');
    await grid.getByRole('row').filter({ hasText: 'app=echo' }).click();
    const details = page.getByRole('region', { name: 'Identity details' });
    await expectText(details.getByRole('list', { name: 'Labels' }), `ns:kubernetes.io/metadata.name=${NS}`);
    await expectText(details.getByRole('list', { name: 'Labels' }), 'ns:team=views');
    const endpoints = details.getByRole('table', { name: 'Identity endpoints' }).locator('tbody tr');
    await eventually('the echo pods as endpoints', async () => (await endpoints.count()) === echo.length, 20_000);
    for (const p of echo) await expectText(endpoints, p.metadata.name);
    await expectText(details.getByRole('list', { name: 'Ingress selecting policies' }), `${NS}/echo-from-client`);
    await expectText(details.getByRole('list', { name: 'Ingress peers' }), 'app=client');
    await expectText(details.getByRole('region', { name: 'Egress policy' }), 'any identity');
    await shot('identities-echo.png');

    await page.getByRole('tab', { name: 'Endpoints' }).click();
    const eps = page.getByRole('grid', { name: 'Endpoints' });
    const echoRow = eps.getByRole('row').filter({ hasText: echo[0]!.metadata.name });
    await expectText(echoRow, 'enabled', 20_000);
    await expectText(echoRow, echo[0]!.status.podIP!);
    await expectText(echoRow, 'ready');
    await shot('identities-endpoints.png');
    expect(browser.problems).toEqual([]);
  });
});
