// The lab's "done when": a 2-node lab runs a Deployment of echo pods behind a Service,
// pods talk across nodes by pod IP, a DaemonSet lands on every node, deletion removes
// pod namespaces, nothing routes outside the lab, and stop() leaves nothing behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cidrContains, REPO_ROOT } from './lib/layout';
import { labLeftovers } from './lib/down';
import { startLab } from './lib/lab';
import { run } from './lib/proc';
import type { KubeClient } from './lib/kube';
import type { Pod } from './kubelet/types';
import { skipReason, useLab } from './use-lab';
import { createNamespace, deleteNamespace, isReady, waitForGone, waitForPod } from './test-helpers';
import { waitFor } from './lib/proc';

// Its own lab: these tests check the lab's fallback network, which an installed agent replaces.
const ref = useLab({ dedicated: true });
const NS = 'lab-done';

function cgroupPids(dir: string): number[] {
  const own = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => cgroupPids(join(dir, e.name)));
  return [...own, ...children];
}

async function netnsList(): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

async function listPods(client: KubeClient, selector: string, ns = NS): Promise<Pod[]> {
  return (await client.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: selector })).items;
}

describe.skipIf(!!skipReason)(`lab cluster${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('has 2 Ready nodes with pod CIDRs from the controller-manager, lab labels, node info and leases', async () => {
    const lab = ref.lab!;
    const c = lab.client();
    try {
      const nodes = (await c.list<{ metadata: { name: string; labels: Record<string, string> }; spec: { podCIDR?: string; taints?: unknown[] }; status: { conditions: Array<{ type: string; status: string }>; addresses: Array<{ type: string; address: string }>; nodeInfo: Record<string, string>; capacity: Record<string, string> } }>('/api/v1/nodes')).items;
      expect(nodes.map((n) => n.metadata.name).sort()).toEqual(lab.nodes.map((n) => n.name).sort());
      for (const n of nodes) {
        const plan = lab.node(n.metadata.name);
        expect(n.status.conditions.find((x) => x.type === 'Ready')?.status).toBe('True');
        expect(n.spec.podCIDR).toBe(plan.podCIDR);
        expect(cidrContains(lab.clusterCIDR, n.spec.podCIDR!.split('/')[0]!)).toBe(true);
        expect(n.metadata.labels['lumen.dev/lab']).toBe('true');
        expect(n.metadata.labels['kubernetes.io/hostname']).toBe(n.metadata.name);
        expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: plan.ip });
        expect(n.status.nodeInfo.kubeletVersion).toBe('v1.36.3');
        expect(n.status.nodeInfo.containerRuntimeVersion).toBe('lumen-lab://0.1');
        expect(n.status.nodeInfo.kernelVersion).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
        expect(n.status.capacity.pods).toBe('110');
        const lease = await c.get<{ spec: { holderIdentity: string; renewTime: string } }>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n.metadata.name}`);
        expect(lease.spec.holderIdentity).toBe(n.metadata.name);
        expect(Date.now() - Date.parse(lease.spec.renewTime)).toBeLessThan(30_000);
      }
      const version = await c.get<{ gitVersion: string }>('/version');
      expect(version.gitVersion).toBe('v1.36.3');
    } finally {
      c.close();
    }
  });

  it('runs a Deployment of 2 echo pods on both nodes, reachable across nodes by pod IP, listed in the EndpointSlice', async () => {
    const lab = ref.lab!;
    const c = lab.client();
    try {
      await createNamespace(c, NS);
      await c.create(`/apis/apps/v1/namespaces/${NS}/deployments`, {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'echo' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'echo' } },
          template: {
            metadata: { labels: { app: 'echo' } },
            spec: {
              terminationGracePeriodSeconds: 5,
              // One per node, so the test is about cross-node traffic.
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'echo' } } }],
              containers: [{ name: 'echo', image: 'lumen.dev/lab/echo:1', ports: [{ name: 'tcp', containerPort: 8080 }, { name: 'udp', containerPort: 8080, protocol: 'UDP' }] }],
            },
          },
        },
      });
      await c.create(`/api/v1/namespaces/${NS}/services`, {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' },
        spec: { selector: { app: 'echo' }, ports: [{ name: 'tcp', port: 80, targetPort: 8080 }, { name: 'udp', port: 80, targetPort: 8080, protocol: 'UDP' }] },
      });
      const echo = await waitFor('2 echo pods Ready', 60_000, async () => {
        const pods = await listPods(c, 'app=echo');
        return pods.length === 2 && pods.every(isReady) ? pods : undefined;
      });
      expect(new Set(echo.map((p) => p.spec.nodeName)).size).toBe(2);
      for (const p of echo) {
        expect(p.status?.phase).toBe('Running');
        const node = lab.node(p.spec.nodeName!);
        expect(cidrContains(node.podCIDR, p.status!.podIP!)).toBe(true);
        expect(p.status?.hostIP).toBe(node.ip);
        expect(p.status?.podIPs).toEqual([{ ip: p.status!.podIP }]);
        // The pod's network namespace exists, carries the IP, and is named after the pod UID.
        const rec = lab.podRecord(NS, p.metadata.name);
        expect((await netnsList())).toContain(rec.netns.replace('/run/netns/', ''));
        expect((await run(['ip', '-n', rec.netns.replace('/run/netns/', ''), '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(`${p.status!.podIP}/`);
      }
      const slices = await waitFor('EndpointSlice with both pods ready', 30_000, async () => {
        const list = await c.list<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean }; nodeName?: string }> }>(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: 'kubernetes.io/service-name=echo' });
        const eps = list.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
        return eps.length === 2 ? eps : undefined;
      });
      expect(slices.map((e) => e.addresses[0]).sort()).toEqual(echo.map((p) => p.status!.podIP).sort());

      await c.create(`/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { nodeName: echo[0]!.spec.nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'client', image: 'lumen.dev/lab/client:1' }] } });
      const client = await waitForPod(c, NS, 'client', 'Ready', isReady);
      for (const p of echo) {
        const tcp = await lab.execPod(NS, 'client', ['client', 'tcp', p.status!.podIP!, '8080', 'ping']);
        expect(tcp.code, tcp.stderr).toBe(0);
        const reply = JSON.parse(tcp.stdout) as { pod: string; peer: string; echo: string };
        expect(reply.pod).toBe(p.metadata.name);
        expect(reply.echo).toBe('ping');
        // No NAT between pods: the echo pod sees the client's own pod IP.
        expect(reply.peer.split(':')[0]).toBe(client.status!.podIP);
        const udp = await lab.execPod(NS, 'client', ['client', 'udp', p.status!.podIP!, '8080']);
        expect(udp.code, udp.stderr).toBe(0);
        expect(JSON.parse(udp.stdout).pod).toBe(p.metadata.name);
        const http = await lab.execPod(NS, 'client', ['client', 'http', p.status!.podIP!, '8080', '/hello']);
        expect(http.stdout).toMatch(/^HTTP 200\n/);
        expect(JSON.parse(http.stdout.split('\n')[1]!)).toMatchObject({ pod: p.metadata.name, path: '/hello' });
      }
      expect(echo.some((p) => p.spec.nodeName !== client.spec.nodeName)).toBe(true);
      expect(lab.logs(NS, echo[0]!.metadata.name)).toContain('listening tcp+http 8080');
    } finally {
      c.close();
    }
  });

  it('places one pod of a DaemonSet on each node', async () => {
    const lab = ref.lab!;
    const c = lab.client();
    try {
      await c.create(`/apis/apps/v1/namespaces/${NS}/daemonsets`, {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'per-node' },
        spec: {
          selector: { matchLabels: { app: 'per-node' } },
          template: { metadata: { labels: { app: 'per-node' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'lumen.dev/lab/client:1' }] } },
        },
      });
      const pods = await waitFor('a Ready DaemonSet pod on every node', 60_000, async () => {
        const list = await listPods(c, 'app=per-node');
        return list.length === lab.nodes.length && list.every(isReady) ? list : undefined;
      });
      expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(lab.nodes.map((n) => n.name).sort());
      const ds = await c.get<{ status: { numberReady: number; desiredNumberScheduled: number } }>(`/apis/apps/v1/namespaces/${NS}/daemonsets/per-node`);
      await waitFor('DaemonSet status numberReady', 30_000, async () => {
        const s = (await c.get<{ status: { numberReady: number; desiredNumberScheduled: number } }>(`/apis/apps/v1/namespaces/${NS}/daemonsets/per-node`)).status;
        return s.numberReady === lab.nodes.length ? true : undefined;
      });
      expect(ds.status.desiredNumberScheduled).toBe(lab.nodes.length);
    } finally {
      c.close();
    }
  });

  it('has no route out of the lab from pod and node namespaces (checked with ip route get, nothing sent)', async () => {
    const lab = ref.lab!;
    const pod = lab.podRecord(NS, 'client');
    const podNs = pod.netns.replace('/run/netns/', '');
    for (const target of ['192.0.2.1', '1.1.1.1', '8.8.8.8']) {
      const fromPod = await run(['ip', '-n', podNs, 'route', 'get', target], { allowFail: true });
      expect(fromPod.code, `pod route to ${target}: ${fromPod.stdout}`).not.toBe(0);
      expect(fromPod.stderr).toMatch(/unreachable/i);
      for (const node of lab.nodes) {
        const fromNode = await lab.exec(node.name, ['ip', 'route', 'get', target]);
        expect(fromNode.code, `${node.name} route to ${target}: ${fromNode.stdout}`).not.toBe(0);
      }
    }
    expect((await run(['ip', '-n', podNs, 'route', 'show', 'default'])).stdout.trim()).toBe('');
    // Lab destinations do route: the other node's pods and the apiserver on the bridge.
    const other = lab.nodes.find((n) => n.name !== pod.node)!;
    expect((await run(['ip', '-n', podNs, 'route', 'get', other.podCIDR.replace(/0\/24$/, '9')])).code).toBe(0);
    expect((await lab.execPod(NS, 'client', ['client', 'connect', lab.info.bridgeIp, lab.apiServer.split(':').pop()!])).stdout).toBe('connected\n');
    // The host forwards nothing: ip_forward stays off and the lab chain drops what is not bridged.
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0');
    const chain = (await run(['iptables', '-w', '5', '-S', `LUMEN-LAB${lab.instance}`])).stdout;
    expect(chain).toMatch(/-j DROP/);
    expect((await run(['iptables', '-w', '5', '-S', 'FORWARD'])).stdout).toContain(`-i ${lab.info.bridge} -j LUMEN-LAB${lab.instance}`);
  });

  it('removes the pod namespaces, cgroups and state when the Deployment is deleted', async () => {
    const lab = ref.lab!;
    const c = lab.client();
    try {
      const pods = await listPods(c, 'app=echo');
      const records = pods.map((p) => lab.podRecord(NS, p.metadata.name));
      for (const r of records) expect(existsSync(r.cgroup)).toBe(true);
      await c.delete(`/apis/apps/v1/namespaces/${NS}/deployments/echo`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
      await waitFor('echo pods gone from the API', 60_000, async () => ((await listPods(c, 'app=echo')).length === 0 ? true : undefined));
      const names = await netnsList();
      for (const r of records) {
        expect(names).not.toContain(r.netns.replace('/run/netns/', ''));
        expect(existsSync(r.cgroup)).toBe(false);
        expect(existsSync(r.dir)).toBe(false);
      }
      await waitForGone(c, `/apis/apps/v1/namespaces/${NS}/deployments/echo`);
    } finally {
      await deleteNamespace(c, NS);
      c.close();
    }
  });

  it('leaves nothing behind after stop(): namespaces, links, cgroups, processes, mounts, iptables chain', async () => {
    // A second lab next to the shared one: its own instance number, so nothing collides.
    const lab = await startLab({ nodes: 2, log: () => undefined });
    const shared = ref.lab!;
    expect(lab.instance).not.toBe(shared.instance);
    const c = lab.client();
    const pids: number[] = [];
    try {
      await createNamespace(c, 'gone');
      await c.create('/api/v1/namespaces/gone/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'echo' }, spec: { nodeName: 'node-2', containers: [{ name: 'echo', image: 'lumen.dev/lab/echo:1', ports: [{ containerPort: 8080 }] }] } });
      await waitForPod(c, 'gone', 'echo', 'Ready', isReady);
      expect(labLeftovers(lab.instance).some((l) => l.startsWith('netns lumen-lab') && l.includes('-p-'))).toBe(true);
      pids.push(...cgroupPids(dirname(lab.nodes[0]!.cgroup)));
      expect(pids.length).toBeGreaterThan(4);
    } finally {
      c.close();
      await lab.stop();
    }
    expect(labLeftovers(lab.instance)).toEqual([]);
    expect((await netnsList()).filter((n) => n.startsWith(`lumen-lab${lab.instance}-`))).toEqual([]);
    expect((await run(['ip', 'link', 'show', `llab${lab.instance}br`], { allowFail: true })).code).not.toBe(0);
    const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
    expect(mountPoints.filter((m) => m === lab.info.stateDir || m.startsWith(`${lab.info.stateDir}/`))).toEqual([]);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `process ${pid} survived stop()`).toBe(false);
    // The shared lab is untouched.
    expect(labLeftovers(shared.instance).length).toBeGreaterThan(0);
  });

  it('cleans up after a lab whose process was killed (npm run lab -- --down)', async () => {
    // A real crash: `npm run lab` in its own process, SIGKILLed once up, so no handler runs.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/lab/cli.ts', '--nodes', '1'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const instance = await waitFor('the lab CLI to report the lab up', 120_000, () => {
      if (child.exitCode !== null) throw new Error(`lab CLI exited ${child.exitCode}:\n${out}`);
      const m = /Lumen lab (\d+) is up/.exec(out);
      return m ? Number(m[1]) : undefined;
    }, 200);
    expect(instance).not.toBe(ref.lab!.instance);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const left = labLeftovers(instance);
    expect(left.some((l) => l.startsWith('process '))).toBe(true);
    expect(left).toContain(`link llab${instance}br`);
    const down = await run([process.execPath, '--import', 'tsx', 'test/lab/cli.ts', '--down', '--instance', String(instance)], { cwd: REPO_ROOT, allowFail: true });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`cleaned ${instance} \\(\\d+ leftovers removed\\)`));
    expect(labLeftovers(instance)).toEqual([]);
    expect(labLeftovers(ref.lab!.instance).length).toBeGreaterThan(0);
  });
});
