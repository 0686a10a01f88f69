// The DaemonSet rollout per node as a pure function of the DaemonSet, its pods, their events, logs and the agents' answers: what each node waits for, or what failed there.
import type { AgentReadiness, ContainerRollout, NodeRollout, RolloutEvent } from '../../shared/contract/index.js';
import { CONFIG_HASH_ANNOTATION, VERSION_ANNOTATION } from '../../../resources/manifests.js';

interface ContainerSpec { name: string; image?: string }
interface ContainerStatusLike {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string }; terminated?: { exitCode?: number; reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string } };
}

export interface PodLike {
  metadata: { name: string; uid?: string; annotations?: Record<string, string>; deletionTimestamp?: string; creationTimestamp?: string };
  spec?: { nodeName?: string; containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; uid?: string };
  metadata?: { creationTimestamp?: string };
}

export interface DaemonSetLike {
  metadata: { generation?: number };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: ContainerSpec[] } } };
  status?: { observedGeneration?: number; desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberReady?: number; numberAvailable?: number };
}

export interface LogsTail {
  lines: string[] | null;
  error: string | null;
}

export interface RolloutInput {
  ds: DaemonSetLike | null;
  nodes: readonly string[];
  pods: readonly PodLike[];
  events: readonly EventLike[];
  /** Agent API answers by node (absent: not asked yet). */
  agents: ReadonlyMap<string, AgentReadiness>;
  /** Logs tails by pod name. */
  logs: ReadonlyMap<string, LogsTail>;
}

/** Waiting reasons that will not fix themselves: reported at once, not after a deadline. */
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const CONFIG_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
/** A container restarting this often without becoming ready is failing even between back-offs. */
export const RESTART_LIMIT = 3;

export function eventTime(e: EventLike): string {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '';
}

export function toRolloutEvent(e: EventLike): RolloutEvent {
  return {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: (e.message ?? '').trim(),
    count: e.series?.count ?? e.count ?? 1,
    lastSeen: eventTime(e) || null,
  };
}

/** The last `limit` events of one object, oldest first. */
export function eventsFor(events: readonly EventLike[], kind: string, name: string, limit = 5): RolloutEvent[] {
  return events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
    .slice(-limit)
    .map(toRolloutEvent);
}

/** Whether a pod runs the DaemonSet's current template (a rolling update replaces the others). */
export function isCurrent(pod: PodLike, ds: DaemonSetLike | null): boolean {
  if (!ds) return true;
  const want = ds.spec?.template?.metadata?.annotations ?? {};
  const have = pod.metadata.annotations ?? {};
  for (const key of [CONFIG_HASH_ANNOTATION, VERSION_ANNOTATION]) if ((want[key] ?? null) !== (have[key] ?? null)) return false;
  const images = (cs: ContainerSpec[] | undefined) => (cs ?? []).map((c) => `${c.name}=${c.image ?? ''}`).join(',');
  return images(ds.spec?.template?.spec?.containers) === images(pod.spec?.containers);
}

function containerRollout(spec: ContainerSpec, status: ContainerStatusLike | undefined, init: boolean): ContainerRollout {
  const st = status?.state;
  const last = status?.lastState?.terminated;
  const state: ContainerRollout['state'] = st?.running ? 'running' : st?.terminated ? 'terminated' : st?.waiting ? 'waiting' : 'unknown';
  const reason = st?.waiting?.reason ?? st?.terminated?.reason ?? null;
  const message = st?.waiting?.message ?? st?.terminated?.message ?? null;
  return {
    name: spec.name,
    init,
    state,
    ready: status?.ready ?? false,
    reason,
    message,
    restarts: status?.restartCount ?? 0,
    lastExitCode: st?.terminated?.exitCode ?? last?.exitCode ?? null,
    lastReason: st?.terminated?.reason ?? last?.reason ?? null,
    image: status?.image && !status.image.startsWith('sha256:') ? (spec.image ?? status.image) : (spec.image ?? ''),
  };
}

function exitText(c: ContainerRollout): string {
  if (c.lastExitCode === null) return '';
  return `last exit code ${c.lastExitCode}${c.lastReason ? ` (${c.lastReason})` : ''}`;
}

/** Why a container has failed for good, or null. */
export function containerFailure(c: ContainerRollout): string | null {
  const where = `${c.init ? 'init container' : 'container'} "${c.name}"`;
  if (c.state === 'waiting' && c.reason && PULL_FAILURES.has(c.reason)) {
    return `cannot pull image "${c.image}" for ${where} (${c.reason})${c.message ? `: ${c.message}` : ''}`;
  }
  if (c.state === 'waiting' && c.reason === 'CrashLoopBackOff') {
    return `${where} keeps crashing (CrashLoopBackOff, ${c.restarts} restart${c.restarts === 1 ? '' : 's'}${exitText(c) ? `, ${exitText(c)}` : ''})`;
  }
  if (c.state === 'waiting' && c.reason && CONFIG_FAILURES.has(c.reason)) {
    return `${where} cannot be created (${c.reason})${c.message ? `: ${c.message}` : ''}`;
  }
  if (!c.init && !c.ready && c.restarts >= RESTART_LIMIT) {
    return `${where} restarted ${c.restarts} times without becoming ready${exitText(c) ? ` (${exitText(c)})` : ''}`;
  }
  if (c.init && c.state === 'terminated' && c.lastExitCode !== null && c.lastExitCode !== 0 && c.restarts >= RESTART_LIMIT) {
    return `${where} failed ${c.restarts} times (${exitText(c)})`;
  }
  return null;
}

/** What a container still waits for (it has not failed). */
function containerWaiting(c: ContainerRollout, lastWarning: RolloutEvent | undefined): string {
  const where = `${c.init ? 'init container' : 'container'} "${c.name}"`;
  if (c.state === 'waiting') {
    const reason = c.reason ?? 'waiting';
    const hint = lastWarning ? `; last warning: ${lastWarning.reason}: ${lastWarning.message}` : '';
    return `${where} ${reason === 'ContainerCreating' || reason === 'PodInitializing' ? 'is being created' : `is waiting (${reason}${c.message ? `: ${c.message}` : ''})`}${hint}`;
  }
  if (c.state === 'terminated') return `${where} exited (${exitText(c) || c.reason || 'done'})`;
  return `${where} has not started`;
}

function agentWaiting(agent: AgentReadiness | undefined, pod: PodLike): string {
  const notReady = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True');
  if (agent && agent.error === null && !agent.ready) return `agent running, not ready yet: ${agent.problems[0] ?? 'starting up'}`;
  if (agent?.error) return `agent running, not ready yet (its API: ${agent.error})`;
  return `agent running, not ready yet${notReady?.message ? `: ${notReady.message}` : ' (readiness probe)'}`;
}

export function nodeRollout(node: string, input: RolloutInput): NodeRollout {
  const onNode = input.pods.filter((p) => p.spec?.nodeName === node);
  const current = onNode.filter((p) => !p.metadata.deletionTimestamp && isCurrent(p, input.ds))
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
  const base = { node, containers: [] as ContainerRollout[], events: [] as RolloutEvent[], logsTail: null, logsError: null, agent: null };
  if (!current) {
    const old = onNode[0];
    if (old?.metadata.deletionTimestamp) return { ...base, pod: old.metadata.name, phase: old.status?.phase ?? null, state: 'pending', reason: `the old agent pod ${old.metadata.name} is stopping (rolling update)` };
    if (old) return { ...base, pod: old.metadata.name, phase: old.status?.phase ?? null, state: 'pending', reason: 'waiting for its turn in the rolling update (one node at a time)' };
    return { ...base, pod: null, phase: null, state: 'pending', reason: 'waiting for the DaemonSet controller to create the agent pod' };
  }
  const name = current.metadata.name;
  const events = eventsFor(input.events, 'Pod', name);
  const lastWarning = [...events].reverse().find((e) => e.type === 'Warning');
  const specs = current.spec ?? {};
  const containers = [
    ...(specs.initContainers ?? []).map((c) => containerRollout(c, current.status?.initContainerStatuses?.find((s) => s.name === c.name), true)),
    ...(specs.containers ?? []).map((c) => containerRollout(c, current.status?.containerStatuses?.find((s) => s.name === c.name), false)),
  ];
  const logs = input.logs.get(name);
  const agent = input.agents.get(node) ?? null;
  const out = { ...base, pod: name, phase: current.status?.phase ?? null, containers, events, agent, logsTail: logs?.lines ?? null, logsError: logs?.error ?? null };
  const scheduled = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { ...out, state: 'failed', reason: `the agent pod cannot be scheduled: ${scheduled.message ?? 'Unschedulable'}` };
  }
  if (current.status?.phase === 'Failed') {
    return { ...out, state: 'failed', reason: `the agent pod failed${current.status.reason ? ` (${current.status.reason})` : ''}${current.status.message ? `: ${current.status.message}` : ''}` };
  }
  for (const c of containers) {
    const failure = containerFailure(c);
    if (failure) return { ...out, state: 'failed', reason: failure };
  }
  const ready = current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (ready) {
    if (agent && agent.error === null && !agent.ready) return { ...out, state: 'starting', reason: `the pod is Ready but the agent says it is not: ${agent.problems[0] ?? 'no reason given'}` };
    return { ...out, state: 'ready', reason: '' };
  }
  const pendingInit = containers.find((c) => c.init && !(c.state === 'terminated' && c.lastExitCode === 0));
  if (pendingInit) return { ...out, state: 'starting', reason: containerWaiting(pendingInit, lastWarning) };
  const main = containers.find((c) => !c.init && c.state !== 'running');
  if (main) return { ...out, state: 'starting', reason: containerWaiting(main, lastWarning) };
  if (current.status?.phase === 'Pending') return { ...out, state: 'starting', reason: `the pod is Pending${lastWarning ? `; last warning: ${lastWarning.reason}: ${lastWarning.message}` : ''}` };
  return { ...out, state: 'starting', reason: agentWaiting(agent ?? undefined, current) };
}

export interface RolloutSummary {
  nodes: NodeRollout[];
  complete: boolean;
  failed: NodeRollout[];
  desired: number;
  updated: number;
  ready: number;
  /** DaemonSet-level warnings (FailedCreate: admission, quota...). */
  daemonSetEvents: RolloutEvent[];
}

export function summarizeRollout(input: RolloutInput, daemonSetName: string): RolloutSummary {
  const nodes = input.nodes.map((n) => nodeRollout(n, input));
  const dsEvents = eventsFor(input.events, 'DaemonSet', daemonSetName).filter((e) => e.type === 'Warning');
  // A DaemonSet that cannot create pods (admission, quota) leaves nodes without a pod for good.
  const createFailure = dsEvents.filter((e) => e.reason === 'FailedCreate').pop();
  if (createFailure) {
    for (const n of nodes) if (n.state === 'pending' && n.pod === null) Object.assign(n, { state: 'failed', reason: `the DaemonSet cannot create the agent pod: ${createFailure.message}` });
  }
  const s = input.ds?.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  const ready = s.numberReady ?? 0;
  const observed = (s.observedGeneration ?? 0) >= (input.ds?.metadata.generation ?? 1);
  const complete = !!input.ds && observed && desired > 0 && updated === desired && ready === desired && (s.numberAvailable ?? 0) === desired &&
    nodes.length > 0 && nodes.every((n) => n.state === 'ready');
  return { nodes, complete, failed: nodes.filter((n) => n.state === 'failed'), desired, updated, ready, daemonSetEvents: dsEvents };
}

/** A failure without the runtime's long message: 'cannot pull image "x" for init container "y" (ImagePullBackOff)'. */
export function shortReason(reason: string): string {
  const m = /^(.*?\([A-Za-z]+(?:, [^)]*)?\))(?::\s.*)?$/s.exec(reason);
  return m ? m[1]! : reason;
}

/** One sentence for a failed rollout: nodes grouped by what failed there (details stay on each node). */
export function describeFailure(failed: readonly NodeRollout[]): string {
  const groups = new Map<string, string[]>();
  for (const n of failed) {
    const key = shortReason(n.reason);
    groups.set(key, [...(groups.get(key) ?? []), n.node]);
  }
  const parts = [...groups].map(([reason, nodes]) => `${nodes.join(', ')}: ${reason}`);
  if (failed.length === 1) return `the agent failed on ${parts[0]}`;
  return `the agent failed on ${failed.length} nodes — ${parts.join('; ')}`;
}

/** "node-1: ready; node-2: container "agent" is waiting (...)" — what a deadline message says. */
export function describeNodes(nodes: readonly NodeRollout[]): string {
  return nodes.map((n) => `${n.node}: ${n.state === 'ready' ? 'ready' : n.reason}`).join('; ');
}
