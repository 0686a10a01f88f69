// Browser-mode e2e without a cluster: each kind of bad kubeconfig input shows its own
// readable error, the good parts stay usable, file edits show up live, and the page
// without its token says what to do.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openBrowser, type BrowserSession } from './helpers/browser.js';
import { expectAttribute, expectCount, expectHidden, expectText, expectUrl } from './helpers/expect.js';
import { closedPort, writeText, writeYaml } from './helpers/kubeconfig.js';
import { REPO_ROOT, serveConsole, type ServedConsole } from './helpers/serve.js';

const missing = browserMissing();
let dir: string;
let served: ServedConsole;
let browser: BrowserSession;
let port: number;
let brokenFile: string;

function brokenConfig(extraContexts: object[] = []) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'unreachable',
    clusters: [{ name: 'closed-port', cluster: { server: `https://127.0.0.1:${port}` } }],
    users: [
      { name: 'token-user', user: { token: 'e2e-token-not-secret' } },
      {
        name: 'cloud-user',
        user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'lumen-e2e-missing-plugin', installHint: 'Install lumen-e2e-missing-plugin with your cloud CLI.' } },
      },
    ],
    contexts: [
      { name: 'unreachable', context: { cluster: 'closed-port', user: 'token-user' } },
      { name: 'missing-cluster', context: { cluster: 'nowhere', user: 'token-user' } },
      { name: 'missing-plugin', context: { cluster: 'closed-port', user: 'cloud-user' } },
      ...extraContexts,
    ],
  };
}

describe.skipIf(missing !== null)(`bad kubeconfig input in the console${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lumen-e2e-bad-'));
    port = await closedPort();
    const notYaml = writeText(dir, 'not-yaml.conf', 'apiVersion: v1\nclusters:\n  - name: x\n    cluster: {server: [https://x\n');
    brokenFile = writeYaml(dir, 'broken.yaml', brokenConfig());
    served = await serveConsole({ KUBECONFIG: [notYaml, brokenFile].join(path.delimiter) });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows each problem with its own specific message', async () => {
    const { page } = browser;
    await page.goto(served.url);
    const contexts = page.getByRole('listbox', { name: 'Contexts' });
    await expectCount(contexts.getByRole('option'), 3);

    const files = page.getByRole('region', { name: 'Kubeconfig file problems' });
    await expectText(files, `${path.join(dir, 'not-yaml.conf')}:5:1`);
    await expectText(files, 'not valid YAML: Flow sequence in block collection must be sufficiently indented');

    await expectText(contexts.getByRole('option', { name: 'missing-cluster' }), 'Kubeconfig problem: context "missing-cluster" refers to cluster "nowhere", which no kubeconfig file defines');
    await expectText(contexts.getByRole('option', { name: 'missing-plugin' }), 'Credential plugin problem: credential plugin "lumen-e2e-missing-plugin" for user "cloud-user" was not found');

    await contexts.getByRole('option', { name: 'missing-plugin' }).click();
    const details = page.getByRole('region', { name: 'Context details' });
    const alert = details.getByRole('alert');
    await expectText(alert, 'Install lumen-e2e-missing-plugin with your cloud CLI.');
    await expectText(alert, 'searched PATH from');
    await expectUrl(page, /#\/connect\?context=missing-plugin$/);

    await contexts.getByRole('option', { name: 'unreachable' }).click();
    await details.getByRole('button', { name: 'Connect to unreachable' }).click();
    await expectText(details.getByRole('alert'), `cannot reach https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    await expectText(details.getByRole('alert'), 'Unreachable');
    await expectText(page.getByRole('status', { name: 'Connection status' }), 'Connection failed');
    await expectText(contexts.getByRole('option', { name: 'unreachable' }), 'Unreachable: cannot reach');

    mkdirSync(path.join(REPO_ROOT, '.artifacts/e2e'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, '.artifacts/e2e/bad-kubeconfig.png') });
    expect(browser.problems).toEqual([]);
  });

  it('refreshes the list when a kubeconfig file changes', async () => {
    const { page } = browser;
    await page.goto(served.url.replace(/#.*/, '#/connect'));
    writeYaml(dir, 'broken.yaml', brokenConfig([{ name: 'added-later', context: { cluster: 'closed-port', user: 'token-user' } }]));
    await page.getByRole('option', { name: 'added-later' }).waitFor({ state: 'visible', timeout: 10_000 });
  });

  it('deep-links to a context and switches with the command palette', async () => {
    const { page } = browser;
    await page.goto(`${served.origin}/#/connect?context=missing-cluster`);
    await expectAttribute(page.getByRole('option', { name: 'missing-cluster' }), 'aria-selected', 'true');
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.getByRole('combobox', { name: 'Command' }).fill('missing plugin');
    await expectText(palette.getByRole('option').first(), 'Connect to missing-plugin');
    await page.keyboard.press('Enter');
    await expectHidden(palette);
    await expectUrl(page, /context=missing-plugin/);
    await expectText(page.getByRole('region', { name: 'Context details' }).getByRole('alert'), 'Credential plugin problem');
  });

  it('says what to do when opened without the token', async () => {
    const session = await openBrowser({ colorScheme: 'dark' });
    try {
      await session.page.goto(`${served.origin}/`);
      await expectText(session.page.getByRole('alert'), 'opened without its access token');
      await expectText(session.page.getByRole('status', { name: 'Connection status' }), 'Not connected');
    } finally {
      await session.close();
    }
  });
});
