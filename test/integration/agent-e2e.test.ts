// lumen-agent in the lab, end to end with real traffic: install from the manifests, both
// agents Ready, Lumen's CNI addresses new pods, ClusterIP (TCP/UDP, pods and nodes, the
// `kubernetes` Service) spread over backends, NodePort from the other node (and Local),
// session affinity, NetworkPolicy with the policy names in the flows, the API's token,
// LumenEndpoints and IPAM following pods.
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHandle } from '../lab/index.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import {
  applyAll, clientPod, echoDeployment, installAgent, labClient, listPods, lumenCli,
  missingAgentArtifacts, namespace, remove, service, waitFor, waitReadyPods, type PodLite,
  agentLab, labSkipReason,
} from './agent-helpers.js';

const repo = join(import.meta.dirname, '../..');
const labRef = agentLab();
const tag = Date.now().toString(36).slice(-5);
const NS = { app: `le2e-app-${tag}`, friends: `le2e-friends-${tag}`, other: `le2e-other-${tag}`, audit: `le2e-audit-${tag}` };

let lab: LabHandle;
let kube: KubeClient;
let token: string;
let echo: PodLite[];
let clusterIP: string;

const client = (ns: string, pod: string, ...argv: string[]) => lab.execPod(ns, pod, ['client', ...argv], { timeoutMs: 15_000 });
const nodeClient = (node: string, ...argv: string[]) => lab.exec(node, [join(lab.info.binDir, 'client'), ...argv], { timeoutMs: 15_000 });
const replyPod = (stdout: string): string | undefined => (/"pod":"([^"]+)"/.exec(stdout) ?? [])[1];

async function answers(n: number, run: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await run();
    if (r.code !== 0) throw new Error(`request ${i + 1}/${n} failed: ${r.stderr || r.stdout}`);
    out.push(replyPod(r.stdout) ?? r.stdout);
  }
  return out;
}

describe.skipIf(!!labSkipReason)(`lumen-agent in the lab${labSkipReason ? ` (skipped: ${labSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    const missing = missingAgentArtifacts(repo);
    if (missing.length) throw new Error(`build first: ${missing.join(', ')}`);
    lab = labRef.lab as LabHandle;
    kube = labClient(lab.kubeconfig);
    ({ token } = await installAgent(lab, kube, { auditNamespaces: [NS.audit] }));
    const [n1, n2] = lab.nodes.map((n) => n.name) as [string, string];
    const echoDep = echoDeployment(NS.app, 'echo', 2, { app: 'echo' }, [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }]);
    // One echo pod per node (the lab runs the real scheduler).
    (echoDep.spec as { template: { spec: Record<string, unknown> } }).template.spec.affinity = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'echo' } }, topologyKey: 'kubernetes.io/hostname' }] },
    };
    await applyAll(kube, [
      namespace(NS.app), namespace(NS.friends, { team: 'friends' }), namespace(NS.other),
      echoDep,
      service(NS.app, 'echo', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }]),
      clientPod(NS.app, 'client-1', n1), clientPod(NS.app, 'client-2', n2),
      clientPod(NS.friends, 'client', n1), clientPod(NS.other, 'client', n1),
      namespace(NS.audit), echoDeployment(NS.audit, 'echo', 1, { app: 'echo' }, [{ name: 'http', port: 8080 }], { nodeName: n2 }),
    ]);
    echo = await waitReadyPods(kube, NS.app, 'app=echo', 2);
    await waitReadyPods(kube, NS.app, 'app=client', 2);
    await waitReadyPods(kube, NS.friends, 'app=client', 1);
    await waitReadyPods(kube, NS.other, 'app=client', 1);
    await waitReadyPods(kube, NS.audit, 'app=echo', 1);
    clusterIP = (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS.app}/services/echo`)).spec.clusterIP;
  });

  afterAll(async () => {
    if (!kube) return;
    for (const ns of Object.values(NS)) await remove(kube, namespace(ns));
    kube.close();
  });

  it('both agents are Ready and installed the CNI plugin and conflist on every node', async () => {
    const ds = await kube.get<{ status: { numberReady: number; desiredNumberScheduled: number } }>('/apis/apps/v1/namespaces/lumen-system/daemonsets/lumen-agent');
    expect(ds.status.numberReady).toBe(lab.nodes.length);
    for (const n of lab.nodes) {
      const conf = await lab.exec(n.name, ['cat', '/etc/cni/net.d/05-lumen.conflist']);
      expect(JSON.parse(conf.stdout).plugins[0].type).toBe('lumen-cni');
      expect((await lab.exec(n.name, ['test', '-x', '/opt/cni/bin/lumen-cni'])).code).toBe(0);
    }
  });

  it('new pods get addresses from Lumen\'s CNI: pod CIDR, LumenEndpoint, IPAM state, CNI CHECK', async () => {
    for (const p of echo) {
      const node = lab.node(p.spec.nodeName!);
      const [net, bits] = node.podCIDR.split('/') as [string, string];
      const prefix = net.split('.').slice(0, Number(bits) / 8).join('.');
      expect(p.status.podIP!.startsWith(`${prefix}.`)).toBe(true);
      const le = await kube.get<{ status: { node: string; ips: string[]; identity: { id: number }; health: string; interface: string } }>(
        `/apis/lumen.dev/v1/namespaces/${NS.app}/lumenendpoints/${p.metadata.name}`);
      expect(le.status).toMatchObject({ node: node.name, ips: [p.status.podIP], health: 'ready' });
      expect(le.status.identity.id).toBeGreaterThanOrEqual(256);
      expect(le.status.interface).toMatch(/^lxc[0-9a-f]{12}$/);
      const ipam = await lab.exec(node.name, ['sh', '-c', 'cat /var/lib/lumen/ipam/*.json']);
      expect(ipam.stdout).toContain(`"ip": "${p.status.podIP}"`);
      await lab.checkPodNetwork(NS.app, p.metadata.name);
    }
    expect(new Set(echo.map((p) => p.spec.nodeName)).size).toBe(2);
  });

  it('pods on both nodes reach a ClusterIP Service over TCP and UDP, spread across backends', async () => {
    const names = new Set(echo.map((p) => p.metadata.name));
    // The EndpointSlice may trail the pods' readiness by a moment.
    await waitFor('both backends in the service', async () => {
      const got = new Set(await answers(6, () => client(NS.app, 'client-1', 'tcp', clusterIP, '80', 'warm')).catch(() => []));
      return got.size === 2 ? true : undefined;
    }, 20_000);
    for (const c of ['client-1', 'client-2']) {
      const tcp = await answers(16, () => client(NS.app, c, 'tcp', clusterIP, '80', 'hi'));
      if (new Set(tcp).size !== 2) {
        const maps = await Promise.all(lab.nodes.map((n) => lumenCli(lab, repo, n.name, ['bpf', 'lb', 'list'])));
        throw new Error(`${c}: all ${tcp.length} connections went to ${[...new Set(tcp)].join(', ')}; maps:\n${maps.join('\n')}`);
      }
      expect(new Set(tcp)).toEqual(names);
      const udp = await answers(16, () => client(NS.app, c, 'udp', clusterIP, '53', 'hi'));
      expect(new Set(udp)).toEqual(names);
    }
  });

  it('the nodes themselves reach the ClusterIP Service', async () => {
    for (const n of lab.nodes) {
      const got = await answers(12, () => nodeClient(n.name, 'tcp', clusterIP, '80', 'node'));
      expect(got.every((p) => echo.some((e) => e.metadata.name === p))).toBe(true);
      expect(new Set(got).size).toBe(2);
    }
  });

  it('pods and nodes reach the kubernetes Service (the apiserver answers TLS on 443)', async () => {
    const ip = lab.info.kubernetesServiceIP;
    const fromPod = await client(NS.app, 'client-1', 'http', ip, '443', '/');
    expect(fromPod.stdout).toMatch(/HTTP 400/); // plain HTTP to an HTTPS server: reached it
    const fromNode = await nodeClient(lab.nodes[1]!.name, 'http', ip, '443', '/');
    expect(fromNode.stdout).toMatch(/HTTP 400/);
  });

  it('NodePort works from the other node, and externalTrafficPolicy Local stays on the node', async () => {
    const [n1, n2] = lab.nodes as [LabHandle['nodes'][number], LabHandle['nodes'][number]];
    await applyAll(kube, [
      service(NS.app, 'echo-np', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30000 + (Date.now() % 2000) }], { type: 'NodePort' }),
      service(NS.app, 'echo-local', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http' }], { type: 'NodePort', externalTrafficPolicy: 'Local' }),
    ]);
    const port = async (name: string) => (await kube.get<{ spec: { ports: { nodePort: number }[] } }>(`/api/v1/namespaces/${NS.app}/services/${name}`)).spec.ports[0]!.nodePort;
    const np = String(await port('echo-np'));
    const got = await waitFor('NodePort answers', async () => {
      const r = await nodeClient(n2.name, 'tcp', n1.ip, np, 'np');
      return r.code === 0 ? r : undefined;
    }, 20_000);
    expect(replyPod(got.stdout)).toBeDefined();
    const spread = await answers(16, () => nodeClient(n2.name, 'tcp', n1.ip, np, 'np'));
    expect(new Set(spread).size).toBe(2); // local and remote backend both work
    const local = String(await port('echo-local'));
    const onN1 = echo.find((p) => p.spec.nodeName === n1.name)!.metadata.name;
    await waitFor('Local NodePort answers', async () => (await nodeClient(n2.name, 'tcp', n1.ip, local, 'x')).code === 0, 20_000);
    expect(new Set(await answers(10, () => nodeClient(n2.name, 'tcp', n1.ip, local, 'local')))).toEqual(new Set([onN1]));
  });

  it('sessionAffinity ClientIP keeps a client on one backend', async () => {
    await applyAll(kube, [service(NS.app, 'echo-sticky', { app: 'echo' }, [{ name: 'http', port: 80, targetPort: 'http' }], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } } })]);
    const ip = (await kube.get<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS.app}/services/echo-sticky`)).spec.clusterIP;
    await waitFor('sticky service answers', async () => (await client(NS.app, 'client-2', 'tcp', ip, '80', 'x')).code === 0, 20_000);
    expect(new Set(await answers(12, () => client(NS.app, 'client-2', 'tcp', ip, '80', 'sticky'))).size).toBe(1);
  });

  it('default-deny ingress + allow from one namespace: allowed passes, other is dropped, flows name the policies', async () => {
    await applyAll(kube, [
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: NS.app }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-friends', namespace: NS.app }, spec: { podSelector: { matchLabels: { app: 'echo' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'friends' } } }] }] } },
    ]);
    const target = echo.find((p) => p.spec.nodeName === lab.nodes[0]!.name)!;
    await waitFor('the other namespace is denied', async () => (await lab.execPod(NS.other, 'client', ['client', 'tcp', target.status.podIP!, '8080', 'x', '--timeout-ms', '800'], { timeoutMs: 10_000 })).code !== 0, 20_000);
    expect(new Set(await answers(6, () => client(NS.friends, 'client', 'tcp', clusterIP, '80', 'friend'))).size).toBe(2);
    const denied = await lab.execPod(NS.other, 'client', ['client', 'tcp', clusterIP, '80', 'x', '--timeout-ms', '1000'], { timeoutMs: 10_000 });
    expect(denied.code).not.toBe(0);
    const node = target.spec.nodeName!;
    const flows = async (filter: string[]) => (await lumenCli(lab, repo, node, ['observe', ...filter, '--last', '50', '-o', 'json']))
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as { verdict: string; policy?: { summary: string; rule?: { policy: { namespace: string; name: string } } }; destination: { pod?: string } });
    const drops = await waitFor('a DROPPED flow from the other namespace', async () => {
      const f = (await flows(['--from-namespace', NS.other, '--verdict', 'DROPPED'])).filter((x) => x.destination.pod === target.metadata.name);
      return f.length ? f : undefined;
    }, 10_000);
    expect(drops[0]!.policy?.summary).toContain(`${NS.app}/allow-friends`);
    expect(drops[0]!.policy?.summary).toContain(`${NS.app}/default-deny`);
    const allowed = (await flows(['--from-namespace', NS.friends, '--verdict', 'FORWARDED'])).filter((x) => x.policy?.rule);
    expect(allowed[0]?.policy?.rule?.policy).toEqual({ namespace: NS.app, name: 'allow-friends' });
    expect(allowed[0]?.policy?.summary).toMatch(/allowed by .*allow-friends ingress rule 0/);
    const policyView = JSON.parse(await lumenCli(lab, repo, node, ['policy', 'get', `${NS.app}/${target.metadata.name}`, '-o', 'json']));
    expect(policyView.ingress.enforcement).toBe('enabled');
    // Removing the policies opens the door again.
    for (const name of ['default-deny', 'allow-friends']) await remove(kube, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: NS.app } });
    await waitFor('the other namespace is allowed again', async () => (await lab.execPod(NS.other, 'client', ['client', 'tcp', target.status.podIP!, '8080', 'x', '--timeout-ms', '800'], { timeoutMs: 10_000 })).code === 0, 20_000);
  });

  it('ipBlock egress: only the allowed CIDR (the apiserver) is reachable, as a CIDR/reserved identity', async () => {
    const apiserver = new URL(lab.apiServer);
    await applyAll(kube, [{
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-apiserver-only', namespace: NS.friends },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${apiserver.hostname}/32` } }], ports: [{ protocol: 'TCP', port: Number(apiserver.port) }] }] },
    }]);
    const target = echo[0]!;
    await waitFor('egress to a pod denied', async () => (await lab.execPod(NS.friends, 'client', ['client', 'tcp', target.status.podIP!, '8080', 'x', '--timeout-ms', '800'], { timeoutMs: 10_000 })).code !== 0, 20_000);
    const api = await lab.execPod(NS.friends, 'client', ['client', 'http', apiserver.hostname, apiserver.port, '/'], { timeoutMs: 10_000 });
    expect(api.stdout).toMatch(/HTTP 400/);
    const other = await lab.execPod(NS.friends, 'client', ['client', 'tcp', apiserver.hostname, '22', 'x', '--timeout-ms', '800'], { timeoutMs: 10_000 });
    expect(other.code).not.toBe(0);
    await remove(kube, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-apiserver-only', namespace: NS.friends } });
    await waitFor('egress open again', async () => (await lab.execPod(NS.friends, 'client', ['client', 'tcp', target.status.podIP!, '8080', 'x', '--timeout-ms', '800'], { timeoutMs: 10_000 })).code === 0, 20_000);
  });

  it('an audit-mode namespace lets would-deny traffic pass and records it as AUDIT', async () => {
    await applyAll(kube, [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: NS.audit }, spec: { podSelector: {}, policyTypes: ['Ingress'] } }]);
    const [target] = await waitReadyPods(kube, NS.audit, 'app=echo', 1);
    const node = target!.spec.nodeName!;
    await waitFor('audit enforcement realized', async () => {
      const eps = JSON.parse(await lumenCli(lab, repo, node, ['endpoint', 'list', '-o', 'json'])) as { pod: { namespace: string }; enforcement: { ingress: string } }[];
      return eps.some((e) => e.pod.namespace === NS.audit && e.enforcement.ingress === 'audit') ? true : undefined;
    }, 20_000);
    const r = await lab.execPod(NS.other, 'client', ['client', 'tcp', target!.status.podIP!, '8080', 'audited'], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    const audit = await waitFor('an AUDIT flow', async () => {
      const out = await lumenCli(lab, repo, node, ['observe', '--to-namespace', NS.audit, '--verdict', 'AUDIT', '--last', '5', '-o', 'json']);
      const f = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { policy?: { summary: string } });
      return f.length ? f : undefined;
    }, 10_000);
    expect(audit[0]!.policy?.summary).toContain(`${NS.audit}/deny-all`);
  });

  it('`lumen bpf lb delete` shows as drift (realized vs desired); the next reconcile repairs it', async () => {
    const node = lab.nodes[0]!.name;
    const frontend = `${clusterIP}:80/TCP`;
    const victim = echo[0]!.status.podIP!;
    type Entry = { frontend: { ip: string; port: number }; desired: { backends: unknown[] } | null; realized: { backends: { ip: string }[] } | null };
    const entry = async () => (JSON.parse(await lumenCli(lab, repo, node, ['service', 'list', '-o', 'json'])) as Entry[])
      .find((e) => e.frontend.ip === clusterIP && e.frontend.port === 80)!;
    expect((await entry()).realized!.backends).toHaveLength(2);
    await lumenCli(lab, repo, node, ['bpf', 'lb', 'delete', frontend, `${victim}:8080`]);
    const drifted = await entry();
    expect(drifted.realized!.backends.map((b) => b.ip)).not.toContain(victim);
    expect(drifted.desired!.backends).toHaveLength(2);
    await kube.mergePatch(`/api/v1/namespaces/${NS.app}/services/echo`, { metadata: { annotations: { 'lumen.dev/test-touch': String(Date.now()) } } });
    await waitFor('the backend back in the maps', async () => ((await entry()).realized!.backends.length === 2 ? true : undefined), 20_000);
  });

  it('the agent API answers 401 without the install token and 200 with it', async () => {
    const ip = lab.nodes[0]!.ip;
    const get = (headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
      const req = request({ host: ip, port: 4244, path: '/v1/status', headers, rejectUnauthorized: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(await get({})).toBe(401);
    expect(await get({ authorization: 'Bearer wrong-token-wrong-token' })).toBe(401);
    expect(await get({ authorization: `Bearer ${token}` })).toBe(200);
  });

  it('a relabelled pod gets the identity of its new labels, in the LumenEndpoint and the maps', async () => {
    const lePath = `/apis/lumen.dev/v1/namespaces/${NS.friends}/lumenendpoints/client`;
    const before = (await kube.get<{ status: { identity: { id: number } } }>(lePath)).status.identity.id;
    await kube.mergePatch(`/api/v1/namespaces/${NS.friends}/pods/client`, { metadata: { labels: { role: 'relabelled' } } });
    const after = await waitFor('a new identity on the LumenEndpoint', async () => {
      const le = await kube.get<{ status: { identity: { id: number; labels: Record<string, string> } } }>(lePath);
      return le.status.identity.id !== before ? le.status.identity : undefined;
    }, 20_000);
    expect(after.labels.role).toBe('relabelled');
    const obj = await kube.get<{ spec: { labels: Record<string, string> } }>(`/apis/lumen.dev/v1/identities/${after.id}`);
    expect(obj.spec.labels).toEqual(after.labels);
    const node = lab.nodes[0]!.name;
    const eps = JSON.parse(await lumenCli(lab, repo, node, ['endpoint', 'list', '-o', 'json'])) as { pod: { namespace: string; name: string }; identity: number }[];
    expect(eps.find((e) => e.pod.namespace === NS.friends)?.identity).toBe(after.id);
  });

  it('a deleted pod takes its LumenEndpoint, address and endpoint entry with it', async () => {
    const pod = (await listPods(kube, NS.app, 'app=client')).find((p) => p.metadata.name === 'client-2')!;
    const node = pod.spec.nodeName!;
    await remove(kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client-2', namespace: NS.app } }, 0);
    await waitFor('LumenEndpoint gone', async () => {
      try {
        await kube.get(`/apis/lumen.dev/v1/namespaces/${NS.app}/lumenendpoints/client-2`);
        return undefined;
      } catch {
        return true;
      }
    }, 30_000);
    const eps = JSON.parse(await lumenCli(lab, repo, node, ['endpoint', 'list', '-o', 'json'])) as { items?: { ipv4: string }[] } | { ipv4: string }[];
    const list = Array.isArray(eps) ? eps : (eps.items ?? []);
    expect(list.map((e) => e.ipv4)).not.toContain(pod.status.podIP);
    const ipam = await lab.exec(node, ['sh', '-c', 'cat /var/lib/lumen/ipam/*.json']);
    expect(ipam.stdout).not.toContain(`"ip": "${pod.status.podIP}"`);
  });
});
