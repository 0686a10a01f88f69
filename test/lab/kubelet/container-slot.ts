// One container of a pod across its restarts: starting it (image, env, volumes), its
// exit, its probes and readiness, and the runtime state the pod status is made from.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join, posix } from 'node:path';
import { NODE_BIND_PATHS } from '../lib/layout';
import { ensureMountpoint } from '../lib/nodens';
import { settlesWithin } from '../lib/proc';
import { ContainerProcess } from './containers';
import { restartDelayMs, type NodeContext } from './context';
import { composeEnv, envReferences, EnvError, expandArgv, type RuntimeFields } from './env';
import { resolveImage } from './images';
import { fetchConfigMaps, fetchSecrets, secretsAsText } from './pod-volumes';
import { listeningOn, probeLoop, runProbeOnce, type ProbeContext } from './probes';
import type { RuntimeContainer, RuntimeContainerState } from './status';
import type { Container, Pod, Volume } from './types';
import { containerBinds, type Bind } from './volumes';

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Terminated = Extract<RuntimeContainerState, { kind: 'terminated' }>;

export interface SlotHost {
  ctx: NodeContext;
  pod: () => Pod;
  podDir: string;
  podCgroup: string;
  netns: () => string;
  runtimeFields: () => RuntimeFields;
  /** Something changed (exit, readiness): re-sync the pod. */
  changed: () => void;
  /** The record of a started container for other processes (exec, logs). */
  started: (slot: ContainerSlot) => void;
}

/** Where a bind destination lives on the host when it is not inside a node-private directory. */
function plainHostPath(dst: string, binds: Bind[]): string | undefined {
  const p = dst.startsWith('/var/run/') ? dst.replace(/^\/var\/run/, '/run') : dst;
  if (/^\/(sys|proc|dev)(\/|$)/.test(p)) return undefined;
  for (const [, hostPath] of NODE_BIND_PATHS) if (p === hostPath || p.startsWith(`${hostPath}/`)) return undefined;
  for (const b of binds) if (b.dst !== dst && dst.startsWith(`${b.dst}/`)) return undefined;
  return dst;
}

export class ContainerSlot {
  proc?: ContainerProcess;
  rt: RuntimeContainer;
  /** Failures to create/start since the last successful start (image, env, files). */
  createFailures = 0;
  nextStartAt = 0;
  env: Record<string, string> = {};
  logFile = '';
  private failedAt = 0;
  private stopProbes: Array<() => void> = [];
  private livenessKilled = false;

  constructor(
    readonly spec: Container,
    readonly init: boolean,
    private readonly host: SlotHost,
  ) {
    this.rt = { name: spec.name, image: spec.image, state: { kind: 'waiting', reason: 'ContainerCreating' }, restartCount: 0, ready: false, started: false };
  }

  get cgroup(): string {
    return join(this.host.podCgroup, this.spec.name);
  }

  get running(): boolean {
    return !!this.proc?.running;
  }

  /** How events name this container (involvedObject.fieldPath). */
  private get fieldPath(): string {
    return `spec.${this.init ? 'initContainers' : 'containers'}{${this.spec.name}}`;
  }

  private waiting(reason: string, message?: string): void {
    this.rt.state = { kind: 'waiting', reason, ...(message ? { message } : {}) };
  }

  private fail(reason: string, message: string, delayMs: number): void {
    const pod = this.host.pod();
    this.createFailures++;
    this.failedAt = Date.now();
    this.waiting(reason, message);
    this.nextStartAt = Date.now() + delayMs;
    this.host.ctx.events.record(pod, 'Warning', 'Failed', `Error: ${message}`, this.fieldPath);
  }

  /** While waiting to retry a failed pull: ErrImagePull turns into ImagePullBackOff, as on a kubelet. */
  backingOff(): void {
    const st = this.rt.state;
    // ErrImagePull stays visible for a moment, as between two kubelet syncs.
    if (st.kind !== 'waiting' || st.reason !== 'ErrImagePull' || Date.now() - this.failedAt < 1000) return;
    const pod = this.host.pod();
    this.waiting('ImagePullBackOff', `Back-off pulling image "${this.spec.image}": ErrImagePull: ${st.message ?? ''}`);
    this.host.ctx.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${this.spec.image}"`, this.fieldPath);
  }

  /** When the pod worker should look at this container again (a failed pull flips to back-off after 1 s). */
  nextCheckAt(): number {
    const st = this.rt.state;
    if (st.kind === 'waiting' && st.reason === 'ErrImagePull') return Math.min(this.nextStartAt, this.failedAt + 1000);
    return this.nextStartAt;
  }

  /** Starts the container now. Returns false (with a waiting reason and a retry time) when it cannot. */
  async start(): Promise<boolean> {
    const { ctx } = this.host;
    const pod = this.host.pod();
    const fieldPath = this.fieldPath;
    const pulled = resolveImage(this.spec, ctx.images);
    if (!pulled.ok) {
      this.fail(pulled.reason, pulled.message, Math.min(10_000 * 2 ** this.createFailures, 300_000));
      return false;
    }
    let env: Map<string, string>;
    try {
      const refs = envReferences(this.spec);
      const ns = pod.metadata.namespace;
      const [configMaps, secrets] = await Promise.all([fetchConfigMaps(ctx.client, ns, refs.configMaps), fetchSecrets(ctx.client, ns, refs.secrets)]);
      env = composeEnv({
        pod,
        container: this.spec,
        runtime: this.host.runtimeFields(),
        sources: { configMaps: new Map([...configMaps].map(([k, v]) => [k, v?.data])), secrets: secretsAsText(secrets) },
        kubernetesService: ctx.kubernetesService(),
        imageEnv: { PATH: `${ctx.images.binDir}:${BASE_PATH}`, HOSTNAME: pod.spec.hostNetwork ? ctx.node.name : pod.spec.hostname ?? pod.metadata.name, HOME: '/root', ...pulled.env },
      });
    } catch (e) {
      const reason = e instanceof EnvError ? e.reason : 'CreateContainerConfigError';
      this.fail(reason, (e as Error).message, Math.min(1000 * 2 ** this.createFailures, 20_000));
      return false;
    }
    const expanded: Container = {
      ...this.spec,
      ...(this.spec.command ? { command: expandArgv(this.spec.command, env) } : {}),
      ...(this.spec.args ? { args: expandArgv(this.spec.args, env) } : {}),
    };
    const image = resolveImage(expanded, ctx.images);
    if (!image.ok) return false;
    if (image.requiresFile && !existsSync(image.requiresFile.path)) {
      this.fail('CreateContainerError', image.requiresFile.hint, Math.min(10_000 * 2 ** this.createFailures, 60_000));
      return false;
    }
    let binds: Bind[];
    try {
      binds = containerBinds(pod, this.spec, (v: Volume) => (v.hostPath ? v.hostPath.path : join(this.host.podDir, 'volumes', v.name)));
      for (const b of binds) {
        const plain = plainHostPath(b.dst, binds);
        if (plain && !existsSync(plain)) ensureMountpoint(posix.normalize(plain));
      }
    } catch (e) {
      this.fail('CreateContainerConfigError', (e as Error).message, 10_000);
      return false;
    }
    const isRestart = this.rt.state.kind === 'terminated' || !!this.rt.lastTerminated;
    if (isRestart && this.proc) this.rt.restartCount++;
    this.env = Object.fromEntries(env);
    this.logFile = join(this.host.podDir, 'logs', this.spec.name, `${this.rt.restartCount}.log`);
    const containerID = `lumen-lab://${randomBytes(16).toString('hex')}`;
    this.proc = ContainerProcess.start({
      argv: image.argv,
      env: this.env,
      workingDir: this.spec.workingDir ?? '/',
      ...(pod.spec.hostNetwork ? {} : { hostname: pod.spec.hostname ?? pod.metadata.name }),
      binds,
      netns: this.host.netns(),
      mntns: ctx.node.mntns,
      cgroup: this.cgroup,
      logFile: this.logFile,
    });
    // Only a container whose namespaces and mounts are in place counts as started (and can be exec'd into).
    await settlesWithin(this.proc.setUp, 30_000);
    this.createFailures = 0;
    this.livenessKilled = false;
    this.rt.containerID = containerID;
    this.rt.state = { kind: 'running', startedAt: this.proc.startedAt };
    this.rt.ready = false;
    this.rt.started = !this.spec.startupProbe;
    ctx.events.record(pod, 'Normal', 'Pulled', `Container image "${this.spec.image}" already present on machine (lab program: ${image.kind})`, fieldPath);
    ctx.events.record(pod, 'Normal', 'Created', `Created container: ${this.spec.name}`, fieldPath);
    ctx.events.record(pod, 'Normal', 'Started', `Started container ${this.spec.name}`, fieldPath);
    const proc = this.proc;
    void proc.exited.then((exit) => this.onExit(proc, exit.code, exit.signal, exit.finishedAt));
    if (!this.init) this.startProbes(proc);
    this.host.started(this);
    return true;
  }

  private onExit(proc: ContainerProcess, code: number | null, signal: NodeJS.Signals | null, finishedAt: string): void {
    if (this.proc !== proc) return;
    for (const stop of this.stopProbes) stop();
    this.stopProbes = [];
    // A process killed by a signal reports 128 + the signal number, as a runtime does.
    const signo = signal ? (constants.signals[signal] ?? 0) : undefined;
    const exitCode = code ?? 128 + (signo ?? 0);
    const term: Terminated = {
      kind: 'terminated',
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(signo !== undefined ? { signal: signo } : {}),
      ...(this.livenessKilled ? { message: 'killed after failing its liveness probe' } : {}),
      startedAt: proc.startedAt,
      finishedAt,
    };
    this.rt.state = term;
    this.rt.ready = false;
    this.host.changed();
  }

  /** Moves a terminated container to "waiting to restart", keeping the exit as lastState. */
  scheduleRestart(): void {
    if (this.rt.state.kind !== 'terminated') return;
    const term = this.rt.state;
    this.rt.lastTerminated = term;
    const ranMs = Date.parse(term.finishedAt) - Date.parse(term.startedAt ?? term.finishedAt);
    // A container that ran for a long time starts its back-off over.
    const restarts = ranMs > 600_000 ? 0 : this.rt.restartCount;
    const delay = restartDelayMs(restarts);
    this.nextStartAt = Date.parse(term.finishedAt) + delay;
    const pod = this.host.pod();
    if (delay > 0) {
      this.waiting('CrashLoopBackOff', `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`);
      this.host.ctx.events.record(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${this.spec.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, this.fieldPath);
    } else {
      this.waiting('ContainerCreating');
    }
  }

  private startProbes(proc: ContainerProcess): void {
    const { ctx } = this.host;
    const pod = this.host.pod();
    const fieldPath = this.fieldPath;
    const probeCtx: ProbeContext = {
      prober: ctx.prober,
      podIP: () => this.host.runtimeFields().podIP,
      execTarget: () => (proc.running && proc.pid ? { pid: proc.pid, cgroup: this.cgroup, env: this.env } : undefined),
    };
    const { startupProbe, readinessProbe, livenessProbe } = this.spec;
    const afterStartup = (): void => {
      if (readinessProbe) {
        this.stopProbes.push(probeLoop(readinessProbe, () => runProbeOnce(readinessProbe, this.spec, probeCtx), (ok, message) => {
          if (!ok) ctx.events.record(pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${message}`, fieldPath);
          this.rt.ready = ok;
          this.host.changed();
        }));
      } else {
        this.watchListening(proc);
      }
      if (livenessProbe) {
        this.stopProbes.push(probeLoop(livenessProbe, () => runProbeOnce(livenessProbe, this.spec, probeCtx), (ok, message) => {
          if (ok || !proc.running) return;
          ctx.events.record(pod, 'Warning', 'Unhealthy', `Liveness probe failed: ${message}`, fieldPath);
          ctx.events.record(pod, 'Normal', 'Killing', `Container ${this.spec.name} failed liveness probe, will be restarted`, fieldPath);
          this.livenessKilled = true;
          void proc.stop((pod.spec.terminationGracePeriodSeconds ?? 30) * 1000);
        }));
      }
    };
    if (startupProbe) {
      this.stopProbes.push(probeLoop(startupProbe, () => runProbeOnce(startupProbe, this.spec, probeCtx), (ok, message) => {
        if (!ok) {
          ctx.events.record(pod, 'Warning', 'Unhealthy', `Startup probe failed: ${message}`, fieldPath);
          this.livenessKilled = true;
          void proc.stop((pod.spec.terminationGracePeriodSeconds ?? 30) * 1000);
          return;
        }
        if (this.rt.started) return;
        this.rt.started = true;
        this.host.changed();
        afterStartup();
      }));
    } else {
      afterStartup();
    }
  }

  /** Without a readiness probe: ready once running and listening on every declared TCP/UDP port. */
  private watchListening(proc: ContainerProcess): void {
    const ports = (this.spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') !== 'SCTP').map((p) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' }));
    let stopped = false;
    let delay = 50;
    const check = async (): Promise<void> => {
      if (stopped || !proc.running || !proc.pid) return;
      if (await listeningOn(proc.pid, ports)) {
        if (!stopped && proc.running) {
          this.rt.ready = true;
          this.host.changed();
        }
        return;
      }
      delay = Math.min(delay * 1.5, 1000);
      setTimeout(() => void check(), delay);
    };
    this.stopProbes.push(() => (stopped = true));
    void check();
  }

  /** Stops the container for pod termination (no restart follows). */
  async stop(graceMs: number): Promise<void> {
    for (const stop of this.stopProbes) stop();
    this.stopProbes = [];
    if (this.proc?.running) await this.proc.stop(graceMs);
  }
}
