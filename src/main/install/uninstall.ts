// Uninstall in two steps: restart the agents with cleanup-on-exit so they remove their BPF state and CNI config on the way out, then delete every object labelled as Lumen's, then prove nothing is left.
import { CONFIG_HASH_ANNOTATION, PART_OF_LABEL, names } from '../../../resources/manifests.js';
import { configKeys } from '../../../agent/src/config.js';
import type { StepStatus, UninstallState } from '../../shared/contract/index.js';
import type { AgentsClient } from '../agents/index.js';
import { AGENT_POD_SELECTOR } from '../agents/index.js';
import { logger } from '../log.js';
import { FIELD_MANAGER, type KubeApi } from './kube.js';
import { CHECK_LABEL, PROTECTED_NAMESPACES, collectionPath, kinds, objectKey } from './resources.js';
import { followRollout } from './rollout.js';
import { sleep } from './sleep.js';

const log = logger('install:uninstall');

export interface UninstallOptions {
  namespace: string;
  signal: AbortSignal;
  agents: AgentsClient | null;
  /** How long the agents may take to restart with cleanup-on-exit. */
  cleanupTimeoutMs?: number;
  onUpdate(state: UninstallState): void;
  onLine?(level: 'info' | 'warn' | 'error', text: string): void;
}

const phases = [
  { id: 'cleanup-config', title: 'Restart the agents with cleanup-on-exit' },
  { id: 'delete-agents', title: 'Stop the agents (they remove BPF programs, pins and the CNI config)' },
  { id: 'delete-objects', title: 'Delete every object labelled app.kubernetes.io/part-of=lumen' },
  { id: 'verify', title: 'Confirm nothing is left' },
] as const;
type PhaseId = (typeof phases)[number]['id'];

const namespacedKinds = ['DaemonSet', 'ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding'] as const;
const clusterKinds = ['ClusterRoleBinding', 'ClusterRole', 'CustomResourceDefinition'] as const;


interface Labelled {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/** Everything still in the cluster that belongs to Lumen ("Kind ns/name"), across all namespaces. */
export async function lumenLeftovers(kube: KubeApi, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const opts = signal ? { signal } : {};
  for (const kind of [...namespacedKinds, ...clusterKinds, 'Namespace'] as const) {
    const list = await kube.list<Labelled>(collectionPath(kind), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts });
    for (const item of list.items) out.push(objectKey({ kind, metadata: item.metadata }));
  }
  // The agents' own objects go with their CRDs; a CRD still served means they may remain.
  for (const crd of ['identities.lumen.dev', 'lumenendpoints.lumen.dev']) {
    if (await kube.getOptional(`${collectionPath('CustomResourceDefinition')}/${crd}`, opts)) {
      const key = `CustomResourceDefinition ${crd}`;
      if (!out.includes(key)) out.push(key);
    }
  }
  const pods = await kube.list<Labelled>(collectionPath('Pod'), { labelSelector: AGENT_POD_SELECTOR, ...opts });
  for (const p of pods.items) out.push(objectKey({ kind: 'Pod', metadata: p.metadata }));
  const checks = await kube.list<Labelled>(collectionPath('Namespace'), { labelSelector: `${CHECK_LABEL}=true`, ...opts });
  for (const n of checks.items) out.push(objectKey({ kind: 'Namespace', metadata: n.metadata }));
  return [...new Set(out)];
}

export async function runUninstall(kube: KubeApi, options: UninstallOptions): Promise<UninstallState> {
  const { signal, namespace: ns } = options;
  const opts = { signal };
  const state: UninstallState = {
    status: 'running', namespace: ns, leftovers: [], nodesNotCleaned: [],
    phases: phases.map((p) => ({ id: p.id, title: p.title, status: 'pending' as StepStatus, message: null })),
  };
  const update = () => options.onUpdate(structuredClone(state));
  const phase = (id: PhaseId, status: StepStatus, message: string | null = null) => {
    const p = state.phases.find((x) => x.id === id)!;
    Object.assign(p, { status, message });
    update();
    if (message) options.onLine?.(status === 'failed' ? 'error' : 'info', `${p.title}: ${message}`);
  };
  const dsPath = `${collectionPath('DaemonSet', ns)}/${names.daemonSet}`;

  try {
    // ---- 1: cleanup-on-exit, then a restart of every agent at once ----
    phase('cleanup-config', 'running');
    const ds = await kube.getOptional<{ spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }>(dsPath, opts);
    const agentPods = (await kube.list<{ spec?: { nodeName?: string }; status?: { phase?: string } }>(collectionPath('Pod', ns), { labelSelector: AGENT_POD_SELECTOR, ...opts })).items;
    const running = agentPods.filter((p) => p.status?.phase === 'Running').map((p) => p.spec?.nodeName ?? '?');
    const allNodes = (await kube.list<{ metadata: { name: string } }>(collectionPath('Node'), opts).catch(() => ({ items: [] }))).items.map((n) => n.metadata.name);
    if (!ds) {
      phase('cleanup-config', 'skipped', `no agent DaemonSet in ${ns}: nothing runs that could clean up`);
    } else if (running.length === 0) {
      state.nodesNotCleaned = allNodes;
      phase('cleanup-config', 'skipped', 'no agent is running (they never started), so none can remove BPF state; nodes where an agent ran before may keep pins');
    } else {
      // Merge patches, not apply: an apply of just these fields would drop every other field this manager owns.
      const q = `?fieldManager=${FIELD_MANAGER}`;
      await kube.get(`${collectionPath('ConfigMap', ns)}/${names.configMap}`, opts);
      await mergePatch(kube, `${collectionPath('ConfigMap', ns)}/${names.configMap}${q}`, { data: { [configKeys.cleanupOnExit.key]: 'true' } }, signal);
      const hash = ds.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '';
      await mergePatch(kube, `${dsPath}${q}`, {
        spec: {
          // Every node at once: nothing needs to stay up while Lumen is being removed.
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '100%' } },
          template: { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: `${hash}-uninstall` } } },
        },
      }, signal);
      options.onLine?.('info', `agents on ${running.join(', ')} restart with cleanup-on-exit=true`);
      const rollout = await followRollout(kube, {
        namespace: ns, daemonSet: names.daemonSet, timeoutMs: options.cleanupTimeoutMs ?? 180_000, signal, agents: options.agents,
        onUpdate: () => undefined,
        onLine: (level, text) => options.onLine?.(level, `restart: ${text}`),
      });
      if (rollout.status === 'complete') phase('cleanup-config', 'done', `every agent (${rollout.nodes.length}) runs with cleanup-on-exit`);
      else {
        state.nodesNotCleaned = rollout.nodes.filter((n) => n.state !== 'ready').map((n) => n.node);
        phase('cleanup-config', 'failed', `${rollout.reason ?? rollout.status}; continuing — BPF state may remain on ${state.nodesNotCleaned.join(', ')}`);
      }
    }

    // ---- 2: stop the agents; on SIGTERM they detach programs, remove pins and the conflist ----
    phase('delete-agents', 'running');
    await kube.delete(dsPath, { propagation: 'Background', ...opts });
    const goneBy = Date.now() + 120_000;
    for (;;) {
      const left = (await kube.list<{ metadata: { name: string } }>(collectionPath('Pod', ns), { labelSelector: AGENT_POD_SELECTOR, ...opts })).items;
      if (left.length === 0) break;
      if (Date.now() > goneBy) throw new Error(`agent pods still present after 120 s: ${left.map((p) => p.metadata.name).join(', ')}`);
      await sleep(1000, signal);
      if (signal.aborted) throw new Error('cancelled');
    }
    phase('delete-agents', 'done', 'every agent pod is gone');

    // ---- 3: every labelled object, namespaced first, the namespace last ----
    phase('delete-objects', 'running');
    let deleted = 0;
    for (const kind of [...namespacedKinds, ...clusterKinds] as const) {
      const list = await kube.list<Labelled>(collectionPath(kind), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts });
      for (const item of list.items) {
        const info = kinds[kind]!;
        const path = `${collectionPath(kind, info.namespaced ? item.metadata.namespace : undefined)}/${item.metadata.name}`;
        if (await kube.delete(path, opts)) deleted++;
      }
    }
    const namespaces = (await kube.list<Labelled>(collectionPath('Namespace'), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts })).items;
    const checks = (await kube.list<Labelled>(collectionPath('Namespace'), { labelSelector: `${CHECK_LABEL}=true`, ...opts })).items;
    for (const n of [...namespaces, ...checks]) {
      if (PROTECTED_NAMESPACES.has(n.metadata.name)) {
        options.onLine?.('warn', `not deleting namespace ${n.metadata.name} (a system namespace) although it carries Lumen's label`);
        continue;
      }
      if (await kube.delete(`${collectionPath('Namespace')}/${n.metadata.name}`, opts)) deleted++;
    }
    phase('delete-objects', 'done', `${deleted} objects deleted`);

    // ---- 4: namespaces take a while (their content is deleted first) ----
    phase('verify', 'running', 'waiting for the namespaces to be removed');
    const verifyBy = Date.now() + 120_000;
    for (;;) {
      state.leftovers = await lumenLeftovers(kube, signal);
      update();
      if (state.leftovers.length === 0 || Date.now() > verifyBy || signal.aborted) break;
      await sleep(1500, signal);
    }
    if (state.leftovers.length === 0) phase('verify', 'done', 'no Lumen object is left in the cluster');
    else phase('verify', 'failed', `still present: ${state.leftovers.join(', ')}`);
    state.status = state.leftovers.length === 0 ? 'done' : 'failed';
  } catch (error) {
    const message = error instanceof Error ? kube.classify(error).message : String(error);
    const running = state.phases.find((p) => p.status === 'running');
    if (running) Object.assign(running, { status: signal.aborted ? 'cancelled' : 'failed', message });
    state.status = signal.aborted ? 'cancelled' : 'failed';
    options.onLine?.('error', `uninstall ${state.status}: ${message}`);
    log.warn('uninstall failed', { error });
    state.leftovers = await lumenLeftovers(kube).catch(() => state.leftovers);
  }
  update();
  return structuredClone(state);
}

async function mergePatch(kube: KubeApi, path: string, body: unknown, signal: AbortSignal): Promise<void> {
  await kube.patchMerge(path, body, signal);
}
