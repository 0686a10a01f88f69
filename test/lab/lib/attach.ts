// A handle on a running lab usable from any process (test workers, the CLI): everything
// comes from the state files under /run/lumen-lab/<N>/, nothing from the owner's memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubeClient } from './kube';
import { issueCert, writeKubeconfig } from './pki';
import { nsArgv, run, type RunResult } from './proc';
import { readLabInfo, readPodRecord, type LabInfo, type LabNodeInfo, type PodRecord } from './state';
import { checkSandbox } from '../kubelet/sandbox';
import { containerLogFile } from '../kubelet/logs';
import { labPlan } from './layout';

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface PodExecOptions extends ExecOptions {
  /** Container name; the first container that is running by default. */
  container?: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class LabHandle {
  constructor(readonly info: LabInfo) {}

  /** Attaches to running lab instance N (default: $LUMEN_LAB_INSTANCE or 0). */
  static attach(instance = Number(process.env.LUMEN_LAB_INSTANCE ?? 0)): LabHandle {
    return new LabHandle(readLabInfo(instance));
  }

  get instance(): number {
    return this.info.instance;
  }
  get kubeconfig(): string {
    return this.info.kubeconfig;
  }
  get apiServer(): string {
    return this.info.apiServer;
  }
  get nodes(): LabNodeInfo[] {
    return this.info.nodes;
  }
  get serviceCIDR(): string {
    return this.info.serviceCIDR;
  }
  get clusterCIDR(): string {
    return this.info.clusterCIDR;
  }

  node(name: string): LabNodeInfo {
    const n = this.info.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`lab ${this.instance} has no node "${name}" (nodes: ${this.info.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  /** A client with the admin identity (system:masters). Close it when done. */
  client(): KubeClient {
    return KubeClient.fromKubeconfig(this.kubeconfig);
  }

  private nodeArgv(node: string, argv: string[]): string[] {
    const n = this.node(node);
    return nsArgv({ netns: n.netns, mntns: n.mntns, cgroup: join(n.cgroup, 'system') }, argv);
  }

  /** Runs argv on a node (its netns, mount namespace and cgroup). Never throws on a non-zero exit. */
  exec(node: string, argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    return run(this.nodeArgv(node, argv), { allowFail: true, env: { PATH: `${this.info.binDir}:${DEFAULT_PATH}`, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  }

  spawnNode(node: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
    const [file, ...args] = this.nodeArgv(node, argv);
    return spawn(file!, args, { env: { PATH: `${this.info.binDir}:${DEFAULT_PATH}`, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  podRecord(namespace: string, pod: string): PodRecord {
    return readPodRecord(this.instance, namespace, pod);
  }

  private podTarget(namespace: string, pod: string, container?: string): { argvFor: (argv: string[]) => string[]; env: Record<string, string> } {
    const rec = this.podRecord(namespace, pod);
    const names = Object.keys(rec.containers);
    const name = container ?? names.find((n) => rec.containers[n]!.pid) ?? names[0];
    const c = name ? rec.containers[name] : undefined;
    if (!c) throw new Error(`pod ${namespace}/${pod} has no container ${container ? `"${container}"` : ''} started yet (containers: ${names.join(', ') || 'none'})`);
    if (!c.pid || !existsSync(`/proc/${c.pid}`)) throw new Error(`container ${name} of pod ${namespace}/${pod} is not running (restarts: ${c.restartCount})`);
    return { argvFor: (argv) => nsArgv({ pid: c.pid!, cgroup: c.cgroup }, argv), env: c.env };
  }

  /** Runs argv inside a pod's container (its netns, mount namespace with volumes, cgroup, env). */
  execPod(namespace: string, pod: string, argv: string[], opts: PodExecOptions = {}): Promise<RunResult> {
    const t = this.podTarget(namespace, pod, opts.container);
    return run(t.argvFor(argv), { allowFail: true, env: { ...t.env, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  }

  spawnPod(namespace: string, pod: string, argv: string[], opts: { container?: string; env?: Record<string, string> } = {}): ChildProcess {
    const t = this.podTarget(namespace, pod, opts.container);
    const [file, ...args] = t.argvFor(argv);
    return spawn(file!, args, { env: { ...t.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** A container's log (stdout+stderr) of its current run, or of the previous one. */
  logs(namespace: string, pod: string, container?: string, opts: { previous?: boolean } = {}): string {
    const log = containerLogFile(this.instance, namespace, pod, container ?? Object.keys(this.podRecord(namespace, pod).containers)[0], opts.previous);
    return log.exists ? readFileSync(log.file, 'utf8') : '';
  }

  /** CNI CHECK for a pod, with the config and result cached at ADD (as a runtime does). */
  async checkPodNetwork(namespace: string, pod: string): Promise<void> {
    const rec = this.podRecord(namespace, pod);
    if (!rec.cni) throw new Error(`pod ${namespace}/${pod} has no CNI network (hostNetwork: ${rec.hostNetwork})`);
    const plan = labPlan(this.instance, this.info.nodes.length).nodes.find((n) => n.name === rec.node);
    if (!plan) throw new Error(`pod ${namespace}/${pod} is on unknown node ${rec.node}`);
    await checkSandbox(plan, rec, { netns: rec.netns, cni: rec.cni });
  }

  /** Writes a kubeconfig for another identity (client cert from the lab CA) and returns its path. */
  async userKubeconfig(user: string, groups: string[] = []): Promise<string> {
    const safe = user.replace(/[^\w.-]/g, '_');
    const cert = await issueCert(this.info.pkiDir, { name: `user-${safe}`, cn: user, orgs: groups, usage: 'client' });
    const dir = join(dirname(this.kubeconfig), 'users');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${safe}.kubeconfig`);
    writeKubeconfig(path, { server: this.apiServer, caPem: readFileSync(join(this.info.pkiDir, 'ca.crt'), 'utf8'), certPem: cert.cert, keyPem: cert.key, user, cluster: `lumen-lab${this.instance}` });
    return path;
  }

  async stop(): Promise<void> {
    throw new Error(`lab ${this.instance} is owned by process ${this.info.ownerPid}; only that process can stop it (or run \`npm run lab -- --down --instance ${this.instance}\` once it is gone)`);
  }
}
