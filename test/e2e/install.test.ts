// Browser-mode e2e of the Install wizard and the Status view against a 2-node lab of its own: a failed rollout
// (an image the lab cannot run) shows the reason per node and rolls back; then preflight → options → review (YAML,
// copy, save-as) → apply and rollout → a passing connectivity check, a screenshot per step; Status shows every
// agent; an upgrade shows its diff and rolls out; uninstall leaves no Lumen object and no BPF pin.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startLab, type KubeClient, type Lab } from '../lab/index.js';
import { browserMissing, openBrowser, type BrowserSession } from './helpers/browser.js';
import { eventually, expectText } from './helpers/expect.js';
import { firstContext, type LabContext } from './helpers/kubeconfig.js';
import { REPO_ROOT, serveConsole, type ServedConsole } from './helpers/serve.js';

const ARTIFACTS = ['dist/agent/lumen-agent.mjs', 'agent/cni/lumen-cni', 'agent/native/build/Release/lumen_bpf.node', 'bpf/.output/lxc.bpf.o'];
const noLab = process.getuid?.() !== 0 ? 'the lab needs root' : null;
const why = noLab ?? browserMissing();
const SHOTS = path.join(REPO_ROOT, '.artifacts/e2e');

let lab: Lab;
let labCtx: LabContext;
let served: ServedConsole;
let browser: BrowserSession;
let admin: KubeClient;

beforeAll(async () => {
  if (why) return;
  const missing = ARTIFACTS.filter((p) => !existsSync(path.join(REPO_ROOT, p)));
  if (missing.length) throw new Error(`build first (npm run build:agent, build:cni, build:native, build:bpf): missing ${missing.join(', ')}`);
  const t0 = Date.now();
  lab = await startLab({ nodes: 2, log: (line) => process.stdout.write(`[lab] ${line}\n`) });
  process.stdout.write(`[e2e] lab ${lab.instance} up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  admin = lab.client();
  labCtx = firstContext(readFileSync(lab.kubeconfig, 'utf8'));
  served = await serveConsole({ KUBECONFIG: lab.kubeconfig });
  browser = await openBrowser();
  await browser.page.setViewportSize({ width: 1400, height: 1500 });
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
  mkdirSync(SHOTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  admin?.close();
  await lab?.stop();
}, 120_000);

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `install-${name}.png`) });
const enabled = (page: Page, name: string | RegExp) => page.getByRole('button', { name, exact: typeof name === 'string' }).and(page.locator(':enabled'));

async function runPreflight(page: Page): Promise<void> {
  await page.goto(`${served.origin}/#/install`);
  const start = page.getByRole('button', { name: /^(Run preflight|Start over)$/ });
  await start.first().click();
  await enabled(page, 'Next: options').waitFor({ timeout: 60_000 });
}

describe.skipIf(why !== null)(`Install wizard against the lab${why ? ` (skipped: ${why})` : ''}`, () => {
  it('connects to the lab', async () => {
    const { page } = browser;
    await page.goto(served.url);
    const contexts = page.getByRole('listbox', { name: 'Contexts' });
    await contexts.getByRole('option', { name: labCtx.name }).click();
    const details = page.getByRole('region', { name: 'Context details' });
    await details.getByRole('button', { name: `Connect to ${labCtx.name}` }).click();
    await expectText(details.getByLabel('Server version'), 'v1.36', 30_000);
  });

  it('a rollout the lab cannot run shows the reason per node, not a timeout, and rolls back', async () => {
    const { page } = browser;
    await runPreflight(page);
    await page.getByRole('button', { name: 'Next: options' }).click();
    await page.getByLabel('Agent image', { exact: true }).fill('registry.example/lumen/broken-agent:0');
    await page.getByRole('button', { name: 'Review the plan' }).click();
    await page.getByLabel('Plan summary').waitFor();
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const rollout = page.getByRole('region', { name: 'Rollout' });
    await expectText(rollout.getByRole('alert'), 'the agent failed on 2 nodes', 90_000);
    expect(Date.now() - t0).toBeLessThan(90_000);
    for (const node of lab.nodes) {
      const card = rollout.locator(`[data-node="${node.name}"]`);
      await expectText(card, 'cannot pull image "registry.example/lumen/broken-agent:0" for init container "mount-bpf-fs"');
      await expectText(card, 'Last events');
      expect(await card.getAttribute('data-state')).toBe('failed');
    }
    await shot(page, '0-failed-rollout');
    await page.getByRole('button', { name: 'Roll back (uninstall)' }).click();
    // No agent ever ran, so none could clean a node: the wizard says so instead of claiming a clean node.
    await expectText(page.getByRole('status').filter({ hasText: 'Rolled back' }), 'Rolled back: removed; BPF state may remain on node-1, node-2', 120_000);
    expect(await page.getByRole('button', { name: 'Next: connectivity check' }).isDisabled()).toBe(true);
    expect(await admin.getOptional('/apis/apps/v1/namespaces/lumen-system/daemonsets/lumen-agent')).toBeFalsy();
  });

  it('runs the wizard from preflight to a passing connectivity check, a screenshot per step', async () => {
    const { page } = browser;
    await runPreflight(page);
    const checks = page.getByRole('list', { name: 'Preflight checks' });
    for (const id of ['api-version', 'permissions', 'kernel', 'cni', 'kube-proxy', 'flavour', 'existing']) {
      expect(await checks.locator(`[data-check="${id}"]`).getAttribute('data-status'), id).toBe('pass');
    }
    await expectText(checks.locator('[data-check="flavour"]'), 'the Lumen lab');
    await expectText(checks.locator('[data-check="permissions"]'), 'permissions the install uses are granted');
    await shot(page, '1-preflight');

    await page.getByRole('button', { name: 'Next: options' }).click();
    expect(await page.getByLabel('Namespace', { exact: true }).inputValue()).toBe('lumen-system');
    expect(await page.getByRole('radio', { name: /Replace kube-proxy/ }).isChecked()).toBe(true);
    const extra = await page.getByLabel('Extra agent config').inputValue();
    expect(extra).toContain(`pod-route-cidrs=${lab.clusterCIDR},${lab.serviceCIDR}`);
    await shot(page, '2-options');

    await page.getByRole('button', { name: 'Review the plan' }).click();
    await expectText(page.getByLabel('Plan summary'), '12 to create · 0 to update · 0 unchanged', 30_000);
    await page.getByRole('button', { name: /Secret\s*lumen-system\/lumen-agent-token/ }).click();
    const secretYaml = await page.getByLabel('YAML of Secret lumen-system/lumen-agent-token').innerText();
    expect(secretYaml).toMatch(/token: "?<redacted: \d+ bytes>/);
    await page.getByRole('button', { name: /DaemonSet\s*lumen-system\/lumen-agent/ }).click();
    await expectText(page.getByLabel('YAML of DaemonSet lumen-system/lumen-agent'), 'kind: DaemonSet');
    await page.getByRole('button', { name: 'Copy YAML' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'copied' }), 'YAML copied to the clipboard');
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toContain('kind: CustomResourceDefinition');
    expect(copied).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save as…' }).click()]);
    expect(download.suggestedFilename()).toBe(`lumen-0.1.0-${labCtx.name.replace(/[^\w.-]+/g, '_')}.yaml`);
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved).toBe(copied);
    expect(saved.split('\n---\n')).toHaveLength(12);
    await shot(page, '3-review');

    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const t0 = Date.now();
    await enabled(page, 'Next: connectivity check').waitFor({ timeout: 180_000 });
    process.stdout.write(`[e2e] apply + rollout: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const rollout = page.getByRole('region', { name: 'Rollout' });
    for (const node of lab.nodes) {
      const card = rollout.locator(`[data-node="${node.name}"]`);
      expect(await card.getAttribute('data-state')).toBe('ready');
      await expectText(card, 'Agent API: ready, version 0.1.0');
    }
    await expectText(page.getByRole('list', { name: 'Applied objects' }).locator('li[data-status="applied"]').last(), 'DaemonSet lumen-system/lumen-agent');
    await shot(page, '4-apply');

    await page.getByRole('button', { name: 'Next: connectivity check' }).click();
    await enabled(page, 'Run again').waitFor({ timeout: 180_000 });
    const results = page.getByRole('list', { name: 'Connectivity checks' });
    for (const id of ['pod-pod-same-node', 'pod-pod-cross-node', 'pod-clusterip', 'node-clusterip', 'nodeport', 'deny-policy']) {
      expect(await results.locator(`[data-check="${id}"]`).getAttribute('data-status'), id).toBe('pass');
    }
    const deny = results.locator('[data-check="deny-policy"]');
    await expectText(deny, 'denied as expected: the agent on node-1 dropped it (lumen-check-deny)');
    await expectText(deny.getByRole('list', { name: 'Flows of a deny policy denies' }).locator('[data-verdict="DROPPED"]').first(), 'lumen-check-deny');
    await expectText(page.getByText('Lumen works on this cluster.'), 'Lumen works');
    const leftovers = await admin.list('/api/v1/namespaces', { labelSelector: 'lumen.dev/connectivity-check=true' });
    expect(leftovers.items).toEqual([]);
    await shot(page, '5-check');
  });

  it('Status shows every agent: version, health, datapath mode, map pressure, flow rate', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/status`);
    await expectText(page.getByLabel('Cluster summary'), '2/2 agents ready', 30_000);
    const nodes = page.getByRole('list', { name: 'Nodes' });
    for (const node of lab.nodes) {
      const card = nodes.locator(`[data-node="${node.name}"]`);
      await expectText(card, 'agent 0.1.0 · ok');
      await expectText(card.getByLabel('Datapath mode'), 'kube-proxy replacement: on');
      await expectText(card.getByRole('table', { name: `Map pressure on ${node.name}` }), 'services');
      expect(await card.getAttribute('data-tone')).toBe('ok');
    }
    // Live: samples keep arriving (every 3 s) and each node's sparkline grows.
    await eventually('flow-rate sparklines of 4+ samples', async () => {
      const points = await nodes.locator('.sparkline polyline').evaluateAll((els) => els.map((e) => (e.getAttribute('points') ?? '').split(' ').length));
      return points.length === lab.nodes.length && points.every((n) => n >= 4);
    }, 30_000);
    await shot(page, '6-status');
  });

  it('an upgrade shows its diff and rolls out node by node', async () => {
    const { page } = browser;
    await runPreflight(page);
    await expectText(page.getByRole('list', { name: 'Preflight checks' }).locator('[data-check="existing"]'), 'Lumen 0.1.0 is installed in lumen-system');
    await page.getByRole('button', { name: 'Next: options' }).click();
    await page.getByLabel('Flow buffer size', { exact: true }).fill('8192');
    await page.getByRole('button', { name: 'Review the plan' }).click();
    await expectText(page.getByLabel('Plan summary'), '0 to create · 2 to update · 10 unchanged', 30_000);
    await page.getByRole('button', { name: /ConfigMap\s*lumen-system\/lumen-config/ }).click();
    const diff = page.getByLabel('Diff of ConfigMap lumen-system/lumen-config');
    await expectText(diff.locator('.diff-del'), 'flow-buffer-size: "16384"');
    await expectText(diff.locator('.diff-add'), 'flow-buffer-size: "8192"');
    await shot(page, '3b-upgrade-diff');
    await page.getByRole('button', { name: 'Apply the upgrade' }).click();
    await enabled(page, 'Next: connectivity check').waitFor({ timeout: 180_000 });
    const cm = await admin.get<{ data: Record<string, string> }>('/api/v1/namespaces/lumen-system/configmaps/lumen-config');
    expect(cm.data['flow-buffer-size']).toBe('8192');
  });

  it('uninstall removes everything: no Lumen object and no BPF pin is left', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/install`);
    await page.getByRole('button', { name: /^6\s*Uninstall/ }).click();
    await page.getByRole('button', { name: `Uninstall Lumen from ${labCtx.name}…` }).click();
    await page.getByRole('button', { name: 'Confirm uninstall' }).click();
    await expectText(page.getByLabel('Leftovers'), 'Nothing of Lumen is left in the cluster.', 240_000);
    await shot(page, '7-uninstall');
    for (const kind of ['/api/v1/namespaces', '/apis/apps/v1/daemonsets', '/api/v1/configmaps', '/api/v1/secrets', '/api/v1/serviceaccounts',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', '/apis/rbac.authorization.k8s.io/v1/roles',
      '/apis/rbac.authorization.k8s.io/v1/rolebindings', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions']) {
      expect((await admin.list(kind, { labelSelector: 'app.kubernetes.io/part-of=lumen' })).items, kind).toEqual([]);
    }
    expect(await admin.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/identities.lumen.dev')).toBeFalsy();
    for (const node of lab.nodes) {
      const r = await lab.exec(node.name, ['sh', '-c', 'ls -A /sys/fs/bpf/lumen 2>/dev/null; ls -A /sys/fs/bpf | grep -i lumen; test -e /etc/cni/net.d/05-lumen.conflist && echo conflist-left; true']);
      expect(r.stdout.trim(), `BPF pins or CNI config left on ${node.name}`).toBe('');
    }
    expect(browser.problems).toEqual([]);
  });
});
