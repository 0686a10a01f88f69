// Tests of the rollout model: every node says what it waits for or what failed there (pull, crash loop, admission), never just "not ready".
import { describe, expect, it } from 'vitest';
import { CONFIG_HASH_ANNOTATION, VERSION_ANNOTATION } from '../../../resources/manifests.js';
import { describeFailure, describeNodes, shortReason, summarizeRollout, type DaemonSetLike, type EventLike, type PodLike, type RolloutInput } from './rollout-model.js';

const ann = { [CONFIG_HASH_ANNOTATION]: 'h1', [VERSION_ANNOTATION]: '0.1.0' };
const ds: DaemonSetLike = {
  metadata: { generation: 2 },
  spec: { template: { metadata: { annotations: ann }, spec: { containers: [{ name: 'agent', image: 'repo/lumen-agent:1' }] } } },
  status: { observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 2, numberAvailable: 2 },
};

function pod(name: string, node: string, status: PodLike['status'], annotations = ann): PodLike {
  return {
    metadata: { name, annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeName: node, initContainers: [{ name: 'mount-bpf-fs', image: 'repo/lumen-agent:1' }], containers: [{ name: 'agent', image: 'repo/lumen-agent:1' }] },
    status,
  };
}
const initDone = [{ name: 'mount-bpf-fs', state: { terminated: { exitCode: 0, reason: 'Completed' } }, restartCount: 0 }];
const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], initContainerStatuses: initDone, containerStatuses: [{ name: 'agent', ready: true, state: { running: {} }, restartCount: 0 }] };

function input(pods: PodLike[], extra: Partial<RolloutInput> = {}): RolloutInput {
  return { ds, nodes: ['node-1', 'node-2'], pods, events: [], agents: new Map(), logs: new Map(), ...extra };
}

describe('summarizeRollout', () => {
  it('is complete when every node is ready and the DaemonSet agrees', () => {
    const s = summarizeRollout(input([pod('a', 'node-1', ready), pod('b', 'node-2', ready)]), 'lumen-agent');
    expect(s.complete).toBe(true);
    expect(s.nodes.map((n) => n.state)).toEqual(['ready', 'ready']);
  });

  it('names the image and the pull error of a node that cannot pull', () => {
    const pulling = {
      phase: 'Pending', initContainerStatuses: [{ name: 'mount-bpf-fs', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "repo/lumen-agent:1": ErrImagePull: not found' } }, restartCount: 0 }],
      containerStatuses: [{ name: 'agent', state: { waiting: { reason: 'PodInitializing' } } }],
    };
    const s = summarizeRollout(input([pod('a', 'node-1', ready), pod('b', 'node-2', pulling)]), 'lumen-agent');
    expect(s.complete).toBe(false);
    expect(s.failed.map((n) => n.node)).toEqual(['node-2']);
    expect(s.nodes[1]!.reason).toBe('cannot pull image "repo/lumen-agent:1" for init container "mount-bpf-fs" (ImagePullBackOff): Back-off pulling image "repo/lumen-agent:1": ErrImagePull: not found');
  });

  it('reports a crash loop with the last exit code and carries the logs tail', () => {
    const crashing = {
      phase: 'Running', initContainerStatuses: initDone,
      containerStatuses: [{ name: 'agent', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } }],
    };
    const s = summarizeRollout(input([pod('a', 'node-1', crashing)], { logs: new Map([['a', { lines: ['fatal: no BTF'], error: null }]]) }), 'lumen-agent');
    expect(s.nodes[0]!.state).toBe('failed');
    expect(s.nodes[0]!.reason).toBe('container "agent" keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 3 (Error))');
    expect(s.nodes[0]!.logsTail).toEqual(['fatal: no BTF']);
  });

  it('says what a starting node waits for: container creation with the last warning, then the agent\'s own reason', () => {
    const events: EventLike[] = [{ type: 'Warning', reason: 'FailedMount', message: 'secret "x" not found', involvedObject: { kind: 'Pod', name: 'a' }, lastTimestamp: '2026-01-01T00:00:01Z' }];
    const creating = { phase: 'Pending', initContainerStatuses: initDone, containerStatuses: [{ name: 'agent', state: { waiting: { reason: 'ContainerCreating' } } }] };
    const s1 = summarizeRollout(input([pod('a', 'node-1', creating)], { events }), 'lumen-agent');
    expect(s1.nodes[0]!.reason).toBe('container "agent" is being created; last warning: FailedMount: secret "x" not found');
    const running = { phase: 'Running', initContainerStatuses: initDone, conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'agent', ready: false, state: { running: {} }, restartCount: 0 }] };
    const agents = new Map([['node-1', { ready: false, version: '0.1.0', health: 'degraded', problems: ['waiting for the first sync of pods'], error: null }]]);
    const s2 = summarizeRollout(input([pod('a', 'node-1', running)], { agents }), 'lumen-agent');
    expect(s2.nodes[0]!.state).toBe('starting');
    expect(s2.nodes[0]!.reason).toBe('agent running, not ready yet: waiting for the first sync of pods');
  });

  it('keeps old pods apart: a node waits for its turn or for the old pod to stop', () => {
    const old = { [CONFIG_HASH_ANNOTATION]: 'h0', [VERSION_ANNOTATION]: '0.1.0' };
    const s = summarizeRollout(input([
      pod('old-1', 'node-1', ready, old),
      { ...pod('old-2', 'node-2', ready, old), metadata: { name: 'old-2', annotations: old, deletionTimestamp: 'now' } },
    ]), 'lumen-agent');
    expect(s.nodes.map((n) => n.reason)).toEqual([
      'waiting for its turn in the rolling update (one node at a time)',
      'the old agent pod old-2 is stopping (rolling update)',
    ]);
    expect(s.complete).toBe(false);
  });

  it('fails nodes without a pod when the DaemonSet cannot create pods (admission)', () => {
    const events: EventLike[] = [{ type: 'Warning', reason: 'FailedCreate', message: 'pods "lumen-agent-x" is forbidden: violates PodSecurity "baseline:latest": privileged', involvedObject: { kind: 'DaemonSet', name: 'lumen-agent' }, lastTimestamp: 't' }];
    const s = summarizeRollout(input([], { events }), 'lumen-agent');
    expect(s.failed).toHaveLength(2);
    expect(describeNodes(s.failed)).toContain('node-1: the DaemonSet cannot create the agent pod: pods "lumen-agent-x" is forbidden');
  });
});

describe('describeFailure', () => {
  const failed = (node: string, reason: string) => ({ node, reason, pod: null, phase: null, state: 'failed' as const, containers: [], events: [], logsTail: null, logsError: null, agent: null });

  it('says it once for nodes that failed alike, without the runtime\'s long message', () => {
    const r = 'cannot pull image "x:1" for init container "mount-bpf-fs" (ImagePullBackOff): Back-off pulling image "x:1": a long story';
    expect(shortReason(r)).toBe('cannot pull image "x:1" for init container "mount-bpf-fs" (ImagePullBackOff)');
    expect(describeFailure([failed('node-1', r), failed('node-2', r)])).toBe('the agent failed on 2 nodes — node-1, node-2: cannot pull image "x:1" for init container "mount-bpf-fs" (ImagePullBackOff)');
    expect(describeFailure([failed('node-1', 'container "agent" keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 3 (Error))')]))
      .toBe('the agent failed on node-1: container "agent" keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 3 (Error))');
  });
});
