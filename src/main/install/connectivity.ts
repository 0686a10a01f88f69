// The connectivity check: a temporary namespace with echo pods pinned to nodes, Services and one-shot client pods; results from the clients' exit status, evidence from the agents' flows; the namespace is always removed.
import { randomBytes } from 'node:crypto';
import { describeFlow, flowFilterFromEntries, type Flow } from '../../shared/flow/index.js';
import type { CheckFlow, ConnectivityCheckResult, ConnectivityState } from '../../shared/contract/index.js';
import type { AgentsClient } from '../agents/index.js';
import { logger } from '../log.js';
import {
  DENY_POLICY, ECHO_PORT, SERVICE_PORT, checkNamespace, denyPolicy, echoPod, echoService, probePod, probeSpecs,
  type CheckNode, type ProbeSpec,
} from './check-objects.js';
import { isNotFound, type KubeApi } from './kube.js';
import { collectionPath } from './resources.js';
import { containerFailure, type PodLike } from './rollout-model.js';
import { sleep } from './sleep.js';

const log = logger('install:check');

export interface CheckRunOptions {
  nodes: readonly CheckNode[];
  echoImage: string;
  clientImage: string;
  agents: AgentsClient | null;
  signal: AbortSignal;
  onUpdate(state: ConnectivityState): void;
  onLine?(level: 'info' | 'warn' | 'error', text: string): void;
  /** Namespace name (tests); default lumen-check-<random>. */
  namespace?: string;
}

interface ProbePod extends PodLike {
  status?: PodLike['status'] & { podIP?: string; hostIP?: string };
}

class CheckFailure extends Error {}


async function until<T>(what: string, timeoutMs: number, signal: AbortSignal, probe: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new CheckFailure('cancelled');
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new CheckFailure(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs, signal);
  }
}

const podReady = (p: ProbePod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Why a pod cannot run (pull failure, crash...), from its container statuses. */
function podProblem(p: ProbePod): string | null {
  for (const c of p.status?.containerStatuses ?? []) {
    const spec = p.spec?.containers?.find((s) => s.name === c.name);
    const failure = containerFailure({
      name: c.name, init: false, state: c.state?.waiting ? 'waiting' : c.state?.running ? 'running' : c.state?.terminated ? 'terminated' : 'unknown',
      ready: c.ready ?? false, reason: c.state?.waiting?.reason ?? null, message: c.state?.waiting?.message ?? null,
      restarts: c.restartCount ?? 0, lastExitCode: c.lastState?.terminated?.exitCode ?? null, lastReason: null, image: spec?.image ?? c.image ?? '',
    });
    if (failure) return failure;
  }
  return null;
}

function podWaiting(p: ProbePod | null): string {
  if (!p) return 'no pod';
  const c = p.status?.containerStatuses?.[0];
  const waiting = c?.state?.waiting;
  if (waiting?.reason) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  return `phase ${p.status?.phase ?? 'unknown'}`;
}

export function flowsOf(flows: readonly Flow[]): CheckFlow[] {
  return flows.map((f) => {
    const policies = [...(f.policy?.rule ? [f.policy.rule.policy] : []), ...(f.policy?.selectedBy ?? [])].map((p) => `${p.namespace}/${p.name}`);
    return { time: f.time, node: f.node, verdict: f.verdict, text: describeFlow(f), policy: policies.length > 0 ? [...new Set(policies)].join(', ') : null };
  });
}

export async function runConnectivityCheck(kube: KubeApi, options: CheckRunOptions): Promise<ConnectivityState> {
  const { signal, agents } = options;
  const ns = options.namespace ?? `lumen-check-${randomBytes(3).toString('hex')}`;
  const nodes = options.nodes.slice(0, 2);
  const specs = probeSpecs(nodes.length);
  const checks: ConnectivityCheckResult[] = specs.map((s) => ({ id: s.id, title: s.title, path: '', status: s.skip ? 'skip' : 'pending', message: s.skip, durationMs: null, flows: [], flowsError: null }));
  const state: ConnectivityState = { namespace: ns, status: 'running', phase: 'creating the check namespace', checks, cleanedUp: false };
  const update = (patch: Partial<ConnectivityState> = {}) => {
    Object.assign(state, patch);
    options.onUpdate(structuredClone(state));
  };
  const setCheck = (id: string, patch: Partial<ConnectivityCheckResult>) => {
    const c = checks.find((x) => x.id === id)!;
    Object.assign(c, patch);
    update();
  };
  const say = (level: 'info' | 'warn' | 'error', text: string) => options.onLine?.(level, text);
  const started = new Date(Date.now() - 1000).toISOString();
  const nodeOf = (w: 'a' | 'b'): CheckNode => (w === 'b' && nodes[1] ? nodes[1] : nodes[0]!);
  const getPod = (name: string) => kube.getOptional<ProbePod>(`${collectionPath('Pod', ns)}/${name}`, { signal });

  try {
    if (nodes.length === 0) throw new CheckFailure('the cluster has no nodes to run the check on');
    update();
    say('info', `creating namespace ${ns}`);
    await kube.create(collectionPath('Namespace'), checkNamespace(ns), { signal });
    // Pods are refused until the namespace's default ServiceAccount exists.
    await until(`ServiceAccount ${ns}/default`, 30_000, signal, async () => ((await kube.getOptional(`${collectionPath('ServiceAccount', ns)}/default`, { signal })) ? true : undefined));

    update({ phase: 'starting echo servers' });
    const echoNodes: ('a' | 'b')[] = nodes.length > 1 ? ['a', 'b'] : ['a'];
    for (const w of echoNodes) await kube.create(collectionPath('Pod', ns), echoPod(ns, nodeOf(w), w, options.echoImage), { signal });
    await kube.create(collectionPath('Service', ns), echoService(ns, 'echo', 'ClusterIP'), { signal });
    await kube.create(collectionPath('Service', ns), echoService(ns, 'echo-nodeport', 'NodePort'), { signal });
    const echo = new Map<'a' | 'b', ProbePod>();
    for (const w of echoNodes) {
      const pod = await until(`echo-${w} on ${nodeOf(w).name} to be Ready`, 120_000, signal, async () => {
        const p = await getPod(`echo-${w}`);
        const problem = p ? podProblem(p) : null;
        if (problem) throw new CheckFailure(`the echo server on ${nodeOf(w).name} cannot run: ${problem}`);
        return p && podReady(p) && p.status?.podIP ? p : undefined;
      });
      echo.set(w, pod);
    }
    const svc = await kube.get<{ spec: { clusterIP: string; ports: { nodePort?: number }[] } }>(`${collectionPath('Service', ns)}/echo`, { signal });
    const np = await kube.get<{ spec: { ports: { nodePort?: number }[] } }>(`${collectionPath('Service', ns)}/echo-nodeport`, { signal });
    const nodePort = np.spec.ports[0]?.nodePort ?? 0;

    update({ phase: 'waiting until every agent has programmed the check\'s Services' });
    await waitServicesRealized(kube, agents, ns, signal, say);

    const targetOf = (s: ProbeSpec): { ip: string; port: number; path: string } => {
      const from = `${s.hostNetwork ? 'node' : 'pod on'} ${nodeOf(s.from).name}`;
      switch (s.target.kind) {
        case 'echo': {
          const pod = echo.get(s.target.node)!;
          return { ip: pod.status!.podIP!, port: ECHO_PORT, path: `${from} → pod echo-${s.target.node} on ${nodeOf(s.target.node).name} (${pod.status!.podIP}:${ECHO_PORT})` };
        }
        case 'cluster-ip':
          return { ip: svc.spec.clusterIP, port: SERVICE_PORT, path: `${from} → Service echo (${svc.spec.clusterIP}:${SERVICE_PORT})` };
        case 'node-port':
          return { ip: nodeOf('a').ip, port: nodePort, path: `${from} → ${nodeOf('a').name} NodePort (${nodeOf('a').ip}:${nodePort})` };
      }
    };
    for (const s of specs) if (!s.skip) setCheck(s.id, { path: targetOf(s).path });

    const runProbe = async (s: ProbeSpec, attempt: number): Promise<{ ok: boolean; message: string; clientIP: string | null }> => {
      const t = targetOf(s);
      const name = `probe-${s.id}${attempt > 1 ? `-${attempt}` : ''}`;
      await kube.create(collectionPath('Pod', ns), probePod(ns, name, nodeOf(s.from), s.hostNetwork, options.clientImage, t.ip, t.port), { signal });
      let last: ProbePod | null = null;
      const done = await until(`the ${s.title} client to finish`, 90_000, signal, async () => {
        last = await getPod(name);
        const problem = last ? podProblem(last) : null;
        if (problem) throw new CheckFailure(`the check client cannot run: ${problem}`);
        return last?.status?.phase === 'Succeeded' || last?.status?.phase === 'Failed' ? last : undefined;
      }).catch((error: unknown) => {
        if (error instanceof CheckFailure && /timed out/.test(error.message)) throw new CheckFailure(`${error.message} (client pod: ${podWaiting(last)})`);
        throw error;
      });
      const exit = done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? (done.status?.phase === 'Succeeded' ? 0 : 1);
      let output = '';
      try {
        output = (await kube.text(`${collectionPath('Pod', ns)}/${name}/log?container=client`, { signal, timeoutMs: 5000 })).trim();
      } catch {
        // Clusters without a kubelet log endpoint (the lab) still give the exit status.
      }
      const clientIP = s.hostNetwork ? nodeOf(s.from).ip : (done.status?.podIP ?? null);
      const reply = output ? `: ${output.split('\n').pop()!.slice(0, 200)}` : '';
      return { ok: exit === 0, message: exit === 0 ? `answered${reply}` : `no answer (client exit code ${exit})${reply}`, clientIP };
    };

    const evidence = async (s: ProbeSpec, clientIP: string | null): Promise<Pick<ConnectivityCheckResult, 'flows' | 'flowsError'>> => {
      if (!agents) return { flows: [], flowsError: 'the agents cannot be asked (no access to their API)' };
      const t = targetOf(s);
      const involved = [...new Set([nodeOf(s.from).name, ...(s.target.kind === 'echo' ? [nodeOf(s.target.node).name] : nodes.map((n) => n.name))])];
      const entries: [string, string][] = [['since', started], ['port', [...new Set([t.port, ECHO_PORT])].join(',')]];
      if (clientIP) entries.push(['ip', clientIP]);
      const filter = flowFilterFromEntries(entries);
      const found: Flow[] = [];
      const errors: string[] = [];
      for (const node of involved) {
        try {
          found.push(...(await agents.flows(node, filter, 20, { signal, timeoutMs: 5000 })).items);
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
        }
      }
      found.sort((a, b) => a.time.localeCompare(b.time));
      return { flows: flowsOf(found.slice(-12)), flowsError: errors.length > 0 ? errors.join('; ') : null };
    };

    const runCheck = async (s: ProbeSpec) => {
      const t0 = Date.now();
      setCheck(s.id, { status: 'running' });
      try {
        let r = await runProbe(s, 1);
        if (!r.ok && !s.expectFailure) {
          say('warn', `${s.title}: ${r.message}; trying once more`);
          await sleep(2000, signal);
          r = await runProbe(s, 2);
        }
        const passed = s.expectFailure ? !r.ok : r.ok;
        const ev = await evidence(s, r.clientIP);
        let message = s.expectFailure ? (r.ok ? `the connection was answered although ${DENY_POLICY} selects the target: ${r.message}` : 'denied as expected') : r.message;
        let status: 'pass' | 'fail' = passed ? 'pass' : 'fail';
        if (s.expectFailure && passed) {
          // The denial must be the datapath's, named after the policy (not a network that is down).
          const drop = ev.flows.find((f) => f.verdict === 'DROPPED' && f.policy?.includes(`${ns}/${DENY_POLICY}`));
          if (drop) message = `denied as expected: the agent on ${drop.node} dropped it (${DENY_POLICY})`;
          else if (agents && ev.flowsError === null) {
            status = 'fail';
            message = `the connection failed, but no agent recorded a DROPPED flow by ${DENY_POLICY}: something else dropped it`;
          } else message = `denied as expected (no flows to confirm it: ${ev.flowsError ?? 'agents not reachable'})`;
        }
        setCheck(s.id, { status, message, durationMs: Date.now() - t0, ...ev });
        say(status === 'pass' ? 'info' : 'error', `${s.title}: ${status === 'pass' ? 'pass' : 'FAIL'} — ${message}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        setCheck(s.id, { status: 'fail', message, durationMs: Date.now() - t0 });
        say('error', `${s.title}: FAIL — ${message}`);
      }
    };

    update({ phase: 'running the checks' });
    const positive = specs.filter((s) => !s.skip && !s.expectFailure);
    await Promise.all(positive.map(runCheck));

    const deny = specs.find((s) => s.expectFailure && !s.skip);
    if (deny) {
      update({ phase: `applying ${DENY_POLICY} and checking that it denies` });
      await kube.create(collectionPath('NetworkPolicy', ns), denyPolicy(ns), { signal });
      await waitPolicyRealized(agents, nodeOf('a').name, ns, signal, say);
      await runCheck(deny);
    }
    const failed = checks.filter((c) => c.status === 'fail');
    update({ status: failed.length === 0 ? 'passed' : 'failed', phase: failed.length === 0 ? 'all checks passed' : `${failed.length} check(s) failed` });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cancelled = signal.aborted;
    for (const c of checks) if (c.status === 'pending' || c.status === 'running') Object.assign(c, { status: cancelled ? 'skip' : 'fail', message: cancelled ? 'cancelled' : message });
    update({ status: cancelled ? 'cancelled' : 'failed', phase: cancelled ? 'cancelled' : message });
    say(cancelled ? 'warn' : 'error', cancelled ? 'connectivity check cancelled' : `connectivity check failed: ${message}`);
    if (!(error instanceof CheckFailure) && !cancelled) log.error('connectivity check failed', { error });
  } finally {
    const phase = state.phase;
    update({ phase: `${phase}; removing namespace ${ns}` });
    say('info', `removing namespace ${ns}`);
    state.cleanedUp = await removeNamespace(kube, ns);
    update({ phase: state.cleanedUp ? `${phase}; namespace ${ns} removed` : `${phase}; namespace ${ns} is still being removed` });
  }
  return structuredClone(state);
}

/** Deletes the check namespace (also after a cancel) and waits up to 90 s until it is gone. */
export async function removeNamespace(kube: KubeApi, ns: string): Promise<boolean> {
  try {
    await kube.delete(`${collectionPath('Namespace')}/${ns}`, { propagation: 'Background' });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (!(await kube.getOptional(`${collectionPath('Namespace')}/${ns}`))) return true;
      await sleep(1000);
    }
  } catch (error) {
    if (isNotFound(error)) return true;
    log.warn(`removing check namespace ${ns} failed`, { error });
  }
  return false;
}

/** Until every agent has the check's Services in its maps with backends (or the agents cannot be asked). */
async function waitServicesRealized(kube: KubeApi, agents: AgentsClient | null, ns: string, signal: AbortSignal, say: (l: 'info' | 'warn' | 'error', t: string) => void): Promise<void> {
  if (!agents) {
    await sleep(3000, signal);
    return;
  }
  const nodes = (await kube.list<{ metadata: { name: string } }>(collectionPath('Node'), { signal })).items.map((n) => n.metadata.name);
  try {
    await until('the agents to program the check Services', 30_000, signal, async () => {
      for (const node of nodes) {
        const entries = await agents.services(node, { signal, timeoutMs: 5000 });
        const mine = entries.filter((e) => e.desired?.service.namespace === ns);
        if (mine.length < 2 || mine.some((e) => !e.realized || e.realized.backends.length === 0)) return undefined;
      }
      return true;
    });
  } catch (error) {
    say('warn', `could not confirm the Services are programmed (${error instanceof Error ? error.message : String(error)}); running the checks anyway`);
  }
}

/** Until the agent on the target's node enforces the deny policy on echo-a. */
async function waitPolicyRealized(agents: AgentsClient | null, node: string, ns: string, signal: AbortSignal, say: (l: 'info' | 'warn' | 'error', t: string) => void): Promise<void> {
  if (!agents) {
    await sleep(3000, signal);
    return;
  }
  try {
    await until(`the agent on ${node} to enforce ${DENY_POLICY}`, 30_000, signal, async () => {
      const p = await agents.policy(node, `${ns}/echo-a`, { signal, timeoutMs: 5000 }).catch(() => null);
      return p && p.ingress.enforcement === 'enabled' && p.ingress.selectedBy.some((s) => s.name === DENY_POLICY) ? true : undefined;
    });
  } catch (error) {
    say('warn', `could not confirm the policy is enforced (${error instanceof Error ? error.message : String(error)}); checking anyway`);
  }
}

