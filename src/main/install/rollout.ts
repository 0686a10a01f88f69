// Follows the agent DaemonSet's rollout live (pods and events by watch, the DaemonSet and each agent's own /v1/status by polling) until every node is ready, one fails, or the deadline passes.
import type { AgentReadiness, RolloutState } from '../../shared/contract/index.js';
import type { AgentsClient } from '../agents/index.js';
import { AGENT_POD_SELECTOR } from '../agents/index.js';
import { logger } from '../log.js';
import { inform } from './informer.js';
import type { KubeApi } from './kube.js';
import { collectionPath } from './resources.js';
import { describeFailure, describeNodes, summarizeRollout, type DaemonSetLike, type EventLike, type LogsTail, type PodLike, type RolloutSummary } from './rollout-model.js';
import { sleep } from './sleep.js';

const log = logger('install:rollout');

/** A node must stay failed this long before the rollout is called failed (a pull may recover at once). */
const FAIL_GRACE_MS = 6_000;
const LOG_LINES = 20;

export interface RolloutOptions {
  namespace: string;
  daemonSet: string;
  timeoutMs: number;
  signal: AbortSignal;
  agents: AgentsClient | null;
  onUpdate(state: RolloutState): void;
  /** Progress lines ("node-2 ready", "node-1: cannot pull..."), printed by the CLI. */
  onLine?(level: 'info' | 'warn' | 'error', text: string): void;
  /** How often the DaemonSet and the agents are polled (tests shorten it). */
  pollMs?: number;
}


function toState(summary: RolloutSummary, status: RolloutState['status'], reason: string | null, deadlineAt: number): RolloutState {
  return {
    status, reason, desired: summary.desired, updated: summary.updated, ready: summary.ready,
    nodes: summary.nodes, daemonSetEvents: summary.daemonSetEvents, deadlineAt,
  };
}

export async function followRollout(kube: KubeApi, options: RolloutOptions): Promise<RolloutState> {
  const { namespace, signal } = options;
  const started = Date.now();
  const deadlineAt = started + options.timeoutMs;
  const pollMs = options.pollMs ?? 1000;
  const pods = inform<PodLike & { metadata: { name: string } }>(kube, collectionPath('Pod', namespace), { labelSelector: AGENT_POD_SELECTOR }, () => undefined);
  const events = inform<EventLike & { metadata: { name: string } }>(kube, collectionPath('Event', namespace), {}, () => undefined);
  const agents = new Map<string, AgentReadiness>();
  const logs = new Map<string, LogsTail>();
  const logKeys = new Set<string>();
  const failedSince = new Map<string, number>();
  const said = new Map<string, string>();
  let nodes: string[] = [];
  let nodesAt = 0;
  let ds: DaemonSetLike | null = null;
  let last: RolloutSummary | null = null;
  let lastAgentPoll = 0;

  const say = (node: string, text: string, level: 'info' | 'warn' | 'error') => {
    if (said.get(node) === text) return;
    said.set(node, text);
    options.onLine?.(level, `${node}: ${text}`);
  };

  const fetchLogs = async (summary: RolloutSummary) => {
    for (const n of summary.nodes) {
      if (!n.pod) continue;
      const crashed = n.containers.find((c) => c.restarts > 0 || c.reason === 'CrashLoopBackOff' || (c.state === 'terminated' && c.lastExitCode !== 0 && c.lastExitCode !== null));
      if (!crashed) continue;
      const key = `${n.pod}/${crashed.name}/${crashed.restarts}`;
      if (logKeys.has(key)) continue;
      logKeys.add(key);
      const q = new URLSearchParams({ container: crashed.name, tailLines: String(LOG_LINES) });
      if (crashed.state !== 'terminated') q.set('previous', 'true');
      try {
        const text = await kube.text(`${collectionPath('Pod', namespace)}/${n.pod}/log?${q}`, { signal, timeoutMs: 10_000 });
        logs.set(n.pod, { lines: text.replace(/\n$/, '').split('\n').slice(-LOG_LINES), error: null });
      } catch (error) {
        const typed = kube.classify(error);
        logs.set(n.pod, { lines: null, error: `logs unavailable: ${typed.message}${typed.payload.detail ? ` (${typed.payload.detail.slice(0, 200)})` : ''}` });
      }
    }
  };

  const pollAgents = async (summary: RolloutSummary) => {
    if (!options.agents) return;
    const running = summary.nodes.filter((n) => n.phase === 'Running' && n.state !== 'failed');
    await Promise.all(running.map(async (n) => {
      try {
        const s = await options.agents!.status(n.node, { signal, timeoutMs: 4000 });
        agents.set(n.node, { ready: s.ready, version: s.versions.agent, health: s.health, problems: s.problems, error: null });
      } catch (error) {
        if (signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        agents.set(n.node, { ready: false, version: null, health: null, problems: [], error: message });
      }
    }));
  };

  try {
    await Promise.race([pods.ready, sleep(10_000, signal)]);
    for (;;) {
      if (signal.aborted) return toState(last ?? emptySummary(nodes), 'cancelled', 'the rollout follow was cancelled', deadlineAt);
      if (Date.now() - nodesAt > 10_000) {
        nodes = (await kube.list<{ metadata: { name: string } }>(collectionPath('Node'), { signal }).catch(() => ({ items: [] }))).items.map((n) => n.metadata.name).sort();
        nodesAt = Date.now();
      }
      ds = await kube.getOptional<DaemonSetLike>(`${collectionPath('DaemonSet', namespace)}/${options.daemonSet}`, { signal, timeoutMs: 10_000 }).catch((error) => {
        log.debug('reading the DaemonSet failed', { error });
        return ds;
      });
      const input = () => ({ ds, nodes, pods: pods.items(), events: events.items(), agents, logs });
      let summary = summarizeRollout(input(), options.daemonSet);
      if (Date.now() - lastAgentPoll > 2 * pollMs) {
        lastAgentPoll = Date.now();
        await pollAgents(summary);
        await fetchLogs(summary);
        summary = summarizeRollout(input(), options.daemonSet);
      }
      const now = Date.now();
      for (const n of summary.nodes) {
        if (n.state === 'failed') {
          if (!failedSince.has(n.node)) failedSince.set(n.node, now);
          say(n.node, n.reason, 'error');
        } else {
          failedSince.delete(n.node);
          say(n.node, n.state === 'ready' ? `ready${n.agent?.version ? ` (agent ${n.agent.version})` : ''}` : n.reason, 'info');
        }
      }
      last = summary;
      options.onUpdate(toState(summary, 'running', null, deadlineAt));
      if (summary.complete) return toState(summary, 'complete', null, deadlineAt);
      const settled = summary.failed.filter((n) => now - (failedSince.get(n.node) ?? now) >= FAIL_GRACE_MS);
      if (settled.length > 0) {
        await fetchLogs(summary);
        const final = summarizeRollout(input(), options.daemonSet);
        const failed = final.failed.length > 0 ? final.failed : settled;
        return toState(final, 'failed', describeFailure(failed), deadlineAt);
      }
      if (now > deadlineAt) {
        const waiting = summary.nodes.filter((n) => n.state !== 'ready');
        const secs = Math.round(options.timeoutMs / 1000);
        const why = waiting.length > 0 ? describeNodes(waiting) : `the DaemonSet reports ${summary.ready}/${summary.desired} ready and ${summary.updated}/${summary.desired} updated`;
        return toState(summary, 'timed-out', `not finished after ${secs} s — still waiting: ${why}`, deadlineAt);
      }
      await sleep(pollMs, signal);
    }
  } finally {
    pods.stop();
    events.stop();
  }
}

function emptySummary(nodes: string[]): RolloutSummary {
  return { nodes: nodes.map((node) => ({ node, pod: null, phase: null, state: 'pending', reason: '', containers: [], events: [], logsTail: null, logsError: null, agent: null })), complete: false, failed: [], desired: 0, updated: 0, ready: 0, daemonSetEvents: [] };
}
