import { describe, expect, it } from 'vitest';
import { podPhase, reducePodStatus, type PodRuntime, type RuntimeContainer } from './status';
import type { Pod } from './types';

const NOW = '2026-01-01T00:00:00.000Z';

function pod(spec: Partial<Pod['spec']> = {}, conditions?: Pod['status']): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: { containers: [{ name: 'a', image: 'lumen.dev/lab/echo:1' }, { name: 'b', image: 'lumen.dev/lab/client:1' }], ...spec },
    ...(conditions ? { status: conditions } : {}),
  };
}

const running = (name: string, ready = true): RuntimeContainer => ({ name, image: 'img', state: { kind: 'running', startedAt: NOW }, restartCount: 0, ready, started: true });
const exited = (name: string, exitCode: number, restartCount = 0): RuntimeContainer => ({ name, image: 'img', state: { kind: 'terminated', exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: NOW }, restartCount, ready: false, started: false });
const waiting = (name: string, reason: string, last?: RuntimeContainer['lastTerminated']): RuntimeContainer => ({ name, image: 'img', state: { kind: 'waiting', reason }, ...(last ? { lastTerminated: last } : {}), restartCount: last ? 1 : 0, ready: false, started: false });

function rt(containers: RuntimeContainer[], initContainers: RuntimeContainer[] = []): PodRuntime {
  return { sandboxReady: true, podIPs: ['10.200.0.5'], hostIP: '172.28.0.11', containers, initContainers };
}

describe('podPhase', () => {
  it('is Pending while a container has never run', () => {
    expect(podPhase(pod(), rt([running('a'), waiting('b', 'ErrImagePull')]))).toBe('Pending');
    expect(podPhase(pod(), rt([]))).toBe('Pending');
  });
  it('is Running while any container runs or is restarting', () => {
    expect(podPhase(pod(), rt([running('a'), running('b')]))).toBe('Running');
    const crashed = exited('b', 1).state as Extract<RuntimeContainer['state'], { kind: 'terminated' }>;
    expect(podPhase(pod(), rt([running('a'), waiting('b', 'CrashLoopBackOff', crashed)]))).toBe('Running');
  });
  it('follows restartPolicy once every container stopped', () => {
    expect(podPhase(pod({ restartPolicy: 'Never' }), rt([exited('a', 0), exited('b', 0)]))).toBe('Succeeded');
    expect(podPhase(pod({ restartPolicy: 'Never' }), rt([exited('a', 0), exited('b', 2)]))).toBe('Failed');
    expect(podPhase(pod({ restartPolicy: 'OnFailure' }), rt([exited('a', 0), exited('b', 0)]))).toBe('Succeeded');
    expect(podPhase(pod({ restartPolicy: 'OnFailure' }), rt([exited('a', 0), exited('b', 2)]))).toBe('Running');
    expect(podPhase(pod({ restartPolicy: 'Always' }), rt([exited('a', 0), exited('b', 0)]))).toBe('Running');
  });
  it('waits for init containers, and fails a Never pod whose init container failed', () => {
    const spec = { initContainers: [{ name: 'i', image: 'x' }] };
    expect(podPhase(pod(spec), rt([], [running('i')]))).toBe('Pending');
    expect(podPhase(pod({ ...spec, restartPolicy: 'Never' }), rt([], [exited('i', 1)]))).toBe('Failed');
    expect(podPhase(pod(spec), rt([running('a'), running('b')], [exited('i', 0)]))).toBe('Running');
  });
});

describe('reducePodStatus', () => {
  it('reports IPs, container states and Ready only when every container is ready', () => {
    const s = reducePodStatus(pod(), rt([running('a'), running('b', false)]), NOW);
    expect(s).toMatchObject({ phase: 'Running', podIP: '10.200.0.5', podIPs: [{ ip: '10.200.0.5' }], hostIP: '172.28.0.11', hostIPs: [{ ip: '172.28.0.11' }] });
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    expect(s.containerStatuses!.map((c) => [c.name, c.ready, Object.keys(c.state)[0]])).toEqual([['a', true, 'running'], ['b', false, 'running']]);
    const all = reducePodStatus(pod(), rt([running('a'), running('b')]), NOW);
    expect(all.conditions!.filter((c) => c.status === 'True').map((c) => c.type).sort()).toEqual(['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'Ready']);
  });

  it('keeps conditions it does not own and transition times that did not change', () => {
    const before = reducePodStatus(pod(), rt([running('a'), running('b')]), '2026-01-01T00:00:00Z');
    const prev = pod({}, { conditions: [...before.conditions!, { type: 'PodScheduled', status: 'True', lastTransitionTime: 'T0' }] });
    const after = reducePodStatus(prev, rt([running('a'), running('b', false)]), '2026-01-01T00:01:00Z');
    expect(after.conditions!.find((c) => c.type === 'PodScheduled')).toEqual({ type: 'PodScheduled', status: 'True', lastTransitionTime: 'T0' });
    expect(after.conditions!.find((c) => c.type === 'Initialized')!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(after.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('2026-01-01T00:01:00Z');
  });

  it('shows last termination and restart count of a restarting container', () => {
    const term = { kind: 'terminated' as const, exitCode: 3, reason: 'Error', startedAt: NOW, finishedAt: NOW };
    const s = reducePodStatus(pod(), rt([running('a'), { ...waiting('b', 'CrashLoopBackOff', term), restartCount: 2 }]), NOW);
    const b = s.containerStatuses!.find((c) => c.name === 'b')!;
    expect(b).toMatchObject({ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } });
  });

  it('reports containers with no runtime yet as ContainerCreating and a finished pod as not ready', () => {
    const s = reducePodStatus(pod(), { ...rt([]), sandboxReady: false, podIPs: [] }, NOW);
    expect(s.podIP).toBeUndefined();
    expect(s.containerStatuses!.every((c) => c.state.waiting?.reason === 'ContainerCreating')).toBe(true);
    expect(s.conditions!.find((c) => c.type === 'PodReadyToStartContainers')!.status).toBe('False');
    const done = reducePodStatus(pod({ restartPolicy: 'Never' }), rt([exited('a', 0), exited('b', 0)]), NOW);
    expect(done.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('requires readiness gates to be True', () => {
    const gated = pod({ readinessGates: [{ conditionType: 'lumen.dev/policy' }] });
    expect(reducePodStatus(gated, rt([running('a'), running('b')]), NOW).conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
    const opened = { ...gated, status: { conditions: [{ type: 'lumen.dev/policy', status: 'True' as const }] } };
    expect(reducePodStatus(opened, rt([running('a'), running('b')]), NOW).conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  });
});
