// InstallSession: the one install engine — steps as data (preflight → options → review → apply+rollout → connectivity, or uninstall), state snapshots and progress lines for the wizard and the CLI alike.
import { randomUUID } from 'node:crypto';
import { names } from '../../../resources/manifests.js';
import {
  LumenError, installStepIds, toErrorPayload,
  type ApplyObjectState, type InstallLogLine, type InstallOptions, type InstallSessionState, type InstallStepId, type Plan, type StepState,
} from '../../shared/contract/index.js';
import { AgentsClient } from '../agents/index.js';
import { logger } from '../log.js';
import { applyObjects } from './apply.js';
import { runConnectivityCheck } from './connectivity.js';
import type { KubeApi } from './kube.js';
import { validateOptions } from './options.js';
import { buildPlan, type PlanResult } from './plan.js';
import { runPreflight, type PreflightResult } from './preflight/index.js';
import { collectionPath, objectKey, objectPath } from './resources.js';
import { followRollout } from './rollout.js';
import { generateSecrets, type InstallSecrets } from './secrets.js';
import { runUninstall } from './uninstall.js';

const log = logger('install');

export const stepTitles: Record<InstallStepId, string> = {
  preflight: 'Preflight',
  options: 'Options',
  review: 'Review',
  apply: 'Apply & roll out',
  connectivity: 'Connectivity check',
  uninstall: 'Uninstall',
};

const MAX_LOG = 300;

export interface SessionHooks {
  /** Shortens the rollout's polling in tests. */
  pollMs?: number;
}

export class InstallSession {
  readonly id = randomUUID();
  private readonly state: InstallSessionState;
  private secrets: InstallSecrets | null = null;
  private preflightResult: PreflightResult | null = null;
  private planResult: PlanResult | null = null;
  private controller: AbortController | null = null;
  private readonly listeners = new Set<(state: InstallSessionState) => void>();
  private readonly lineListeners = new Set<(line: InstallLogLine) => void>();
  private emitTimer: NodeJS.Timeout | null = null;

  constructor(readonly kube: KubeApi, mode: 'install' | 'uninstall' = 'install', private readonly hooks: SessionHooks = {}) {
    const ids = mode === 'install' ? installStepIds.filter((s) => s !== 'uninstall') : (['uninstall'] as const);
    this.state = {
      id: this.id, context: kube.context, mode, busy: false,
      steps: ids.map((id): StepState => ({ id, title: stepTitles[id], status: 'pending', message: null, progress: null, startedAt: null, finishedAt: null })),
      preflight: null, options: null, optionErrors: {}, planCounts: null, apply: null, rollout: null, connectivity: null, uninstall: null, log: [], error: null,
    };
  }

  snapshot(): InstallSessionState {
    return structuredClone(this.state);
  }

  plan(): Plan | null {
    return this.planResult ? structuredClone(this.planResult.plan) : null;
  }

  /** State changes, at most every 150 ms (step ends are sent at once). */
  onChange(listener: (state: InstallSessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every progress line as it happens (the CLI prints them). */
  onLine(listener: (line: InstallLogLine) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Stops the running step (a connectivity check still removes its namespace). */
  cancel(): void {
    if (this.controller && !this.controller.signal.aborted) {
      this.line(this.runningStep() ?? 'preflight', 'warn', 'cancelling');
      this.controller.abort();
    }
  }

  dispose(): void {
    this.cancel();
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.listeners.clear();
    this.lineListeners.clear();
  }

  // ---- steps ----

  async preflight(): Promise<void> {
    await this.run('preflight', async (signal) => {
      this.secrets ??= generateSecrets('lumen-system');
      const result = await runPreflight(this.kube, this.secrets, {
        signal,
        onProgress: (text) => this.step('preflight', { message: text }),
        onCheck: (c, done, total) => {
          this.step('preflight', { progress: { done, total } });
          this.line('preflight', c.status === 'fail' ? 'error' : c.status === 'warn' ? 'warn' : 'info', `${c.title}: ${c.status.toUpperCase()} — ${c.summary}`);
        },
      });
      this.preflightResult = result;
      if (result.existingSecrets) this.secrets = result.existingSecrets;
      this.state.preflight = result.report;
      const fails = result.report.checks.filter((c) => c.status === 'fail').length;
      const warns = result.report.checks.filter((c) => c.status === 'warn').length;
      return `${fails} failed, ${warns} warnings${result.report.blocking ? ' — fix the failed checks before installing' : ''}`;
    });
  }

  /** Validates the options and builds the plan; invalid options come back in optionErrors. */
  async setOptions(raw: InstallOptions): Promise<void> {
    const pre = this.requirePreflight();
    this.state.optionErrors = {};
    this.state.options = raw;
    const nsLive = await this.kube.getOptional<{ metadata: { labels?: Record<string, string> } }>(`${collectionPath('Namespace')}/${encodeURIComponent(raw.namespace || 'x')}`)
      .catch(() => null);
    const { options, errors } = validateOptions(raw, { labels: nsLive ? (nsLive.metadata.labels ?? {}) : null });
    if (!options) {
      this.state.optionErrors = errors as Record<string, string>;
      this.step('options', { status: 'failed', message: `${Object.keys(errors).length} option(s) to fix` });
      this.line('options', 'error', `invalid options: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
      this.flush();
      return;
    }
    this.step('options', { status: 'done', message: null, finishedAt: Date.now() });
    await this.run('review', async (signal) => {
      if (!this.preflightResult?.existingSecrets || this.preflightResult.existing?.namespace !== options.namespace) {
        this.secrets = generateSecrets(options.namespace, pre.report.nodes.map((n) => n.internalIP ?? '').filter(Boolean));
      }
      const result = await buildPlan(this.kube, options, this.secrets!, pre.report.existing?.version ?? null, {
        signal,
        onProgress: (done, total, key) => this.step('review', { progress: { done, total }, message: key ? `comparing ${key}` : null }),
      });
      this.planResult = result;
      this.state.planCounts = result.plan.counts;
      const c = result.plan.counts;
      return `${c.create} to create, ${c.update} to update, ${c.unchanged} unchanged${c.extra ? `, ${c.extra} extra left as is` : ''}`;
    });
  }

  /** Applies the plan object by object, then follows the rollout until ready, failed or the deadline. */
  async apply(forceConflicts = false): Promise<void> {
    const planned = this.requirePlan();
    const options = planned.plan.options;
    this.state.rollout = null;
    this.state.apply = {
      objects: planned.objects.map((o): ApplyObjectState => ({ key: objectKey(o), kind: o.kind, status: 'pending', message: null })),
      conflicts: [], rolledBack: false,
    };
    await this.run('apply', async (signal) => {
      const total = planned.objects.length;
      let done = 0;
      const outcome = await applyObjects(this.kube, planned.objects, forceConflicts, {
        signal,
        onObject: (s) => {
          const entry = this.state.apply!.objects.find((o) => o.key === s.key);
          if (entry) Object.assign(entry, s);
          if (s.status === 'applied') done++;
          this.step('apply', { progress: { done, total }, message: s.status === 'applied' ? `applied ${done}/${total}` : `${s.status} ${s.key}${s.message ? `: ${s.message}` : ''}` });
          if (s.status !== 'applying') this.line('apply', s.status === 'failed' || s.status === 'conflict' ? 'error' : 'info', `${s.key}: ${s.status}${s.message ? ` — ${s.message}` : ''}`);
        },
      });
      if (outcome.status === 'conflict') {
        this.state.apply!.conflicts = outcome.conflicts;
        for (const c of outcome.conflicts) this.line('apply', 'warn', `conflict on ${c.key}: ${c.field} is managed by ${c.manager}`);
        throw LumenError.of('invalid-request', `${outcome.conflicts[0]!.key} has fields another field manager owns (${[...new Set(outcome.conflicts.map((c) => c.manager))].join(', ')})`, {
          hint: 'Review the conflicting fields; apply again with "force" to take them over.',
        });
      }
      if (outcome.status === 'failed') throw this.kube.classify(outcome.error);
      this.line('apply', 'info', `all ${total} objects applied; following the DaemonSet rollout`);
      this.step('apply', { message: 'rolling out the agents' });
      const rollout = await followRollout(this.kube, {
        namespace: options.namespace, daemonSet: names.daemonSet, timeoutMs: options.rolloutTimeoutSeconds * 1000, signal,
        agents: this.agents(options.namespace), pollMs: this.hooks.pollMs ?? 1000,
        onUpdate: (r) => {
          this.state.rollout = r;
          this.step('apply', { message: `rollout: ${r.nodes.filter((n) => n.state === 'ready').length}/${r.nodes.length} nodes ready` });
        },
        onLine: (level, text) => this.line('apply', level, text),
      });
      this.state.rollout = rollout;
      if (rollout.status !== 'complete') {
        throw LumenError.of('server-error', rollout.reason ?? `the rollout ended: ${rollout.status}`, { hint: 'Retry after fixing the cause, or roll back.' });
      }
      return `${rollout.nodes.length} agent(s) ready`;
    });
  }

  /** Undoes a failed apply: an upgrade re-applies what was there; a fresh install is uninstalled. */
  async rollback(): Promise<void> {
    const planned = this.requirePlan();
    const ns = planned.plan.options.namespace;
    if (!planned.plan.upgrade) {
      this.line('apply', 'warn', 'rolling back a fresh install: uninstalling');
      await this.uninstallInto(ns, 'apply');
      this.markRolledBack();
      return;
    }
    await this.run('apply', async (signal) => {
      const restore = [...planned.previous.entries()];
      for (const [key, before] of restore) {
        if (before) {
          this.line('apply', 'info', `${key}: restoring the previous version`);
          await this.kube.apply(objectPath(before), before, { force: true, signal });
        }
      }
      // Objects the upgrade added go, newest first.
      for (const [key, before] of [...restore].reverse()) {
        if (before) continue;
        const object = planned.objects.find((o) => objectKey(o) === key)!;
        this.line('apply', 'info', `${key}: deleting (it did not exist before)`);
        await this.kube.delete(objectPath(object), { signal });
      }
      const rollout = await followRollout(this.kube, {
        namespace: ns, daemonSet: names.daemonSet, timeoutMs: planned.plan.options.rolloutTimeoutSeconds * 1000, signal,
        agents: this.agents(ns), pollMs: this.hooks.pollMs ?? 1000,
        onUpdate: (r) => (this.state.rollout = r),
        onLine: (level, text) => this.line('apply', level, text),
      });
      this.state.rollout = rollout;
      if (rollout.status !== 'complete') throw LumenError.of('server-error', `rolled back, but the previous version does not come up either: ${rollout.reason ?? rollout.status}`);
      return 'the previous version runs again';
    });
    this.markRolledBack();
  }

  /** A rolled-back apply did not install anything: the wizard must not go on to the check. */
  private markRolledBack(): void {
    const apply = this.state.steps.find((s) => s.id === 'apply');
    if (apply?.status === 'done') {
      this.step('apply', { status: 'failed', message: `rolled back: ${apply.message ?? ''}` });
      if (this.state.apply) this.state.apply.rolledBack = true;
    }
    this.flush();
  }

  async check(): Promise<void> {
    const options = this.planResult?.plan.options ?? this.state.options;
    const pre = this.requirePreflight();
    if (!options) throw LumenError.of('invalid-request', 'choose the options first: the check uses their images');
    await this.run('connectivity', async (signal) => {
      const nodes = pre.report.nodes.filter((n) => n.internalIP).map((n) => ({ name: n.name, ip: n.internalIP! }));
      const result = await runConnectivityCheck(this.kube, {
        nodes, echoImage: options.checkEchoImage, clientImage: options.checkClientImage, signal,
        agents: this.agents(options.namespace),
        onUpdate: (c) => {
          this.state.connectivity = c;
          const done = c.checks.filter((x) => x.status === 'pass' || x.status === 'fail' || x.status === 'skip').length;
          this.step('connectivity', { progress: { done, total: c.checks.length }, message: c.phase });
        },
        onLine: (level, text) => this.line('connectivity', level, text),
      });
      this.state.connectivity = result;
      if (result.status !== 'passed') {
        const failed = result.checks.filter((c) => c.status === 'fail');
        throw LumenError.of('server-error', result.status === 'cancelled' ? 'the check was cancelled' : `${failed.length} connectivity check(s) failed: ${failed.map((c) => c.title).join(', ') || result.phase}`);
      }
      return `all ${result.checks.filter((c) => c.status === 'pass').length} checks passed${result.checks.some((c) => c.status === 'skip') ? ' (some skipped)' : ''}`;
    });
  }

  /** Uninstall mode: removes the install in `namespace` (found by preflight when not given). */
  async uninstall(namespace?: string): Promise<void> {
    let ns = namespace;
    if (!ns) {
      const ds = await this.kube.list<{ metadata: { namespace: string } }>('/apis/apps/v1/daemonsets', { labelSelector: 'app.kubernetes.io/part-of=lumen,app.kubernetes.io/component=agent' }).catch(() => ({ items: [] }));
      ns = ds.items[0]?.metadata.namespace ?? 'lumen-system';
    }
    await this.uninstallInto(ns, 'uninstall');
  }

  // ---- internals ----

  private async uninstallInto(ns: string, step: InstallStepId): Promise<void> {
    await this.run(step, async (signal) => {
      const result = await runUninstall(this.kube, {
        namespace: ns, signal, agents: this.agents(ns, true),
        onUpdate: (u) => {
          this.state.uninstall = u;
          const done = u.phases.filter((p) => p.status === 'done' || p.status === 'skipped').length;
          this.step(step, { progress: { done, total: u.phases.length }, message: u.phases.find((p) => p.status === 'running')?.title ?? null });
        },
        onLine: (level, text) => this.line(step, level, text),
      });
      this.state.uninstall = result;
      if (result.status !== 'done') throw LumenError.of('server-error', `uninstall ${result.status}: ${result.leftovers.length ? `still present: ${result.leftovers.join(', ')}` : (result.phases.find((p) => p.status === 'failed')?.message ?? '')}`);
      return result.nodesNotCleaned.length ? `removed; BPF state may remain on ${result.nodesNotCleaned.join(', ')}` : 'nothing of Lumen is left';
    });
  }

  private agents(namespace: string, fromSecret = false): AgentsClient {
    const token = this.secrets?.token;
    return new AgentsClient({
      http: () => this.kube.http,
      namespace,
      ...(token && !fromSecret ? { readToken: async () => token } : {}),
      discoveryTtlMs: 1000,
    });
  }

  private requirePreflight(): PreflightResult {
    if (!this.preflightResult) throw LumenError.of('invalid-request', 'run the preflight first');
    return this.preflightResult;
  }

  private requirePlan(): PlanResult {
    if (!this.planResult) throw LumenError.of('invalid-request', 'choose the options and review the plan first');
    return this.planResult;
  }

  private runningStep(): InstallStepId | null {
    return this.state.steps.find((s) => s.status === 'running')?.id ?? null;
  }

  /** Runs one step: one at a time, status and timing recorded, failures kept as typed errors. */
  private async run(id: InstallStepId, body: (signal: AbortSignal) => Promise<string>): Promise<void> {
    if (this.state.busy) throw LumenError.of('invalid-request', `another step is running (${this.runningStep() ?? 'busy'}); wait for it or cancel it`);
    const controller = new AbortController();
    this.controller = controller;
    this.state.busy = true;
    this.state.error = null;
    this.step(id, { status: 'running', message: null, progress: null, startedAt: Date.now(), finishedAt: null });
    this.line(id, 'info', `${stepTitles[id]}: started`);
    try {
      const message = await body(controller.signal);
      this.step(id, { status: controller.signal.aborted ? 'cancelled' : 'done', message, finishedAt: Date.now() });
      this.line(id, 'info', `${stepTitles[id]}: ${message}`);
    } catch (error) {
      const cancelled = controller.signal.aborted;
      const typed = error instanceof LumenError ? error : this.kube.classify(error);
      this.state.error = toErrorPayload(typed);
      this.step(id, { status: cancelled ? 'cancelled' : 'failed', message: typed.message, finishedAt: Date.now() });
      this.line(id, cancelled ? 'warn' : 'error', `${stepTitles[id]}: ${cancelled ? 'cancelled' : 'failed'} — ${typed.message}`);
      if (!(error instanceof LumenError)) log.warn(`${id} failed`, { error });
    } finally {
      this.state.busy = false;
      if (this.controller === controller) this.controller = null;
      this.flush();
    }
  }

  private step(id: InstallStepId, patch: Partial<StepState>): void {
    const s = this.state.steps.find((x) => x.id === id);
    if (s) Object.assign(s, patch);
    this.changed();
  }

  private line(step: InstallStepId, level: InstallLogLine['level'], text: string): void {
    const entry: InstallLogLine = { time: Date.now(), step, level, text };
    this.state.log.push(entry);
    if (this.state.log.length > MAX_LOG) this.state.log.splice(0, this.state.log.length - MAX_LOG);
    for (const l of [...this.lineListeners]) l(entry);
    this.changed();
  }

  private changed(): void {
    if (this.emitTimer) return;
    this.emitTimer = setTimeout(() => this.flush(), 150);
  }

  private flush(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    const snapshot = this.snapshot();
    for (const l of [...this.listeners]) l(snapshot);
  }
}
