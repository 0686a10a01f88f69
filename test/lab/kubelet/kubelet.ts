// A lab kubelet: registers its Node, renews its Lease, waits for its pod CIDR (then
// sets up the node's pod network and reports Ready), and runs the pods bound to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeError, type KubeClient, type KubeObject } from '../lib/kube';
import { nsArgv, tagged, type Log } from '../lib/proc';
import type { NodePlan } from '../lib/layout';
import { labPtpConflist } from './cni';
import type { NodeContext } from './context';
import { EventRecorder } from './events';
import { KubeletApi } from './kubelet-api';
import type { ImageContext } from './images';
import { KUBELET_PORT, machineFacts, nodeObject, nodeStatus, type NodeCondition, type NodeFacts } from './node-object';
import { PodWorker } from './pod-worker';
import { NodeProber } from './probes';
import type { Pod } from './types';

export interface KubeletOptions {
  instance: number;
  node: NodePlan;
  client: KubeClient;
  log: Log;
  images: ImageContext;
  /** Lab ranges the fallback CNI config routes to (cluster CIDR, service CIDR, node subnet). */
  podRoutes: string[];
  /** Called once with the node's pod CIDR; installs routes between nodes and from the host. */
  onPodCIDR: (node: NodePlan, podCIDR: string) => Promise<void>;
  kubernetesService: () => { ip: string; port: number } | undefined;
  /** The kubelet API (container logs for the API server): node certificate and the lab CA. */
  api?: { certFile: string; keyFile: string; caFile: string };
}


const LEASE_SECONDS = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_REPORT_MS = 60_000;

export class Kubelet {
  readonly name: string;
  podCIDR?: string;
  private readonly log: Log;
  private readonly abort = new AbortController();
  private readonly workers = new Map<string, PodWorker>();
  private readonly ctx: NodeContext;
  private readonly facts: NodeFacts;
  private ready = false;
  private conditions?: NodeCondition[];
  private timers: NodeJS.Timeout[] = [];
  private readyWaiters: Array<(e?: Error) => void> = [];
  private readonly prober: NodeProber;
  private api: KubeletApi | undefined;
  private port: { child: ChildProcess; exited: Promise<void> } | undefined;

  constructor(private readonly opts: KubeletOptions) {
    this.name = opts.node.name;
    this.log = tagged(opts.log, `kubelet/${this.name}`);
    this.facts = machineFacts();
    this.prober = new NodeProber(
      nsArgv({ netns: opts.node.netns, mntns: opts.node.mntns, cgroup: join(opts.node.cgroup, 'system') }, [join(opts.images.binDir, 'prober')]),
      this.log,
    );
    const capacity = nodeStatus({ name: this.name, ip: opts.node.ip, instance: opts.instance }, this.facts, { ok: false, message: '' }, '').allocatable as Record<string, string>;
    this.ctx = {
      instance: opts.instance,
      node: opts.node,
      client: opts.client,
      log: this.log,
      events: new EventRecorder(opts.client, this.name, this.log),
      prober: this.prober,
      images: opts.images,
      allocatable: { cpu: capacity.cpu!, memory: capacity.memory!, 'ephemeral-storage': capacity['ephemeral-storage']! },
      kubernetesService: opts.kubernetesService,
    };
  }

  private get id(): { name: string; ip: string; instance: number } {
    return { name: this.name, ip: this.opts.node.ip, instance: this.opts.instance };
  }

  async start(): Promise<void> {
    const { client } = this.opts;
    const now = new Date().toISOString();
    try {
      await client.create('/api/v1/nodes', nodeObject(this.id, this.facts, now));
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 409)) throw new Error(`registering node ${this.name} failed`, { cause: e });
    }
    if (this.opts.api) await this.startApi(this.opts.api);
    await this.reportStatus();
    await this.renewLease();
    this.timers.push(setInterval(() => void this.renewLease(), LEASE_RENEW_MS));
    this.timers.push(setInterval(() => void this.reportStatus(), STATUS_REPORT_MS));
    const signal = this.abort.signal;
    void client.listWatch<KubeObject>('/api/v1/nodes', {
      query: { fieldSelector: `metadata.name=${this.name}` },
      signal,
      onEvent: (ev) => this.onNode(ev.object as { spec?: { podCIDR?: string } } & KubeObject),
      onError: (e) => this.log(`node watch: ${(e as Error).message}`),
    });
    void client.listWatch<Pod & KubeObject>('/api/v1/pods', {
      query: { fieldSelector: `spec.nodeName=${this.name}` },
      signal,
      onEvent: (ev) => this.onPod(ev.type, ev.object as Pod),
      onSync: (items) => {
        const live = new Set(items.map((p) => p.metadata.uid));
        for (const [uid, w] of this.workers) if (!live.has(uid)) w.beginTermination(false);
      },
      onError: (e) => this.log(`pod watch: ${(e as Error).message}`),
    });
  }

  /** Serves the kubelet API on a unix socket and relays <node ip>:10250 to it from the node's netns. */
  private async startApi(tls: NonNullable<KubeletOptions['api']>): Promise<void> {
    const socketPath = join(this.opts.node.stateDir, 'kubelet.sock');
    this.api = new KubeletApi({ instance: this.opts.instance, socketPath, ...tls });
    await this.api.start();
    const [file, ...args] = nsArgv({ netns: this.opts.node.netns, cgroup: join(this.opts.node.cgroup, 'system') },
      [join(this.opts.images.binDir, 'kubelet-port'), this.opts.node.ip, String(KUBELET_PORT), socketPath]);
    const port = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.port = { child: port, exited: new Promise((resolve) => port.once('exit', () => resolve())) };
    let stderr = '';
    port.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    port.stdin!.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      port.stdout!.once('data', () => resolve());
      port.once('exit', (code) => reject(new Error(`kubelet API port ${this.opts.node.ip}:${KUBELET_PORT} on ${this.name} exited (${code}): ${stderr.trim()}`)));
    });
    port.on('exit', (code) => {
      if (!this.abort.signal.aborted) this.log(`kubelet API port exited (${code}): ${stderr.trim()}; pods/log through the API server stops working`);
    });
  }

  /** Resolves once the node reported Ready (pod network set up). */
  waitReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push((e) => (e ? reject(e) : resolve())));
  }

  private async onNode(node: { spec?: { podCIDR?: string } } & KubeObject): Promise<void> {
    const cidr = node.spec?.podCIDR;
    if (!cidr || this.podCIDR) return;
    this.podCIDR = cidr;
    try {
      writeFileSync(join(this.opts.node.root, 'etc/cni/net.d', '10-lab-ptp.conflist'), `${JSON.stringify(labPtpConflist(cidr, this.opts.podRoutes), null, 2)}\n`);
      await this.opts.onPodCIDR(this.opts.node, cidr);
      this.ready = true;
      await this.reportStatus();
      this.log(`pod CIDR ${cidr}; pod network ready (lab-ptp), node Ready`);
      for (const w of this.readyWaiters.splice(0)) w();
    } catch (e) {
      const err = new Error(`setting up the pod network of ${this.name} (pod CIDR ${cidr}) failed`, { cause: e });
      for (const w of this.readyWaiters.splice(0)) w(err);
    }
  }

  private onPod(type: string, pod: Pod): void {
    const uid = pod.metadata.uid;
    let worker = this.workers.get(uid);
    if (type === 'DELETED') {
      worker?.beginTermination(false);
      return;
    }
    if (!worker) {
      // A pod already being deleted that never ran here only needs its object finalised.
      worker = new PodWorker(this.ctx, pod, (done) => this.workers.delete(done));
      this.workers.set(uid, worker);
    }
    worker.update(pod);
  }

  private async renewLease(): Promise<void> {
    const { client } = this.opts;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`;
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    try {
      try {
        await client.mergePatch(path, { spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime } });
      } catch (e) {
        if (!(e instanceof KubeError && e.status === 404)) throw e;
        const node = await client.get<KubeObject>(`/api/v1/nodes/${this.name}`);
        await client.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.name,
            namespace: 'kube-node-lease',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: node.metadata.uid }],
          },
          spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime },
        });
      }
    } catch (e) {
      if (!this.abort.signal.aborted) this.log(`lease renewal failed: ${(e as Error).message}`);
    }
  }

  private async reportStatus(): Promise<void> {
    const status = nodeStatus(this.id, this.facts, this.ready
      ? { ok: true, message: 'kubelet is posting ready status' }
      : { ok: false, message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:waiting for the node pod CIDR' },
    new Date().toISOString(), this.conditions);
    this.conditions = status.conditions as NodeCondition[];
    try {
      await this.opts.client.strategicPatch(`/api/v1/nodes/${this.name}/status`, { status });
    } catch (e) {
      if (!this.abort.signal.aborted) this.log(`node status update failed: ${(e as Error).message}`);
    }
  }

  /** Stops watching and kills every pod of the node at once (lab teardown; the cluster goes away too). */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearInterval(t);
    for (const w of this.readyWaiters.splice(0)) w(new Error(`kubelet ${this.name} stopped`));
    await Promise.all([...this.workers.values()].map((w) => w.kill()));
    this.prober.stop();
    if (this.port) {
      // Already gone when a Ctrl+C reached the whole process group first.
      this.port.child.stdin!.end();
      this.port.child.kill('SIGTERM');
      await this.port.exited;
    }
    await this.api?.stop();
  }
}
