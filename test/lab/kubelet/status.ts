// Pod status reduction: from the runtime state of a pod's sandbox and containers to the
// PodStatus a kubelet reports (phase, conditions, container statuses, IPs).
import type { ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from './types';

export type RuntimeContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string }
  | { kind: 'terminated'; exitCode: number; reason: string; signal?: number; message?: string; startedAt?: string; finishedAt: string };

export interface RuntimeContainer {
  name: string;
  image: string;
  containerID?: string;
  state: RuntimeContainerState;
  lastTerminated?: Extract<RuntimeContainerState, { kind: 'terminated' }>;
  restartCount: number;
  ready: boolean;
  /** Started per the startup probe (or simply running when there is none). */
  started: boolean;
}

export interface PodRuntime {
  sandboxReady: boolean;
  podIPs: string[];
  hostIP: string;
  initContainers: RuntimeContainer[];
  containers: RuntimeContainer[];
  startTime?: string;
}

function stateOf(s: RuntimeContainerState, containerID?: string): ContainerState {
  switch (s.kind) {
    case 'waiting':
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case 'running':
      return { running: { startedAt: s.startedAt } };
    case 'terminated':
      return {
        terminated: {
          exitCode: s.exitCode,
          reason: s.reason,
          ...(s.signal !== undefined ? { signal: s.signal } : {}),
          ...(s.message ? { message: s.message } : {}),
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
          finishedAt: s.finishedAt,
          ...(containerID ? { containerID } : {}),
        },
      };
  }
}

export function containerStatus(c: RuntimeContainer): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: `lumen-lab://${c.image}`,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: stateOf(c.state, c.containerID),
    lastState: c.lastTerminated ? stateOf(c.lastTerminated, c.containerID) : {},
  };
}

/** Phase as the kubelet computes it (getPhase): init first, then waiting/running/stopped counts. */
export function podPhase(pod: Pod, rt: PodRuntime): NonNullable<PodStatus['phase']> {
  const policy = pod.spec.restartPolicy ?? 'Always';
  const inits = pod.spec.initContainers ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = rt.initContainers[i];
    // Sidecars (restartPolicy Always) only need to have started.
    if (inits[i]!.restartPolicy === 'Always') {
      if (!c?.started) return 'Pending';
      continue;
    }
    if (c?.state.kind === 'terminated' && c.state.exitCode === 0) continue;
    const failed = c?.state.kind === 'terminated' || !!c?.lastTerminated;
    if (failed && policy === 'Never') return 'Failed';
    return 'Pending';
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const spec of pod.spec.containers) {
    const c = rt.containers.find((x) => x.name === spec.name);
    if (!c) {
      waiting++;
      continue;
    }
    if (c.state.kind === 'running') running++;
    else if (c.state.kind === 'terminated') {
      stopped++;
      if (c.state.exitCode === 0) succeeded++;
    } else if (c.lastTerminated) {
      // Waiting to restart after having run.
      stopped++;
      if (c.lastTerminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, previous: PodCondition[] | undefined, now: string, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    ...(!ok && reason ? { reason } : {}),
    ...(!ok && message ? { message } : {}),
  };
}

/** The full status to write back. Conditions the kubelet does not own (PodScheduled, gates) are kept. */
export function reducePodStatus(pod: Pod, rt: PodRuntime, now: string): PodStatus {
  const previous = pod.status?.conditions;
  const phase = podPhase(pod, rt);
  const inits = pod.spec.initContainers ?? [];
  const initialized = inits.every((spec, i) => {
    const c = rt.initContainers[i];
    if (spec.restartPolicy === 'Always') return !!c?.started;
    return c?.state.kind === 'terminated' && c.state.exitCode === 0;
  });
  const notReady = pod.spec.containers.filter((spec) => !rt.containers.find((c) => c.name === spec.name)?.ready).map((c) => c.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = !terminal && notReady.length === 0;
  const gates = (pod.spec.readinessGates ?? []).map((g) => g.conditionType);
  const gatesOk = gates.every((g) => previous?.find((c) => c.type === g)?.status === 'True');
  const notReadyMsg = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', rt.sandboxReady, previous, now),
    condition('Initialized', initialized, previous, now, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`),
    condition('Ready', containersReady && gatesOk, previous, now, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : notReadyMsg ?? 'readiness gates not all true'),
    condition('ContainersReady', containersReady, previous, now, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : notReadyMsg),
  ];
  const owned = new Set(conditions.map((c) => c.type));
  for (const c of previous ?? []) if (!owned.has(c.type)) conditions.push(c);
  const ips = rt.podIPs;
  return {
    phase,
    conditions,
    hostIP: rt.hostIP,
    hostIPs: [{ ip: rt.hostIP }],
    ...(ips.length ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    ...(rt.startTime ? { startTime: rt.startTime } : {}),
    ...(inits.length ? { initContainerStatuses: rt.initContainers.map(containerStatus) } : {}),
    containerStatuses: pod.spec.containers.map((spec) => {
      const c = rt.containers.find((x) => x.name === spec.name);
      return containerStatus(c ?? { name: spec.name, image: spec.image, state: { kind: 'waiting', reason: 'ContainerCreating' }, restartCount: 0, ready: false, started: false });
    }),
  };
}

/** Equality for deciding whether a status write is needed (ignores nothing: statuses are small). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
