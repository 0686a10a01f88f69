// status:get — the connected cluster's Lumen status: the install, every node's agent (through the agents client) with its problems, and a flow-rate history per node.
import { PART_OF_LABEL, VERSION_ANNOTATION } from '../../../../resources/manifests.js';
import { AGENT_NAMESPACE, type AgentStatus } from '../../../shared/agent-api/index.js';
import { LumenError, type ClusterStatus, type NodeStatus } from '../../../shared/contract/index.js';
import { AGENT_POD_SELECTOR, AgentsClient, agentsOf, type ConnectedServices } from '../../agents/index.js';
import { logger } from '../../log.js';
import type { KubeApi } from '../kube.js';
import { nodeReady, type NodeLike } from '../preflight/flavour.js';
import { collectionPath } from '../resources.js';
import { kubeApiFor, type InstallServices } from '../service.js';
import { addSample, lastEventAt, nodeProblems, type Sample } from './problems.js';

const log = logger('install:status');

interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; message?: string }[];
    containerStatuses?: { name: string; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[];
  };
}

interface DaemonSetLike {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  status?: { desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number; numberAvailable?: number };
}

type StatusServices = InstallServices & ConnectedServices;

export class StatusService {
  private kube: { key: string; api: Promise<KubeApi> } | null = null;
  private readonly history = new Map<string, Sample[]>();
  private readonly namespacedAgents = new Map<string, AgentsClient>();

  constructor(private readonly services: StatusServices) {}

  private api(): { context: string; api: Promise<KubeApi> } {
    const state = this.services.connection.state();
    if (state.status !== 'connected' || !state.context) {
      throw LumenError.of('not-connected', 'not connected to a cluster', { hint: 'Connect to a context first (Connect view).' });
    }
    const key = `${state.context}@${state.since}`;
    if (this.kube?.key !== key) {
      this.kube = { key, api: kubeApiFor(this.services, state.context) };
      this.history.clear();
    }
    return { context: state.context, api: this.kube.api };
  }

  private agents(namespace: string): AgentsClient {
    if (namespace === AGENT_NAMESPACE) return agentsOf(this.services);
    let client = this.namespacedAgents.get(namespace);
    if (!client) {
      client = new AgentsClient({ namespace, http: async () => (await this.api().api).http });
      this.namespacedAgents.set(namespace, client);
    }
    return client;
  }

  async get(): Promise<ClusterStatus> {
    const { context, api } = this.api();
    const kube = await api;
    const now = Date.now();
    const notes: string[] = [];
    let nodes: NodeLike[];
    try {
      nodes = (await kube.list<NodeLike>(collectionPath('Node'))).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    } catch (error) {
      throw kube.classify(error);
    }
    const dsList = await kube.list<DaemonSetLike>('/apis/apps/v1/daemonsets', { labelSelector: `${PART_OF_LABEL}=lumen,app.kubernetes.io/component=agent` })
      .catch((error: unknown) => {
        notes.push(`cannot list DaemonSets to find the install: ${kube.classify(error).message}`);
        return { items: [] as DaemonSetLike[] };
      });
    const ds = dsList.items[0] ?? null;
    const base: ClusterStatus = {
      context, installed: !!ds, namespace: ds?.metadata.namespace ?? null, version: ds?.metadata.annotations?.[VERSION_ANNOTATION] ?? null,
      daemonSet: ds ? {
        desired: ds.status?.desiredNumberScheduled ?? 0, ready: ds.status?.numberReady ?? 0,
        updated: ds.status?.updatedNumberScheduled ?? 0, available: ds.status?.numberAvailable ?? 0,
      } : null,
      summary: { nodes: nodes.length, agentsReady: 0, nodesWithProblems: 0, flowsPerSecond: 0, lost: 0 },
      nodes: [], notes, fetchedAt: now,
    };
    if (!ds) {
      notes.push('Lumen is not installed on this cluster: install it from the Install view.');
      base.nodes = nodes.map((n) => ({
        node: n.metadata.name, nodeReady: nodeReady(n), kernel: n.status?.nodeInfo?.kernelVersion ?? '', pod: null, agent: null, agentError: null, problems: [], history: [],
      }));
      return base;
    }
    const ns = ds.metadata.namespace;
    const pods = (await kube.list<PodLike>(collectionPath('Pod', ns), { labelSelector: AGENT_POD_SELECTOR })).items.filter((p) => !p.metadata.deletionTimestamp);
    const agents = this.agents(ns);
    const results = await agents.forEachAgent((node, signal) => agents.status(node, { timeoutMs: 5000, ...(signal ? { signal } : {}) }), { nodes: nodes.map((n) => n.metadata.name) })
      .catch((error: unknown) => {
        notes.push(`cannot reach the agents: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      });
    const byNode = new Map(results.map((r) => [r.node, r]));
    base.nodes = nodes.map((n): NodeStatus => {
      const name = n.metadata.name;
      const pod = pods.find((p) => p.spec?.nodeName === name) ?? null;
      const agentContainer = pod?.status?.containerStatuses?.find((c) => c.name === 'agent') ?? pod?.status?.containerStatuses?.[0];
      const ready = pod?.status?.conditions?.find((c) => c.type === 'Ready');
      const r = byNode.get(name);
      const status: AgentStatus | null = r?.ok ? r.value : null;
      const sample = status ? { t: now, rate: status.flows.ratePerSecond, lost: status.flows.lost } : null;
      const history = sample ? addSample(this.history.get(name) ?? [], sample) : (this.history.get(name) ?? []);
      this.history.set(name, history);
      const podInfo = pod ? {
        name: pod.metadata.name, phase: pod.status?.phase ?? 'Unknown', ready: ready?.status === 'True', restarts: agentContainer?.restartCount ?? 0,
        reason: agentContainer?.state?.waiting?.reason ?? agentContainer?.state?.terminated?.reason ?? null,
      } : null;
      const agentError = r && !r.ok ? r.error.message : null;
      return {
        node: name, nodeReady: nodeReady(n), kernel: n.status?.nodeInfo?.kernelVersion ?? '', pod: podInfo,
        agent: status ? {
          version: status.versions.agent, health: status.health, ready: status.ready, uptimeSeconds: status.uptimeSeconds,
          datapath: { ...status.datapath },
          maps: status.maps.map((m) => ({ name: m.name, maxEntries: m.maxEntries, entries: m.entries, pressure: m.pressure })),
          flowsPerSecond: status.flows.ratePerSecond, flowsTotal: status.flows.total, lost: status.flows.lost,
          lastSyncAt: status.sync.lastSyncAt, lastEventAt: lastEventAt(status), counts: { ...status.counts },
        } : null,
        agentError,
        problems: nodeProblems({ nodeReady: nodeReady(n), pod: podInfo, podCondition: ready?.message ?? null, agent: status, agentError, history, now }),
        history,
      };
    });
    base.summary = {
      nodes: nodes.length,
      agentsReady: base.nodes.filter((n) => n.pod?.ready && (n.agent?.ready ?? true)).length,
      nodesWithProblems: base.nodes.filter((n) => n.problems.length > 0).length,
      flowsPerSecond: base.nodes.reduce((s, n) => s + (n.agent?.flowsPerSecond ?? 0), 0),
      lost: base.nodes.reduce((s, n) => s + (n.agent?.lost ?? 0), 0),
    };
    log.debug(`status of ${context}: ${base.summary.agentsReady}/${base.summary.nodes} agents ready`);
    return base;
  }
}

const instances = new WeakMap<object, StatusService>();

export function statusServiceOf(services: StatusServices): StatusService {
  let s = instances.get(services);
  if (!s) {
    s = new StatusService(services);
    instances.set(services, s);
  }
  return s;
}
