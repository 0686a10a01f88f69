// Browser-mode e2e against a real lab cluster: the Connect view lists the test kubeconfig's
// contexts with the broken ones' errors, connects to the lab (version, permissions, live
// watch caches), and classifies real 401s; plus the console's watch transport on the same
// API server, including a real 410 Gone.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceKind, WireObject } from '../../src/shared/contract/index.js';
import { WatchCache, type WatchBatch } from '../../src/shared/watch/index.js';
import { ExecCredentials } from '../../src/main/cluster/exec.js';
import { KubeHttp } from '../../src/main/cluster/http.js';
import { buildContextTarget } from '../../src/main/cluster/kubeconfig/clientConfig.js';
import { loadKubeconfig } from '../../src/main/cluster/kubeconfig/service.js';
import { kubeWatchTransport } from '../../src/main/cluster/watch/transport.js';
import { startLab, type Lab } from '../lab/index.js';
import { browserMissing, openBrowser, type BrowserSession } from './helpers/browser.js';
import { eventually, expectCount, expectText } from './helpers/expect.js';
import { closedPort, firstContext, writeYaml, type LabContext } from './helpers/kubeconfig.js';
import { REPO_ROOT, serveConsole, type ServedConsole } from './helpers/serve.js';

const EXPECTED_VERSION = 'v1.36.3';
const PERMISSIONS = 13;

const noLab = process.getuid?.() !== 0 ? 'the lab needs root' : null;
const why = noLab ?? browserMissing();

let lab: Lab;
let labCtx: LabContext;
let viewerCtx: LabContext;
let dir: string;
let kubeconfigPath: string;
let served: ServedConsole;
let browser: BrowserSession;
let port: number;

/** A JWT-shaped token whose `exp` is in the past: the API server rejects it (401) like any unknown token. */
function expiredJwt(): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'lumen-e2e', exp: 1_700_000_000 })}.c2lnbmF0dXJl`;
}

// One lab for the whole file: starting one takes a while on two cores.
beforeAll(async () => {
  if (noLab) return;
  const t0 = Date.now();
  lab = await startLab({ nodes: 2, log: (line) => process.stdout.write(`[lab] ${line}\n`) });
  process.stdout.write(`[e2e] lab ${lab.instance} up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
});
afterAll(async () => {
  await lab?.stop();
});

describe.skipIf(why !== null)(`Connect view against the lab${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-e2e-connect-'));
    port = await closedPort();
    labCtx = firstContext(readFileSync(lab.kubeconfig, 'utf8'));
    const viewerFile = await lab.userKubeconfig('lumen-e2e-nobody');
    viewerCtx = firstContext(readFileSync(viewerFile, 'utf8'));
    // Listed first but sets no current-context: the lab's file decides it (kubectl's rule),
    // and its contexts refer to the lab's cluster defined in the next file.
    const extra = writeYaml(dir, 'extra.yaml', {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'closed-port', cluster: { server: `https://127.0.0.1:${port}` } }],
      users: [
        { name: 'bad-token', user: { token: 'lumen-e2e-not-a-valid-token' } },
        { name: 'expired-token', user: { token: expiredJwt() } },
      ],
      contexts: [
        { name: 'broken-missing-cluster', context: { cluster: 'nowhere', user: 'bad-token' } },
        { name: 'broken-unreachable', context: { cluster: 'closed-port', user: 'bad-token' } },
        { name: 'lab-bad-token', context: { cluster: labCtx.cluster, user: 'bad-token' } },
        { name: 'lab-expired-token', context: { cluster: labCtx.cluster, user: 'expired-token' } },
      ],
    });
    kubeconfigPath = [extra, lab.kubeconfig, viewerFile].join(path.delimiter);
    served = await serveConsole({ KUBECONFIG: kubeconfigPath });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every context, shows the broken ones\' errors, and connects to the lab', async () => {
    const { page } = browser;
    await page.goto(served.url);
    const contexts = page.getByRole('listbox', { name: 'Contexts' });
    await expectCount(contexts.getByRole('option'), 6);
    await expectText(contexts.getByRole('option', { name: labCtx.name }), 'current');
    await expectText(
      contexts.getByRole('option', { name: 'broken-missing-cluster' }),
      'context "broken-missing-cluster" refers to cluster "nowhere", which no kubeconfig file defines',
    );

    await contexts.getByRole('option', { name: 'broken-unreachable' }).click();
    const details = page.getByRole('region', { name: 'Context details' });
    await details.getByRole('button', { name: 'Connect to broken-unreachable' }).click();
    await expectText(details.getByRole('alert'), `cannot reach https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    await expectText(contexts.getByRole('option', { name: 'broken-unreachable' }), 'Unreachable');

    await contexts.getByRole('option', { name: labCtx.name }).click();
    await details.getByRole('button', { name: `Connect to ${labCtx.name}` }).click();
    await expectText(details.getByLabel('Server version'), EXPECTED_VERSION, 30_000);
    expect(lab.info.versions.kubernetes).toBe(EXPECTED_VERSION);
    await expectText(details.getByLabel('Permission summary'), `${PERMISSIONS}/${PERMISSIONS} allowed`);
    const rows = details.getByRole('table', { name: 'Permissions' }).locator('tbody tr');
    await expectCount(rows, PERMISSIONS);
    await expectCount(rows.filter({ hasText: 'allowed' }), PERMISSIONS);
    await expectText(rows.first(), 'list nodes');
    await expectText(rows.last(), 'get pods/proxy in lumen-system');

    const status = page.getByRole('status', { name: 'Connection status' });
    for (const text of ['Connected', labCtx.name, labCtx.server, EXPECTED_VERSION]) await expectText(status, text);

    // The watch caches feed the renderer: both lab nodes arrive through list+watch.
    await expectText(details.getByLabel('Nodes count'), '2', 30_000);
    mkdirSync(path.join(REPO_ROOT, '.artifacts/e2e'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, '.artifacts/e2e/connect.png') });
    expect(browser.problems).toEqual([]);
  });

  it('shows objects created in the cluster live, through the watch', async () => {
    const { page } = browser;
    const count = page.getByRole('region', { name: 'Context details' }).getByLabel('Namespaces count');
    const before = Number(await eventually('a namespace count', async () => {
      const text = (await count.innerText()).trim();
      return /^\d+$/.test(text) ? text : undefined;
    }));
    const admin = lab.client();
    const name = `lumen-e2e-${Date.now().toString(36)}`;
    try {
      await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      await expectText(count, String(before + 1), 15_000);
    } finally {
      await admin.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
      admin.close();
    }
  });

  it('classifies a rejected token as unauthorized and an expired one as expired', async () => {
    const { page } = browser;
    const details = page.getByRole('region', { name: 'Context details' });
    await page.goto(`${served.origin}/#/connect?context=lab-bad-token`);
    await details.getByRole('button', { name: 'Connect to lab-bad-token' }).click();
    await expectText(details.getByRole('alert'), 'rejected the credentials of context "lab-bad-token" (401 Unauthorized)', 20_000);

    await page.goto(`${served.origin}/#/connect?context=lab-expired-token`);
    await details.getByRole('button', { name: 'Connect to lab-expired-token' }).click();
    await expectText(details.getByRole('alert'), 'Credentials expired', 20_000);
    await expectText(details.getByRole('alert'), 'the token expired on 2023-11-14T22:13:20.000Z');
  });

  it('reports what a user without RBAC may not do', async () => {
    const { page } = browser;
    const details = page.getByRole('region', { name: 'Context details' });
    await page.goto(`${served.origin}/#/connect?context=${encodeURIComponent(viewerCtx.name)}`);
    await details.getByRole('button', { name: `Connect to ${viewerCtx.name}` }).click();
    await expectText(details.getByLabel('Permission summary'), `0/${PERMISSIONS} allowed`, 20_000);
    const rows = details.getByRole('table', { name: 'Permissions' }).locator('tbody tr');
    await expectCount(rows.filter({ hasText: 'denied' }), PERMISSIONS);
    // The caches' list calls are refused (403) and retried: the view says so.
    await expectText(details.getByRole('list', { name: 'Cluster objects' }), 'retrying', 20_000);
  });
});

describe.skipIf(noLab !== null)(`the console's watch transport against the lab${noLab ? ` (skipped: ${noLab})` : ''}`, () => {
  let admin: KubeHttp;

  beforeAll(async () => {
    const { merged } = await loadKubeconfig({ env: { KUBECONFIG: lab.kubeconfig }, exec: new ExecCredentials() });
    const name = [...merged.contexts.keys()][0]!;
    admin = new KubeHttp(buildContextTarget(merged, name, new ExecCredentials()));
  });

  it('lists in pages and watches from the list resourceVersion', async () => {
    const transport = kubeWatchTransport(admin, { pageSize: 1 });
    const { items, resourceVersion } = await transport.list('namespaces', AbortSignal.timeout(10_000));
    expect(resourceVersion).toMatch(/\S/);
    expect(items.length).toBeGreaterThanOrEqual(4);
    expect(items.map((n) => n.metadata.name)).toContain('kube-system');
    expect(items.every((n) => !('managedFields' in n.metadata))).toBe(true);

    const cache = new WatchCache<ResourceKind, WireObject>({ kind: 'namespaces', transport, batchMs: 10 });
    const batches: WatchBatch<ResourceKind, WireObject>[] = [];
    cache.subscribe((b) => batches.push(b));
    cache.start();
    const client = lab.client();
    const name = `lumen-e2e-watch-${Date.now().toString(36)}`;
    try {
      await cache.whenSynced();
      expect(cache.snapshot().size).toBe(items.length);
      await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      const added = await eventually('the namespace ADDED through the watch', async () =>
        batches.flatMap((b) => b.changes).find((c) => c.type === 'added' && c.key === name));
      expect(added.object.metadata.name).toBe(name);
      expect(cache.get(name)).toBeDefined();
    } finally {
      cache.dispose();
      await cache.stopped();
      await client.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
      client.close();
    }
  });

  it('resumes from the last resourceVersion when the server ends a watch, without relisting or losing events', async () => {
    // The server closes each watch after a second (timeoutSeconds=1), as it does after minutes in real use.
    const real = kubeWatchTransport(admin, { watchTimeoutSeconds: () => 1 });
    let lists = 0;
    const resumedFrom: string[] = [];
    const cache = new WatchCache<ResourceKind, WireObject>({
      kind: 'namespaces',
      batchMs: 10,
      transport: {
        list: (kind, signal) => {
          lists++;
          return real.list(kind, signal);
        },
        watch: (kind, rv, signal, onEvent) => {
          resumedFrom.push(rv);
          return real.watch(kind, rv, signal, onEvent);
        },
      },
    });
    cache.start();
    const client = lab.client();
    const names = [`lumen-e2e-a-${Date.now().toString(36)}`, `lumen-e2e-b-${Date.now().toString(36)}`];
    try {
      await cache.whenSynced();
      const listedAt = cache.resourceVersion;
      for (const name of names) {
        await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        await new Promise((r) => setTimeout(r, 1500));
      }
      await eventually('both namespaces in the cache', async () => names.every((n) => cache.get(n)));
      await eventually('a third watch request', async () => resumedFrom.length >= 3, 10_000);
      expect(lists).toBe(1);
      expect(resumedFrom[0]).toBe(listedAt);
      // Later watches start where the previous one stopped (after the created namespaces), not from the list.
      expect(resumedFrom.at(-1)).not.toBe(listedAt);
    } finally {
      cache.dispose();
      await cache.stopped();
      for (const name of names) await client.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
      client.close();
    }
  });
});
