// One pod on a lab node, from binding to deletion: sandbox (netns + CNI), volumes,
// init containers then containers with restarts, status written back, and termination
// (SIGTERM, grace period, SIGKILL, CNI DEL, netns and cgroup removal, final delete).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KubeError } from '../lib/kube';
import { cgroupMkdir } from '../lib/nodens';
import { removePodIndex, writePodRecord, type PodRecord } from '../lib/state';
import { ContainerSlot } from './container-slot';
import { removeCgroup } from './containers';
import type { NodeContext } from './context';
import type { RuntimeFields } from './env';
import { materializeVolumes } from './pod-volumes';
import { createSandbox, destroySandbox, type SandboxNetwork } from './sandbox';
import { reducePodStatus, sameStatus, type PodRuntime } from './status';
import type { Pod, PodStatus } from './types';

export class PodWorker {
  private pod: Pod;
  readonly dir: string;
  readonly cgroup: string;
  private sandbox?: SandboxNetwork;
  private sandboxFailures = 0;
  private nextSandboxAt = 0;
  private volumesReady = false;
  private volumeFailures = 0;
  private nextVolumesAt = 0;
  private readonly initSlots: ContainerSlot[];
  private readonly slots: ContainerSlot[];
  private startTime?: string;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private terminating = false;
  private finished = false;
  private timer?: NodeJS.Timeout;
  private timerAt = 0;
  private tokenTimer?: NodeJS.Timeout;
  private lastStatus?: PodStatus;
  /** IPs of a sandbox already released (finished pods keep reporting them). */
  private releasedIPs: string[] = [];

  constructor(
    private readonly ctx: NodeContext,
    pod: Pod,
    private readonly onDone: (uid: string) => void,
  ) {
    this.pod = pod;
    this.dir = join(ctx.node.stateDir, 'pods', pod.metadata.uid);
    this.cgroup = join(ctx.node.cgroup, 'pods', `pod${pod.metadata.uid}`);
    const host = {
      ctx,
      pod: () => this.pod,
      podDir: this.dir,
      podCgroup: this.cgroup,
      netns: () => this.netns(),
      runtimeFields: () => this.runtimeFields(),
      changed: () => {
        // Keeps the record's pids current for exec from other processes.
        this.saveRecord();
        this.kick();
      },
      started: () => this.saveRecord(),
    };
    this.initSlots = (pod.spec.initContainers ?? []).map((c) => new ContainerSlot(c, true, host));
    this.slots = pod.spec.containers.map((c) => new ContainerSlot(c, false, host));
  }

  get uid(): string {
    return this.pod.metadata.uid;
  }

  private get name(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private netns(): string {
    return this.pod.spec.hostNetwork ? this.ctx.node.netns : this.sandbox!.netns;
  }

  private podIPs(): string[] {
    if (this.pod.spec.hostNetwork) return [this.ctx.node.ip];
    return this.sandbox?.podIPs ?? this.releasedIPs;
  }

  private runtimeFields(): RuntimeFields {
    const ips = this.podIPs();
    return { podIP: ips[0], podIPs: ips, hostIP: this.ctx.node.ip, nodeAllocatable: this.ctx.allocatable };
  }

  /** A newer version of the pod object arrived from the watch. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) this.beginTermination(true);
    else this.kick();
  }

  /** Serialises syncs: at most one runs, and one more is queued if something changed meanwhile. */
  kick(): void {
    if (this.queued || this.finished) return;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      if (this.terminating || this.finished) return;
      try {
        await this.sync();
      } catch (e) {
        this.ctx.log(`pod ${this.name}: sync failed: ${(e as Error).message}`);
        this.retryIn(2000);
      }
    });
  }

  /** Wakes the worker at `at`, unless an earlier wake-up is already pending. */
  private retryAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, Math.max(0, at - Date.now()));
  }

  private retryIn(ms: number): void {
    this.retryAt(Date.now() + ms);
  }

  private saveRecord(): void {
    if (this.finished || this.terminating) return;
    const rec: PodRecord = {
      namespace: this.pod.metadata.namespace,
      name: this.pod.metadata.name,
      uid: this.uid,
      node: this.ctx.node.name,
      hostNetwork: !!this.pod.spec.hostNetwork,
      netns: this.pod.spec.hostNetwork ? this.ctx.node.netns : this.sandbox?.netns ?? '',
      podIPs: this.podIPs(),
      cgroup: this.cgroup,
      dir: this.dir,
      containers: Object.fromEntries([...this.initSlots, ...this.slots].filter((s) => s.logFile).map((s) => [s.spec.name, {
        ...(s.proc?.running && s.proc.pid ? { pid: s.proc.pid } : {}),
        cgroup: s.cgroup,
        logFile: s.logFile,
        restartCount: s.rt.restartCount,
        env: s.env,
      }])),
      ...(this.sandbox ? { cni: this.sandbox.cni } : {}),
    };
    writePodRecord(this.ctx.instance, rec);
  }

  private async sync(): Promise<void> {
    const now = Date.now();
    const phase = this.lastStatus?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // A finished pod keeps its status but gives back its network and cgroup.
      await this.releaseResources();
      return;
    }
    if (!this.sandbox && !this.pod.spec.hostNetwork) {
      if (now < this.nextSandboxAt) return this.retryAt(this.nextSandboxAt);
      mkdirSync(this.dir, { recursive: true });
      cgroupMkdir(this.cgroup);
      try {
        this.sandbox = await createSandbox(this.ctx.instance, this.ctx.node, this.pod.metadata);
        this.sandboxFailures = 0;
      } catch (e) {
        this.sandboxFailures++;
        this.nextSandboxAt = Date.now() + Math.min(1000 * 2 ** (this.sandboxFailures - 1), 30_000);
        this.ctx.events.record(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        await this.writeStatus();
        return this.retryAt(this.nextSandboxAt);
      }
      this.saveRecord();
    }
    if (this.pod.spec.hostNetwork) {
      mkdirSync(this.dir, { recursive: true });
      cgroupMkdir(this.cgroup);
    }
    this.startTime ??= new Date().toISOString();
    if (!this.volumesReady) {
      if (now < this.nextVolumesAt) return this.retryAt(this.nextVolumesAt);
      try {
        const res = await materializeVolumes(this.ctx.client, this.pod, this.dir, this.runtimeFields());
        this.volumesReady = true;
        this.volumeFailures = 0;
        if (res.refreshAt) this.scheduleTokenRefresh(res.refreshAt);
      } catch (e) {
        this.volumeFailures++;
        this.nextVolumesAt = Date.now() + Math.min(500 * 2 ** (this.volumeFailures - 1), 30_000);
        this.ctx.events.record(this.pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${(e as Error).message}`);
        await this.writeStatus();
        return this.retryAt(this.nextVolumesAt);
      }
    }
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    let wakeAt = Infinity;
    // Init containers run one after another; each must succeed before the next starts.
    for (const slot of this.initSlots) {
      const sidecar = slot.spec.restartPolicy === 'Always';
      const st = slot.rt.state;
      if (sidecar) {
        if (!slot.running) wakeAt = Math.min(wakeAt, await this.startOrRestart(slot, 'Always'));
        if (!slot.rt.started) {
          await this.writeStatus();
          return wakeAt < Infinity ? this.retryAt(wakeAt) : undefined;
        }
        continue;
      }
      if (st.kind === 'terminated' && st.exitCode === 0) continue;
      if (!slot.running) {
        if (st.kind === 'terminated' && policy === 'Never') break;
        wakeAt = Math.min(wakeAt, await this.startOrRestart(slot, policy === 'Never' ? 'Never' : 'OnFailure'));
      }
      await this.writeStatus();
      return wakeAt < Infinity ? this.retryAt(wakeAt) : undefined;
    }
    for (const slot of this.slots) {
      if (slot.running) continue;
      wakeAt = Math.min(wakeAt, await this.startOrRestart(slot, policy));
    }
    await this.writeStatus();
    if (wakeAt < Infinity) this.retryAt(wakeAt);
  }

  /** Starts a container that has not run, or restarts one per the policy. Returns when to look again. */
  private async startOrRestart(slot: ContainerSlot, policy: 'Always' | 'OnFailure' | 'Never'): Promise<number> {
    const st = slot.rt.state;
    if (st.kind === 'terminated') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
      if (!restart) return Infinity;
      slot.scheduleRestart();
    }
    if (Date.now() < slot.nextStartAt) {
      slot.backingOff();
      return slot.nextCheckAt();
    }
    const ok = await slot.start();
    return ok ? Infinity : slot.nextCheckAt();
  }

  private scheduleTokenRefresh(at: number): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.tokenTimer = setTimeout(() => {
      if (this.terminating || this.finished) return;
      materializeVolumes(this.ctx.client, this.pod, this.dir, this.runtimeFields()).then(
        (res) => res.refreshAt && this.scheduleTokenRefresh(res.refreshAt),
        (e: Error) => {
          this.ctx.log(`pod ${this.name}: token refresh failed: ${e.message}`);
          this.scheduleTokenRefresh(Date.now() + 10_000);
        },
      );
    }, Math.max(1000, at - Date.now()));
  }

  private podRuntime(): PodRuntime {
    return {
      sandboxReady: this.pod.spec.hostNetwork ? true : !!this.sandbox,
      podIPs: this.podIPs(),
      hostIP: this.ctx.node.ip,
      initContainers: this.initSlots.map((s) => s.rt),
      containers: this.slots.map((s) => s.rt),
      ...(this.startTime ? { startTime: this.startTime } : {}),
    };
  }

  private async writeStatus(): Promise<void> {
    if (this.finished) return;
    const status = reducePodStatus(this.pod, this.podRuntime(), new Date().toISOString());
    if (this.lastStatus && sameStatus(this.lastStatus, status)) return;
    const { namespace, name, uid } = this.pod.metadata;
    try {
      await this.ctx.client.mergePatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, { metadata: { uid }, status });
      this.lastStatus = status;
      const phase = status.phase;
      if ((phase === 'Succeeded' || phase === 'Failed') && !this.terminating) this.kick();
    } catch (e) {
      if (e instanceof KubeError && (e.status === 404 || e.status === 409)) return;
      throw new Error(`writing status of pod ${this.name} failed`, { cause: e });
    }
  }

  private async releaseResources(): Promise<void> {
    if (this.sandbox) {
      const errors = await destroySandbox(this.ctx.node, this.pod.metadata, this.sandbox);
      for (const err of errors) this.ctx.events.record(this.pod, 'Warning', 'FailedKillPod', `error killing pod: failed to destroy network for sandbox: ${err}`);
      // The pod keeps reporting its IP; only the sandbox is gone.
      this.releasedIPs = this.sandbox.podIPs;
      this.sandbox = undefined;
    }
    await removeCgroup(this.cgroup).catch((e: Error) => this.ctx.log(`pod ${this.name}: ${e.message}`));
  }

  beginTermination(deleteObject: boolean): void {
    if (this.terminating) return;
    this.terminating = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.chain = this.chain.then(() => this.terminate(deleteObject)).catch((e: Error) => this.ctx.log(`pod ${this.name}: termination failed: ${e.message}`));
  }

  /** For lab stop: kill everything now, no API calls. */
  async kill(): Promise<void> {
    this.finished = true;
    this.terminating = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    await Promise.all([...this.initSlots, ...this.slots].map((s) => s.stop(0)));
  }

  private async terminate(deleteObject: boolean): Promise<void> {
    const grace = (this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const all = [...this.initSlots, ...this.slots];
    for (const s of all) {
      if (s.running) this.ctx.events.record(this.pod, 'Normal', 'Killing', `Stopping container ${s.spec.name}`, `spec.containers{${s.spec.name}}`);
    }
    await Promise.all(all.map((s) => s.stop(grace)));
    await this.releaseResources();
    if (deleteObject) {
      await this.writeStatus().catch(() => undefined);
      const { namespace, name, uid } = this.pod.metadata;
      try {
        // As a kubelet finalises: delete with grace 0, only this incarnation (uid precondition).
        await this.ctx.client.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (e) {
        if (!(e instanceof KubeError && (e.status === 404 || e.status === 409))) this.ctx.log(`pod ${this.name}: final delete failed: ${(e as Error).message}`);
      }
    }
    this.finished = true;
    this.ctx.events.forget(this.uid);
    removePodIndex(this.ctx.instance, this.pod.metadata);
    rmSync(this.dir, { recursive: true, force: true });
    this.onDone(this.uid);
  }
}
