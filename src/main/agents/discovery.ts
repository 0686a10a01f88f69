// Finds the agent pod of each node from a list of the DaemonSet's pods (pure), and the API port it serves on.
import { DEFAULT_AGENT_API_PORT } from '../../shared/agent-api/index.js';

/**
 * The DaemonSet's pod selector (resources/manifests.ts renders it; a unit test holds the two
 * together). Labels, not the DaemonSet's name, find the pods: that is what the controller
 * itself uses.
 */
export const AGENT_POD_LABELS = { 'app.kubernetes.io/name': 'lumen', 'app.kubernetes.io/component': 'agent' } as const;
export const AGENT_POD_SELECTOR = Object.entries(AGENT_POD_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
/** Name of the agent container and of its API port in the DaemonSet. */
export const AGENT_CONTAINER = 'agent';
export const AGENT_PORT_NAME = 'api';

/** The fields of a Pod discovery reads. */
export interface AgentPodObject {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { name?: string; ports?: { name?: string; containerPort?: number }[] }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name?: string;
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string; exitCode?: number } };
    }[];
  };
}

export interface AgentPod {
  node: string;
  name: string;
  /** HTTPS port of the agent API (the container port named "api"). */
  port: number;
  phase: string;
  ready: boolean;
  terminating: boolean;
  restarts: number;
  /** One line on why the pod does not run or is not ready (null when it is Ready). */
  state: string | null;
  createdAt: string | null;
}

function apiPort(pod: AgentPodObject): number {
  const containers = pod.spec?.containers ?? [];
  const agent = containers.find((c) => c.name === AGENT_CONTAINER) ?? containers[0];
  const port = agent?.ports?.find((p) => p.name === AGENT_PORT_NAME)?.containerPort;
  return typeof port === 'number' && port > 0 && port < 65536 ? port : DEFAULT_AGENT_API_PORT;
}

function podState(pod: AgentPodObject, ready: boolean): string | null {
  if (pod.metadata?.deletionTimestamp) return 'terminating';
  const agent = pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER) ?? pod.status?.containerStatuses?.[0];
  const waiting = agent?.state?.waiting;
  if (waiting?.reason) return waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
  const terminated = agent?.state?.terminated;
  if (terminated) return `container terminated (${terminated.reason ?? `exit code ${terminated.exitCode ?? '?'}`})`;
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running') return `pod phase ${phase}`;
  if (ready) return null;
  const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return cond?.message ? `not ready: ${cond.message}` : 'not ready (readiness probe failing)';
}

export function toAgentPod(pod: AgentPodObject): AgentPod | null {
  const node = pod.spec?.nodeName;
  const name = pod.metadata?.name;
  if (!node || !name) return null; // not scheduled yet: belongs to no node
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const agent = pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER) ?? pod.status?.containerStatuses?.[0];
  return {
    node,
    name,
    port: apiPort(pod),
    phase: pod.status?.phase ?? 'Unknown',
    ready,
    terminating: Boolean(pod.metadata?.deletionTimestamp),
    restarts: agent?.restartCount ?? 0,
    state: podState(pod, ready),
    createdAt: pod.metadata?.creationTimestamp ?? null,
  };
}

/** Best first: not terminating, Ready, Running, then the newest (a rolling update's new pod). */
function rank(a: AgentPod, b: AgentPod): number {
  const score = (p: AgentPod): number => (p.terminating ? 0 : 4) + (p.ready ? 2 : 0) + (p.phase === 'Running' ? 1 : 0);
  const d = score(b) - score(a);
  if (d !== 0) return d;
  return (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
}

/** Agent pods by node, best candidate first (during a rolling update a node has two). */
export function agentPodsByNode(pods: Iterable<AgentPodObject>): Map<string, AgentPod[]> {
  const out = new Map<string, AgentPod[]>();
  for (const raw of pods) {
    const pod = toAgentPod(raw);
    if (!pod) continue;
    const list = out.get(pod.node);
    if (list) list.push(pod);
    else out.set(pod.node, [pod]);
  }
  for (const list of out.values()) list.sort(rank);
  return out;
}

/** Whether a pod can be called at all: Running (a not-Ready or terminating one may still answer). */
export function callable(pod: AgentPod): boolean {
  return pod.phase === 'Running';
}
