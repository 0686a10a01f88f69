// The install engine against a real lab (a dedicated lab for the file): preflight with an RBAC-limited user, with a fake
// existing CNI and kube-proxy present; a rollout that cannot succeed reports the reason per node (not a timeout) and
// rolls back; the headless CLI installs (rollout + connectivity check), re-plans with no change, shows an upgrade
// diff, reports status, and uninstalls leaving no Lumen object and no BPF pin.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExecCredentials } from '../../src/main/cluster/exec.js';
import { KubeconfigService } from '../../src/main/cluster/kubeconfig/service.js';
import { runCli, type CliIo } from '../../src/main/cli.js';
import { EventBus } from '../../src/main/events.js';
import type { KubeApi } from '../../src/main/install/kube.js';
import { runPreflight } from '../../src/main/install/preflight/index.js';
import { generateSecrets } from '../../src/main/install/secrets.js';
import { kubeApiFor } from '../../src/main/install/service.js';
import { InstallSession } from '../../src/main/install/session.js';
import { StatusService } from '../../src/main/install/status/service.js';
import { attachLab, type KubeClient, type LabHandle } from '../lab/index.js';
import { skipReason, useLab } from '../lab/use-lab.js';

const repo = join(import.meta.dirname, '../..');
// A lab of its own: these tests install from scratch, and other files leave the shared lab with an agent installed.
const labRef: { lab?: LabHandle } = process.env.LUMEN_LAB_ATTACH !== undefined ? { lab: attachLab(Number(process.env.LUMEN_LAB_ATTACH)) } : useLab({ dedicated: true });
const ARTIFACTS: [string, string][] = [
  ['dist/agent/lumen-agent.mjs', 'npm run build:agent'], ['agent/cni/lumen-cni', 'npm run build:cni'],
  ['agent/native/build/Release/lumen_bpf.node', 'npm run build:native'], ['bpf/.output/lxc.bpf.o', 'npm run build:bpf'],
];
/** Fake objects: the lab cannot run Calico or kube-proxy, so their DaemonSets select no node and never make pods. */
const NO_NODE = { 'lumen.dev/fake-object': 'never-scheduled' };
const BROKEN_IMAGE = 'registry.example/lumen/broken-agent:0';

let lab: LabHandle;
let admin: KubeClient;
let context: string;
const services: { kubeconfig: KubeconfigService; exec: ExecCredentials }[] = [];

function contextOf(kubeconfigFile: string): string {
  return (parseYaml(readFileSync(kubeconfigFile, 'utf8')) as { 'current-context': string })['current-context'];
}

async function kubeFor(kubeconfigFile: string): Promise<KubeApi> {
  const exec = new ExecCredentials();
  const kubeconfig = new KubeconfigService({ exec, env: { KUBECONFIG: kubeconfigFile }, watchFiles: false });
  services.push({ kubeconfig, exec });
  return kubeApiFor({ kubeconfig, exec }, contextOf(kubeconfigFile));
}

function fakeDaemonSet(namespace: string, name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { nodeSelector: NO_NODE, containers: [{ name: 'fake', image: `fake.example/${name}:1` }] } },
    },
  };
}

interface CliRun { code: number; out: string; err: string }
async function cli(args: string[], kubeconfig = lab.kubeconfig): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => void (out += t), err: (t) => void (err += t), env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' },
    confirm: async () => null, onInterrupt: () => () => undefined,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

async function pinsOn(node: string): Promise<string> {
  const r = await lab.exec(node, ['sh', '-c', 'ls -A /sys/fs/bpf/lumen 2>/dev/null; ls -A /sys/fs/bpf | grep -i lumen; test -e /etc/cni/net.d/05-lumen.conflist && echo conflist-left; true']);
  return r.stdout.trim();
}

describe.skipIf(!!skipReason)(`install engine against the lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const missing = ARTIFACTS.filter(([p]) => !existsSync(join(repo, p))).map(([p, how]) => `${p} (${how})`);
    if (missing.length) throw new Error(`build first: ${missing.join(', ')}`);
    lab = labRef.lab!;
    admin = lab.client();
    context = contextOf(lab.kubeconfig);
  });

  afterAll(async () => {
    for (const s of services) s.kubeconfig.dispose();
    if (!admin) return;
    for (const name of ['calico-node', 'kube-proxy']) await admin.delete(`/apis/apps/v1/namespaces/kube-system/daemonsets/${name}`).catch(() => undefined);
    await admin.delete('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/lumen-test-limited').catch(() => undefined);
    await admin.delete('/apis/rbac.authorization.k8s.io/v1/clusterroles/lumen-test-limited').catch(() => undefined);
    // Whatever a failed test left: the CLI's uninstall removes it.
    await cli(['uninstall', '--yes']).catch(() => undefined);
    admin.close();
  }, 300_000);

  it('preflight with an RBAC-limited user lists the missing permissions by name, and the CLI refuses', async () => {
    // May read the cluster (what a typical "view" user can), nothing more.
    await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'lumen-test-limited' },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'lumen-test-limited' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lumen-test-limited' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'lumen-limited' }],
    });
    const limitedFile = await lab.userKubeconfig('lumen-limited');
    const limited = await kubeFor(limitedFile);
    const t0 = Date.now();
    const result = await runPreflight(limited, generateSecrets('lumen-system'));
    const perms = result.report.checks.find((c) => c.id === 'permissions')!;
    expect(perms.status).toBe('fail');
    expect(result.report.blocking).toBe(true);
    expect(perms.details).toContain('create customresourcedefinitions.apiextensions.k8s.io — to create CustomResourceDefinition identities.lumen.dev');
    expect(perms.details.some((d) => d.startsWith('create daemonsets.apps in lumen-system'))).toBe(true);
    expect(perms.details.some((d) => d.startsWith('get pods/proxy in lumen-system'))).toBe(true);
    // What it may do is not listed as missing.
    expect(perms.details.some((d) => d.startsWith('list nodes '))).toBe(false);
    expect(perms.summary).toMatch(/^\d+ of \d+ permissions the install uses are missing$/);
    // The reads it is allowed still work: kernels and the flavour are known.
    expect(result.report.checks.find((c) => c.id === 'kernel')!.status).toBe('pass');
    expect(result.report.flavour).toBe('lab');
    expect(Date.now() - t0).toBeLessThan(30_000);

    const run = await cli(['install', '--yes'], limitedFile);
    expect(run.code).toBe(1);
    expect(run.out).toContain('FAIL  Your permissions');
    expect(run.out).toContain('create clusterroles.rbac.authorization.k8s.io');
    expect(run.out).toContain('A check failed: the install would not work.');

    // A user with no role at all: the checks that need reads say why they could not look.
    const nobody = await runPreflight(await kubeFor(await lab.userKubeconfig('lumen-nobody')), generateSecrets('lumen-system'));
    expect(nobody.report.checks.find((c) => c.id === 'kernel')).toMatchObject({ status: 'warn' });
    expect(nobody.report.checks.find((c) => c.id === 'kernel')!.summary).toMatch(/could not read the nodes: .*403 Forbidden/);
    expect(nobody.report.checks.find((c) => c.id === 'cni')!.summary).toMatch(/could not list DaemonSets/);
  });

  it('preflight finds a (fake) existing CNI and kube-proxy, and defaults to keeping kube-proxy', async () => {
    await admin.create('/apis/apps/v1/namespaces/kube-system/daemonsets', fakeDaemonSet('kube-system', 'calico-node', { 'k8s-app': 'calico-node' }));
    await admin.create('/apis/apps/v1/namespaces/kube-system/daemonsets', fakeDaemonSet('kube-system', 'kube-proxy', { 'k8s-app': 'kube-proxy' }));
    try {
      const result = await runPreflight(await kubeFor(lab.kubeconfig), generateSecrets('lumen-system'));
      const cni = result.report.checks.find((c) => c.id === 'cni')!;
      expect(cni).toMatchObject({ status: 'warn', summary: 'another CNI runs on this cluster: Calico', details: ['Calico (DaemonSet kube-system/calico-node)'] });
      const proxy = result.report.checks.find((c) => c.id === 'kube-proxy')!;
      expect(proxy.status).toBe('warn');
      expect(proxy.summary).toBe('kube-proxy runs on this cluster (DaemonSet kube-system/kube-proxy)');
      expect(proxy.action).toMatch(/keep it .*replace it .*kube-proxy --cleanup/);
      expect(result.report.kubeProxyPresent).toBe(true);
      expect(result.report.defaults).toMatchObject({ kubeProxyReplacement: false, socketLB: false });
      expect(result.report.blocking).toBe(false);
    } finally {
      for (const name of ['calico-node', 'kube-proxy']) await admin.delete(`/apis/apps/v1/namespaces/kube-system/daemonsets/${name}`);
    }
  });

  it('a rollout of an image the lab cannot run fails with the reason per node, quickly, and rolls back', async () => {
    const session = new InstallSession(await kubeFor(lab.kubeconfig), 'install', { pollMs: 500 });
    const lines: string[] = [];
    session.onLine((l) => lines.push(`${l.level} ${l.text}`));
    try {
      await session.preflight();
      const defaults = session.snapshot().preflight!.defaults;
      await session.setOptions({ ...defaults, image: BROKEN_IMAGE, rolloutTimeoutSeconds: 300 });
      expect(session.snapshot().optionErrors).toEqual({});
      const t0 = Date.now();
      await session.apply(false);
      const elapsed = Date.now() - t0;
      const state = session.snapshot();
      expect(state.steps.find((s) => s.id === 'apply')!.status).toBe('failed');
      expect(state.rollout!.status).toBe('failed');
      // Well before the 300 s deadline: a pull failure is reported as soon as it settles.
      expect(elapsed).toBeLessThan(90_000);
      expect(state.rollout!.nodes.map((n) => n.node)).toEqual(lab.nodes.map((n) => n.name).sort());
      for (const n of state.rollout!.nodes) {
        expect(n.state).toBe('failed');
        expect(n.reason).toMatch(new RegExp(`^cannot pull image "${BROKEN_IMAGE.replace(/[.]/g, '\\.')}" for init container "mount-bpf-fs" \\((ErrImagePull|ImagePullBackOff)\\)`));
        expect(n.reason).toContain('the Lumen lab runs no registry images');
        expect(n.events.some((e) => e.type === 'Warning')).toBe(true);
      }
      expect(state.rollout!.reason).toBe(`the agent failed on 2 nodes — node-1, node-2: cannot pull image "${BROKEN_IMAGE}" for init container "mount-bpf-fs" (${state.rollout!.nodes[0]!.containers[0]!.reason})`);
      expect(state.error!.message).toBe(state.rollout!.reason);
      expect(lines.some((l) => l.startsWith('error node-1: cannot pull image'))).toBe(true);

      // The Status view says what is wrong on each node.
      const connection = { status: 'connected', context, since: 1 };
      const exec = new ExecCredentials();
      const kubeconfig = new KubeconfigService({ exec, env: { KUBECONFIG: lab.kubeconfig }, watchFiles: false });
      services.push({ kubeconfig, exec });
      const status = await new StatusService({ app: { mode: 'browser' }, bus: new EventBus(), kubeconfig, exec, connection: { state: () => connection } } as never).get();
      expect(status.installed).toBe(true);
      expect(status.summary.nodesWithProblems).toBe(2);
      for (const n of status.nodes) {
        expect(n.problems[0]!.kind).toBe('agent-not-running');
        expect(n.problems[0]!.text).toMatch(/^the agent is not running: pod lumen-agent-\w+ is Pending/);
      }

      // Roll back a fresh install = uninstall; no agent ever ran, so none could clean a node.
      await session.rollback();
      const after = session.snapshot();
      expect(after.apply!.rolledBack).toBe(true);
      expect(after.uninstall!.status).toBe('done');
      expect(after.uninstall!.leftovers).toEqual([]);
      expect(after.uninstall!.nodesNotCleaned.sort()).toEqual(lab.nodes.map((n) => n.name).sort());
      expect(await admin.getOptional('/api/v1/namespaces/lumen-system')).toBeFalsy();
    } finally {
      session.dispose();
    }
  });

  it('an agent that crashes reports CrashLoopBackOff with its exit code per node, and the CLI rolls back', async () => {
    // An API address no node has: the agent cannot bind its API and exits.
    const t0 = Date.now();
    const run = await cli(['install', '--yes', '--no-color', '--skip-check', '--rollback-on-failure', '--config', 'api-address=10.99.99.99']);
    expect(run.code, run.err).toBe(1);
    expect(Date.now() - t0).toBeLessThan(120_000);
    expect(run.out).toMatch(/Rollout: failed — the agent failed on 2 nodes — node-1, node-2: container "agent" keeps crashing \(CrashLoopBackOff, \d+ restarts?, last exit code 1 \(Error\)\)/);
    for (const n of lab.nodes) {
      expect(run.out).toMatch(new RegExp(`${n.name} +FAILED \\(pod lumen-agent-\\w+\\): container "agent" keeps crashing`));
    }
    expect(run.out).toContain('event BackOff: Back-off restarting failed container agent');
    // The tail of the crashed agent's log (pods/log through the API server) says why.
    expect(run.out).toMatch(/log \| .*cannot listen on https:\/\/10\.99\.99\.99:\d+/);
    expect(run.out).toContain('Nothing of Lumen is left in the cluster.');
    expect(await admin.getOptional('/api/v1/namespaces/lumen-system')).toBeFalsy();
  });

  it('the headless CLI installs, re-plans with no change, shows an upgrade diff, reports status and uninstalls cleanly', async () => {
    const t0 = Date.now();
    const install = await cli(['install', '--context', context, '--yes', '--no-color']);
    expect(install.code, `${install.out}\n${install.err}`).toBe(0);
    expect(install.out).toContain(`Install 0.1.0 on ${context}: 12 to create, 0 to update, 0 unchanged`);
    expect(install.out).toContain('Rollout: complete (2/2 ready)');
    expect(install.out).toMatch(/Connectivity check in lumen-check-[0-9a-f]{6}: passed \(namespace removed\)/);
    for (const title of ['pod → pod, same node', 'pod → pod, across nodes', 'pod → ClusterIP Service', 'node → ClusterIP Service', 'NodePort Service, from the other node', 'a deny policy denies']) {
      expect(install.out).toContain(`PASS  ${title}`);
    }
    expect(install.out).toMatch(/DROPPED \(policy denied\).*lumen-check-[0-9a-f]{6}\/lumen-check-deny/);
    // The progress lines are the engine's, as the wizard shows them.
    expect(install.out).toMatch(/\d\d:\d\d:\d\d \[apply\] DaemonSet lumen-system\/lumen-agent: applied/);
    process.stdout.write(`[install-engine] headless install with check: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const checkNamespaces = await admin.list('/api/v1/namespaces', { labelSelector: 'lumen.dev/connectivity-check=true' });
    expect(checkNamespaces.items).toEqual([]);

    // Same options again: the running install's secrets are reused, so nothing changes.
    const again = await cli(['install', '--dry-run', '--no-color']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('0 to create, 0 to update, 12 unchanged');
    expect(again.out).toContain('Dry run: nothing was applied.');

    const upgrade = await cli(['install', '--dry-run', '--no-color', '--flow-buffer-size', '4096', '-o', 'yaml']);
    expect(upgrade.code, upgrade.err).toBe(0);
    expect(upgrade.err).toContain('0 to create, 2 to update, 10 unchanged');
    expect(upgrade.err).toMatch(/update +ConfigMap lumen-system\/lumen-config\n(.*\n)*? +-\s+flow-buffer-size: "16384"\n +\+\s+flow-buffer-size: "4096"/);
    expect(upgrade.err).toContain('update    DaemonSet lumen-system/lumen-agent');
    // stdout is the YAML alone, Secret values redacted.
    expect(upgrade.out.startsWith('# Lumen 0.1.0 install for context')).toBe(true);
    expect(upgrade.out).toContain('flow-buffer-size: "4096"');
    expect(upgrade.out).toMatch(/token: "?<redacted: \d+ bytes>"?/);
    expect(upgrade.out).not.toContain('PRIVATE KEY');

    const status = await cli(['status', '--no-color']);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toMatch(/Lumen 0\.1\.0 in lumen-system — 2\/2 agents ready, [\d.]+ flows\/s, 0 lost, 0 node\(s\) with problems/);
    expect(status.out).toContain('kube-proxy replacement on');

    const uninstall = await cli(['uninstall', '--yes', '--no-color']);
    expect(uninstall.code, `${uninstall.out}\n${uninstall.err}`).toBe(0);
    expect(uninstall.out).toContain('done  Restart the agents with cleanup-on-exit: every agent (2) runs with cleanup-on-exit');
    expect(uninstall.out).toContain('Nothing of Lumen is left in the cluster.');
    for (const n of lab.nodes) expect(await pinsOn(n.name), `BPF pins or CNI config left on ${n.name}`).toBe('');
    for (const path of ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions/identities.lumen.dev', '/api/v1/namespaces/lumen-system', '/apis/rbac.authorization.k8s.io/v1/clusterroles/lumen-agent']) {
      expect(await admin.getOptional(path), path).toBeFalsy();
    }
  });
});
