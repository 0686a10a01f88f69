// What the lab kubelet gives a pod: env (downward API, ConfigMap/Secret keys, $(VAR),
// the kubernetes service), volumes (configMap, secret, downwardAPI, projected token,
// emptyDir, hostPath), hostNetwork, CNI as a kubelet calls it, and extra identities.
import { existsSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, KubeError, type KubeObject } from './lib/kube';
import { cidrContains } from './lib/layout';
import type { Pod } from './kubelet/types';
import { skipReason, useLab } from './use-lab';
import { createNamespace, deleteNamespace, isReady, pinnedPod, waitForEvent, waitForGone, waitForPod } from './test-helpers';
import { waitFor } from './lib/proc';

// Its own lab: these tests check the lab's fallback network, which an installed agent replaces.
const ref = useLab({ dedicated: true });
const NS = 'lab-podcfg';
let c: KubeClient;

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

describe.skipIf(!!skipReason)(`lab kubelet: pod configuration and networking${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    c = ref.lab!.client();
    await createNamespace(c, NS);
  });
  afterAll(async () => {
    if (!c) return;
    await deleteNamespace(c, NS);
    c.close();
  });

  it('provides env vars and volumes as a kubelet does', async () => {
    const lab = ref.lab!;
    await c.create(`/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { greeting: 'hello', 'file.txt': 'from a configmap' } });
    await c.create(`/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('cfg', 'node-2', {
      containers: [{
        name: 'c',
        image: 'lumen.dev/lab/client:1',
        env: [
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'COMBINED', value: '$(GREETING)-$(POD_NAME)-$$(LITERAL)' },
          { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
        ],
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/lab/cfg' },
          { name: 'sec', mountPath: '/etc/lab/sec' },
          { name: 'info', mountPath: '/etc/lab/info' },
          { name: 'tok', mountPath: '/etc/lab/tok' },
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'host', mountPath: '/host' },
        ],
      }],
      volumes: [
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'file.txt', path: 'nested/file.txt' }] } },
        { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
        { name: 'tok', projected: { sources: [{ serviceAccountToken: { audience: 'lumen-test', expirationSeconds: 3600, path: 'token' } }, { configMap: { name: 'cfg', items: [{ key: 'greeting', path: 'greeting' }] } }] } },
        { name: 'scratch', emptyDir: {} },
        { name: 'host', hostPath: { path: '/var/lib/lumen/lab-test', type: 'DirectoryOrCreate' } },
      ],
    }, { app: 'cfg', tier: 'test' }));
    const pod = await waitForPod(c, NS, 'cfg', 'Ready', isReady);
    const sh = async (cmd: string): Promise<string> => {
      const r = await lab.execPod(NS, 'cfg', ['sh', '-c', cmd]);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    const env = Object.fromEntries((await sh('env')).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({
      GREETING: 'hello', PASSWORD: 's3cret', POD_NAME: 'cfg', POD_NAMESPACE: NS, POD_UID: pod.metadata.uid,
      POD_IP: pod.status!.podIP, POD_IPS: pod.status!.podIP, HOST_IP: lab.node('node-2').ip, NODE: 'node-2',
      COMBINED: 'hello-cfg-$(LITERAL)', HOSTNAME: 'cfg',
      KUBERNETES_SERVICE_HOST: lab.info.kubernetesServiceIP,
      // Given explicitly in the spec, so it wins over the injected value.
      KUBERNETES_SERVICE_PORT: '6443',
    });
    expect(await sh('hostname')).toBe('cfg\n');
    expect(await sh('cat /etc/lab/cfg/nested/file.txt')).toBe('from a configmap');
    expect(await sh('cat /etc/lab/sec/password; stat -L -c %a /etc/lab/sec/password')).toBe('s3cret400\n');
    expect(await sh('cat /etc/lab/info/labels')).toBe('app="cfg"\ntier="test"');
    expect(await sh('cat /etc/lab/info/name')).toBe('cfg');
    expect(await sh('cat /etc/lab/tok/greeting')).toBe('hello');
    // Volumes from the API are read-only for the container.
    expect((await lab.execPod(NS, 'cfg', ['sh', '-c', 'echo x > /etc/lab/cfg/new'])).code).not.toBe(0);
    // A bound token for the requested audience, tied to this pod.
    const token = await sh('cat /etc/lab/tok/token');
    const claims = jwtPayload(token);
    expect(claims.aud).toEqual(['lumen-test']);
    expect((claims['kubernetes.io'] as { pod: { name: string; uid: string } }).pod).toEqual({ name: 'cfg', uid: pod.metadata.uid });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    // The standard projection (added by the ServiceAccount admission plugin): token, ca.crt, namespace.
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    expect(await sh(`cat ${sa}/namespace`)).toBe(NS);
    expect(await sh(`cat ${sa}/ca.crt`)).toBe(readFileSync(join(lab.info.pkiDir, 'ca.crt'), 'utf8'));
    // That token works against the apiserver, reached from inside the pod over the lab bridge.
    const review = `
      const fs = require('fs');
      const dir = '${sa}';
      const req = require('https').request('${lab.apiServer}/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        method: 'POST', ca: fs.readFileSync(dir + '/ca.crt'), timeout: 5000,
        headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8'), 'content-type': 'application/json' },
      }, (res) => { let b = ''; res.on('data', (d) => (b += d)).on('end', () => process.stdout.write(b)); });
      req.on('error', (e) => { console.error(e.message); process.exit(1); });
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));`;
    const whoami = await lab.execPod(NS, 'cfg', [process.execPath, '-e', review]);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout).status.userInfo.username).toBe(`system:serviceaccount:${NS}:default`);
    // emptyDir is writable; hostPath writes land in the node's own directory, not the other node's.
    await sh('echo scratch > /scratch/x && echo host > /host/from-pod');
    expect(readFileSync(join(lab.node('node-2').root, 'var/lib/lumen/lab-test/from-pod'), 'utf8')).toBe('host\n');
    expect(existsSync(join(lab.node('node-1').root, 'var/lib/lumen/lab-test/from-pod'))).toBe(false);
    expect((await lab.exec('node-2', ['cat', '/var/lib/lumen/lab-test/from-pod'])).stdout).toBe('host\n');
    // The container runs in the pod's cgroup below the node's subtree.
    expect(await sh('cat /proc/self/cgroup')).toContain(`/lumen-lab${lab.instance}/node-2/pods/pod${pod.metadata.uid}/c`);
  });

  it('runs hostNetwork pods in the node network namespace with the node IP', async () => {
    const lab = ref.lab!;
    await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('hostnet', 'node-1', { hostNetwork: true, containers: [{ name: 'c', image: 'lumen.dev/lab/client:1' }] }));
    const p = await waitForPod(c, NS, 'hostnet', 'Ready', isReady);
    expect(p.status?.podIP).toBe(lab.node('node-1').ip);
    const addr = await lab.execPod(NS, 'hostnet', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(addr.stdout).toContain(`${lab.node('node-1').ip}/24`);
    // The node's own mounts are its view: per-node CNI dir, bpffs and cgroup subtree.
    const mounts = (await lab.execPod(NS, 'hostnet', ['cat', '/proc/self/mounts'])).stdout;
    expect(mounts).toMatch(/^bpf \/sys\/fs\/bpf bpf/m);
    expect(mounts).toMatch(/ \/run\/lumen\/cgroupv2 cgroup2 /);
    expect((await lab.execPod(NS, 'hostnet', ['ls', '/etc/cni/net.d'])).stdout).toContain('10-lab-ptp.conflist');
  });

  it('calls CNI plugins as a kubelet does, reports failures as FailedCreatePodSandBox and retries', async () => {
    const lab = ref.lab!;
    const node = lab.node('node-2');
    const confDir = join(node.root, 'etc/cni/net.d');
    const broken = join(confDir, '00-broken.conflist');
    writeFileSync(broken, JSON.stringify({ cniVersion: '1.0.0', name: 'broken', plugins: [{ type: 'nope' }] }));
    try {
      await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('cni-retry', 'node-2', { containers: [{ name: 'c', image: 'lumen.dev/lab/client:1' }] }));
      const ev = await waitForEvent(c, NS, 'cni-retry', 'FailedCreatePodSandBox');
      expect(ev.message).toContain('failed to find plugin "nope" in path [/opt/cni/bin]');
      const pending = await c.get<Pod>(`/api/v1/namespaces/${NS}/pods/cni-retry`);
      expect(pending.status?.phase).toBe('Pending');
      expect(pending.status?.containerStatuses?.[0]?.state.waiting?.reason).toBe('ContainerCreating');
    } finally {
      rmSync(broken, { force: true });
    }
    await waitForPod(c, NS, 'cni-retry', 'Ready once the broken config is gone', isReady, 40_000);
    await lab.checkPodNetwork(NS, 'cni-retry');

    // A chained plugin that records what it is given, placed first so it takes over for new pods.
    const recorder = join(node.root, 'opt/cni/bin/lab-record');
    writeFileSync(recorder, `#!/bin/sh
in=$(cat)
d=/var/lib/cni/lab-record
mkdir -p $d
env | grep '^CNI_' | sort > $d/$CNI_COMMAND.env
printf '%s' "$in" > $d/$CNI_COMMAND.json
if nsenter --net="$CNI_NETNS" ip link show eth0 >/dev/null 2>&1; then echo yes > $d/$CNI_COMMAND.eth0; else echo no > $d/$CNI_COMMAND.eth0; fi
case "$CNI_COMMAND" in
  ADD) printf '%s' "$in" | ${process.execPath} -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s).prevResult)))' ;;
  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}' ;;
esac
`);
    chmodSync(recorder, 0o755);
    const ptp = JSON.parse(readFileSync(join(confDir, '10-lab-ptp.conflist'), 'utf8')) as { plugins: unknown[] };
    const takeover = join(confDir, '05-lumen.conflist');
    writeFileSync(takeover, JSON.stringify({ cniVersion: '1.0.0', name: 'lumen-test', plugins: [...ptp.plugins, { type: 'lab-record', custom: 42 }] }));
    const recDir = join(node.root, 'var/lib/cni/lab-record');
    try {
      await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('cni-chain', 'node-2', { containers: [{ name: 'c', image: 'lumen.dev/lab/client:1' }] }));
      const p = await waitForPod(c, NS, 'cni-chain', 'Ready', isReady);
      const rec = lab.podRecord(NS, 'cni-chain');
      expect(rec.cni?.file).toBe(takeover);
      expect(rec.cni?.list.name).toBe('lumen-test');
      const env = readFileSync(join(recDir, 'ADD.env'), 'utf8');
      expect(env).toContain('CNI_COMMAND=ADD');
      expect(env).toContain('CNI_IFNAME=eth0');
      expect(env).toContain(`CNI_NETNS=${rec.netns}`);
      expect(env).toContain('CNI_PATH=/opt/cni/bin');
      expect(env).toContain(`CNI_CONTAINERID=${p.metadata.uid.replace(/-/g, '')}`);
      expect(env).toContain(`CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=${NS};K8S_POD_NAME=cni-chain;K8S_POD_INFRA_CONTAINER_ID=${p.metadata.uid.replace(/-/g, '')};K8S_POD_UID=${p.metadata.uid}`);
      const stdin = JSON.parse(readFileSync(join(recDir, 'ADD.json'), 'utf8')) as { name: string; cniVersion: string; custom: number; prevResult: { ips: Array<{ address: string }> } };
      expect(stdin).toMatchObject({ name: 'lumen-test', cniVersion: '1.0.0', custom: 42 });
      expect(stdin.prevResult.ips[0]!.address).toBe(`${p.status!.podIP}/24`);
      expect(cidrContains(node.podCIDR, p.status!.podIP!)).toBe(true);
      await lab.checkPodNetwork(NS, 'cni-chain');
      expect(readFileSync(join(recDir, 'CHECK.env'), 'utf8')).toContain('CNI_COMMAND=CHECK');
      // Removing the takeover config does not matter for DEL: the config cached at ADD is used.
      rmSync(takeover);
      await c.delete(`/api/v1/namespaces/${NS}/pods/cni-chain`, { gracePeriodSeconds: 1 });
      await waitForGone(c, `/api/v1/namespaces/${NS}/pods/cni-chain`);
      const del = JSON.parse(readFileSync(join(recDir, 'DEL.json'), 'utf8')) as { name: string; prevResult: unknown };
      expect(del.name).toBe('lumen-test');
      expect(del.prevResult).toEqual(stdin.prevResult);
      // DEL runs in reverse order: the recorder ran while ptp's eth0 still existed.
      expect(readFileSync(join(recDir, 'DEL.eth0'), 'utf8')).toBe('yes\n');
    } finally {
      rmSync(takeover, { force: true });
      rmSync(recorder, { force: true });
      rmSync(recDir, { recursive: true, force: true });
    }
  });

  it('runs the client load mode: new and long-lived connections, failures reported', async () => {
    const lab = ref.lab!;
    await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('load-echo', 'node-1', { containers: [{ name: 'echo', image: 'lumen.dev/lab/echo:1', ports: [{ containerPort: 8080 }] }] }));
    await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod('load-client', 'node-2', { containers: [{ name: 'c', image: 'lumen.dev/lab/client:1' }] }));
    const echo = await waitForPod(c, NS, 'load-echo', 'Ready', isReady);
    await waitForPod(c, NS, 'load-client', 'Ready', isReady);
    const ok = await lab.execPod(NS, 'load-client', ['client', 'load', echo.status!.podIP!, '8080', '--interval-ms', '50', '--long-lived', '3', '--duration-s', '2', '--report-ms', '500']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const lines = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; newOk: number; newFail: number; longOk: number; longFail: number; longOpen: number; pods: Record<string, number> });
    expect(lines.filter((l) => l.event === 'summary').length).toBeGreaterThanOrEqual(2);
    const final = lines.at(-1)!;
    expect(final).toMatchObject({ event: 'final', newFail: 0, longFail: 0, longOpen: 3 });
    expect(final.newOk).toBeGreaterThan(10);
    expect(final.longOk).toBeGreaterThan(10);
    expect(Object.keys(final.pods)).toEqual(['load-echo']);
    const refused = await lab.execPod(NS, 'load-client', ['client', 'load', echo.status!.podIP!, '9999', '--interval-ms', '100', '--duration-s', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/"event":"fail","kind":"new","error":"tcp [\d.]+:9999: connect ECONNREFUSED/);
  });

  it('writes kubeconfigs for other identities signed by the lab CA (limited RBAC)', async () => {
    const lab = ref.lab!;
    const path = await lab.userKubeconfig('alice', ['lab-readers']);
    const alice = KubeClient.fromKubeconfig(path);
    try {
      const denied = await alice.list(`/api/v1/namespaces/${NS}/pods`).then(() => undefined, (e: unknown) => e);
      expect(denied).toBeInstanceOf(KubeError);
      expect((denied as KubeError).status).toBe(403);
      expect((denied as KubeError).message).toContain('User "alice"');
      await c.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'readers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'lab-readers' }],
      });
      const pods = await waitFor('alice may list pods', 10_000, async () => alice.list<KubeObject>(`/api/v1/namespaces/${NS}/pods`).catch(() => undefined));
      expect(pods.items.length).toBeGreaterThan(0);
    } finally {
      alice.close();
    }
  });
});
