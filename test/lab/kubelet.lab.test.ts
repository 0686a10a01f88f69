// The lab kubelet's pod lifecycle against the real control plane: image mapping errors,
// restarts with back-off, terminal phases, init containers, probes, and termination
// with SIGTERM, grace period and SIGKILL.
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, waitFor } from './lib/proc';
import type { KubeClient } from './lib/kube';
import type { Container, Pod } from './kubelet/types';
import { skipReason, useLab } from './use-lab';
import { createNamespace, deleteNamespace, isReady, pinnedPod, podEvents, waitForEvent, waitForGone, waitForPod } from './test-helpers';

// Its own lab: these tests check the lab's fallback network, which an installed agent replaces.
const ref = useLab({ dedicated: true });
const NS = 'lab-kubelet';
let c: KubeClient;

const status = (p: Pod, name?: string) => p.status?.containerStatuses?.find((s) => !name || s.name === name);

async function createPod(name: string, node: string, containers: Container[], extra: Partial<Pod['spec']> = {}): Promise<void> {
  await c.create(`/api/v1/namespaces/${NS}/pods`, pinnedPod(name, node, { containers, ...extra }));
}

describe.skipIf(!!skipReason)(`lab kubelet: pod lifecycle${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    c = ref.lab!.client();
    await createNamespace(c, NS);
  });
  afterAll(async () => {
    if (!c) return;
    await deleteNamespace(c, NS);
    c.close();
  });

  it('reports an unmapped image as ErrImagePull, then ImagePullBackOff, naming the image', async () => {
    await createPod('unmapped', 'node-1', [{ name: 'web', image: 'docker.io/library/nginx:1.27' }]);
    const first = await waitForPod(c, NS, 'unmapped', 'ErrImagePull', (p) => status(p)?.state.waiting?.reason === 'ErrImagePull');
    expect(first.status?.phase).toBe('Pending');
    expect(status(first)?.state.waiting?.message).toMatch(/"docker\.io\/library\/nginx:1\.27".*lumen\.dev\/lab\/echo/);
    const later = await waitForPod(c, NS, 'unmapped', 'ImagePullBackOff', (p) => status(p)?.state.waiting?.reason === 'ImagePullBackOff', 10_000);
    expect(status(later)?.state.waiting?.message).toContain('Back-off pulling image "docker.io/library/nginx:1.27"');
    expect((await waitForEvent(c, NS, 'unmapped', 'Failed')).message).toContain('nginx:1.27');
  });

  it('restarts a crashing container with back-off: restartCount, lastState, CrashLoopBackOff, previous logs', async () => {
    await createPod('crash', 'node-2', [{ name: 'crash', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'echo boom; exit 3'] }]);
    const p = await waitForPod(c, NS, 'crash', 'in CrashLoopBackOff', (x) => status(x)?.state.waiting?.reason === 'CrashLoopBackOff', 30_000);
    const st = status(p)!;
    expect(st.restartCount).toBeGreaterThanOrEqual(1);
    expect(st.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(st.state.waiting?.message).toMatch(/back-off 10s restarting failed container=crash/);
    expect(p.status?.phase).toBe('Running');
    expect((await waitForEvent(c, NS, 'crash', 'BackOff')).message).toContain('Back-off restarting failed container crash');
    expect(ref.lab!.logs(NS, 'crash', 'crash', { previous: true })).toContain('boom');
  });

  it('serves container logs through the API server (pods/log, as kubectl logs): tail, previous, follow, errors', async () => {
    await createPod('talker', 'node-1', [{ name: 'talk', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'echo one; echo two; echo three; i=0; while true; do sleep 0.2; i=$((i+1)); echo tick $i; done'] }]);
    await waitForPod(c, NS, 'talker', 'Running', (p) => status(p)?.state.running !== undefined);
    const log = (pod: string, query: Record<string, string>) => c.get<string>(`/api/v1/namespaces/${NS}/pods/${pod}/log`, query);
    await waitFor('the first ticks', 10_000, async () => (String(await log('talker', {})).includes('tick 2') ? true : undefined));
    expect(String(await log('talker', {}))).toMatch(/^one\ntwo\nthree\n/);
    expect(String(await log('talker', { tailLines: '1' }))).toMatch(/^tick \d+\n$/);
    expect(String(await log('crash', { previous: 'true' }))).toContain('boom');
    await expect(log('talker', { container: 'nope' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('nope') });
    await expect(log('talker', { previous: 'true' })).rejects.toMatchObject({ message: expect.stringContaining('previous terminated container') });
    // follow=true streams lines as they are written.
    const followed = await new Promise<string>((resolve, reject) => {
      const { ca, cert, key } = c.creds;
      const server = c.server;
      const req = httpsRequest({ host: server.hostname, port: server.port, path: `/api/v1/namespaces/${NS}/pods/talker/log?follow=true&tailLines=0`, ca, cert, key }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        setTimeout(() => {
          req.destroy();
          resolve(`${res.statusCode} ${text}`);
        }, 1500);
      });
      req.on('error', (e) => (e.message.includes('aborted') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });
    expect(followed.startsWith('200 ')).toBe(true);
    expect(followed.match(/tick \d+/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('ends restartPolicy Never pods as Succeeded or Failed and releases their network', async () => {
    await createPod('ok', 'node-1', [{ name: 'c', image: 'lumen.dev/lab/client:1', command: ['true'] }], { restartPolicy: 'Never' });
    await createPod('bad', 'node-2', [{ name: 'c', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'exit 7'] }], { restartPolicy: 'Never' });
    const ok = await waitForPod(c, NS, 'ok', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const bad = await waitForPod(c, NS, 'bad', 'Failed', (p) => p.status?.phase === 'Failed');
    expect(status(ok)?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status(bad)?.state.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(status(bad)?.restartCount).toBe(0);
    expect(bad.status?.podIP).toBeTruthy();
    const ns = ref.lab!.podRecord(NS, 'bad').netns.replace('/run/netns/', '');
    await waitFor('the finished pod netns to be removed', 10_000, async () => ((await run(['ip', 'netns', 'list'])).stdout.includes(ns) ? undefined : true));
  });

  it('runs init containers in order, sharing an emptyDir with the main container', async () => {
    await createPod('init', 'node-1', [{ name: 'main', image: 'lumen.dev/lab/client:1', volumeMounts: [{ name: 'work', mountPath: '/work' }] }], {
      volumes: [{ name: 'work', emptyDir: {} }],
      initContainers: [
        { name: 'one', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'echo one > /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { name: 'two', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'echo two >> /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      ],
    });
    const p = await waitForPod(c, NS, 'init', 'Ready', isReady);
    expect(p.status?.initContainerStatuses?.map((s) => s.state.terminated?.reason)).toEqual(['Completed', 'Completed']);
    expect(p.status?.conditions?.find((x) => x.type === 'Initialized')?.status).toBe('True');
    expect((await ref.lab!.execPod(NS, 'init', ['cat', '/work/order'])).stdout).toBe('one\ntwo\n');
  });

  it('gates Ready on readiness probes (httpGet, tcpSocket, exec)', async () => {
    const echo = (name: string, probe: Container['readinessProbe']): Container => ({ name, image: 'lumen.dev/lab/echo:1', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: probe });
    await createPod('http-503', 'node-1', [echo('echo', { httpGet: { path: '/status/503', port: 'http' }, periodSeconds: 1 })]);
    await createPod('http-200', 'node-2', [echo('echo', { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 })]);
    await createPod('tcp', 'node-2', [echo('echo', { tcpSocket: { port: 8080 }, periodSeconds: 1 })]);
    await createPod('exec', 'node-1', [{ name: 'c', image: 'lumen.dev/lab/client:1', volumeMounts: [{ name: 'flag', mountPath: '/flag' }], readinessProbe: { exec: { command: ['test', '-f', '/flag/ready'] }, periodSeconds: 1, failureThreshold: 1 } }], { volumes: [{ name: 'flag', emptyDir: {} }] });
    await waitForPod(c, NS, 'http-200', 'Ready', isReady);
    await waitForPod(c, NS, 'tcp', 'Ready', isReady);
    expect((await waitForEvent(c, NS, 'http-503', 'Unhealthy')).message).toContain('Readiness probe failed: HTTP probe returned 503');
    expect(isReady((await c.get<Pod>(`/api/v1/namespaces/${NS}/pods/http-503`)))).toBe(false);
    await waitForPod(c, NS, 'exec', 'running', (p) => !!status(p)?.state.running);
    await new Promise((r) => setTimeout(r, 1500));
    expect(isReady((await c.get<Pod>(`/api/v1/namespaces/${NS}/pods/exec`)))).toBe(false);
    expect((await ref.lab!.execPod(NS, 'exec', ['touch', '/flag/ready'])).code).toBe(0);
    await waitForPod(c, NS, 'exec', 'Ready after the flag file appeared', isReady, 10_000);
  });

  it('restarts a container whose liveness probe fails', async () => {
    await createPod('live', 'node-2', [{ name: 'c', image: 'lumen.dev/lab/client:1', livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }], { terminationGracePeriodSeconds: 1 });
    const p = await waitForPod(c, NS, 'live', 'restarted', (x) => (status(x)?.restartCount ?? 0) >= 1, 30_000);
    expect(status(p)?.lastState.terminated).toBeDefined();
    const reasons = (await podEvents(c, NS, 'live')).map((e) => `${e.reason}: ${e.message}`);
    expect(reasons.some((r) => r.startsWith('Unhealthy: Liveness probe failed'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('Killing: Container c failed liveness probe'))).toBe(true);
  });

  it('deletes a pod with SIGTERM, the grace period, then SIGKILL, and finalises the object', async () => {
    await createPod('stubborn', 'node-1', [{ name: 'c', image: 'lumen.dev/lab/client:1', command: ['sh', '-c', 'trap "echo got TERM" TERM; echo started; while true; do sleep 0.2; done'] }], { terminationGracePeriodSeconds: 3 });
    await waitForPod(c, NS, 'stubborn', 'Ready', isReady);
    await waitFor('the trap to be installed', 5000, () => (ref.lab!.logs(NS, 'stubborn').includes('started') ? true : undefined));
    const rec = ref.lab!.podRecord(NS, 'stubborn');
    const pid = rec.containers.c!.pid!;
    const t0 = Date.now();
    await c.delete(`/api/v1/namespaces/${NS}/pods/stubborn`);
    await waitForGone(c, `/api/v1/namespaces/${NS}/pods/stubborn`, 30_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(10_000);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(rec.cgroup)).toBe(false);

    // A process that exits on SIGTERM is gone right away.
    await createPod('polite', 'node-1', [{ name: 'echo', image: 'lumen.dev/lab/echo:1', ports: [{ containerPort: 8080 }] }], { terminationGracePeriodSeconds: 30 });
    await waitForPod(c, NS, 'polite', 'Ready', isReady);
    const t1 = Date.now();
    await c.delete(`/api/v1/namespaces/${NS}/pods/polite`);
    await waitForGone(c, `/api/v1/namespaces/${NS}/pods/polite`, 30_000);
    expect(Date.now() - t1).toBeLessThan(5000);
  });
});
