// What is wrong with a node's agent, as readable problems (pure): not running, not ready, unreachable, maps filling up, lost events rising, a stale view of the API.
import type { AgentStatus } from '../../../shared/agent-api/index.js';
import type { NodeProblem, NodeStatus } from '../../../shared/contract/index.js';

export const MAP_WARN = 0.75;
export const MAP_ERROR = 0.9;
/**
 * Every kubelet reports its Node status at least every 5 minutes, and agents watch Nodes:
 * an agent that applied no event for 10 minutes has lost its watches.
 */
export const SYNC_STALE_MS = 10 * 60_000;
/** An agent that has not synced this long after starting is stuck (it normally takes seconds). */
export const FIRST_SYNC_MS = 90_000;
export const LOST_WINDOW_MS = 60_000;

export type Sample = NodeStatus['history'][number];

/** Map name → the ConfigMap key that sizes it (for the "what to do"). */
export function mapSizeKey(map: string): string {
  const short = map.replace(/^lumen_/, '');
  const table: Record<string, string> = {
    services: 'map-size-services', backends: 'map-size-backends', rev_nat: 'map-size-rev-nat', ct: 'map-size-conntrack',
    ipcache: 'map-size-ipcache', endpoints: 'map-size-endpoints', policy: 'map-size-policy', affinity: 'map-size-affinity', sock: 'map-size-sock',
  };
  return table[short] ?? Object.entries(table).find(([k]) => short.startsWith(k))?.[1] ?? 'the map size keys';
}

/** Newest per-kind event the agent applied (ISO), the freshness of its view of the API. */
export function lastEventAt(status: AgentStatus): string | null {
  const times = Object.values(status.sync.kinds).filter((t): t is string => !!t);
  const all = [...times, ...(status.sync.lastSyncAt ? [status.sync.lastSyncAt] : [])];
  return all.length > 0 ? all.sort().at(-1)! : null;
}

export interface NodeFacts {
  nodeReady: boolean;
  pod: NodeStatus['pod'];
  podCondition: string | null;
  agent: AgentStatus | null;
  agentError: string | null;
  history: readonly Sample[];
  now: number;
}

export function nodeProblems(f: NodeFacts): NodeProblem[] {
  const out: NodeProblem[] = [];
  if (!f.nodeReady) out.push({ severity: 'warning', kind: 'node-not-ready', text: 'the node is NotReady (its kubelet reports a problem)' });
  if (!f.pod) {
    out.push({ severity: 'error', kind: 'agent-missing', text: 'no agent pod on this node: the DaemonSet has not scheduled one' });
    return out;
  }
  if (f.pod.phase !== 'Running') {
    out.push({ severity: 'error', kind: 'agent-not-running', text: `the agent is not running: pod ${f.pod.name} is ${f.pod.phase}${f.pod.reason ? ` (${f.pod.reason})` : ''}` });
    return out;
  }
  if (!f.pod.ready) {
    const why = f.agent && !f.agent.ready ? (f.agent.problems[0] ?? 'starting') : (f.pod.reason ?? f.podCondition ?? 'readiness probe failing');
    out.push({ severity: 'error', kind: 'agent-not-ready', text: `the agent is not ready: ${why}${f.pod.restarts > 0 ? ` (${f.pod.restarts} restarts)` : ''}` });
  }
  if (!f.agent) {
    if (f.agentError) out.push({ severity: 'warning', kind: 'agent-unreachable', text: `cannot ask the agent: ${f.agentError}` });
    return out;
  }
  for (const p of f.agent.problems) {
    if (f.pod.ready || p !== f.agent.problems[0]) out.push({ severity: 'warning', kind: 'agent-problem', text: p });
  }
  for (const m of f.agent.maps) {
    if (m.pressure === null || m.pressure < MAP_WARN) continue;
    out.push({
      severity: m.pressure >= MAP_ERROR ? 'error' : 'warning', kind: 'map-pressure',
      text: `${m.name} is ${Math.round(m.pressure * 100)}% full (${m.entries}/${m.maxEntries}); raise ${mapSizeKey(m.name)}`,
    });
  }
  const window = f.history.filter((s) => f.now - s.t <= LOST_WINDOW_MS);
  if (window.length >= 2) {
    const delta = window.at(-1)!.lost - window[0]!.lost;
    if (delta > 0) out.push({ severity: 'warning', kind: 'lost-events', text: `${delta} flow events lost in the last minute (the kernel ring buffer was full); raise events-ring-bytes` });
  }
  const last = lastEventAt(f.agent);
  const uptimeMs = f.agent.uptimeSeconds * 1000;
  if (!f.agent.sync.initialSyncAt && uptimeMs > FIRST_SYNC_MS) {
    out.push({ severity: 'warning', kind: 'sync-stale', text: `no first sync with the API server after ${Math.round(f.agent.uptimeSeconds)} s` });
  } else if (last && f.now - Date.parse(last) > SYNC_STALE_MS) {
    out.push({ severity: 'warning', kind: 'sync-stale', text: `its view of the API is stale: last event ${Math.round((f.now - Date.parse(last)) / 60_000)} min ago` });
  }
  return out;
}

/** Keeps samples of the last `keepMs` and adds one unless the newest is younger than `minGapMs`. */
export function addSample(history: readonly Sample[], sample: Sample, keepMs = 10 * 60_000, minGapMs = 1500): Sample[] {
  const kept = history.filter((s) => sample.t - s.t <= keepMs);
  const newest = kept.at(-1);
  if (newest && sample.t - newest.t < minGapMs) return kept;
  return [...kept, sample];
}
