// Starts the lab's control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler) as child processes in the lab's cgroup, with logs in the lab folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ControlPlane } from '../build';
import { cgroupMkdir } from './nodens';
import { KubeClient } from './kube';
import type { LabPlan } from './layout';
import { issueCert, writeKubeconfig } from './pki';
import { settlesWithin, sleep, type Log } from './proc';

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
}

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** etcd on free loopback ports; the apiserver on 6443 of the bridge address unless taken. */
export async function pickPorts(plan: LabPlan): Promise<Ports> {
  const etcdClient = await freePort('127.0.0.1');
  let etcdPeer = await freePort('127.0.0.1');
  while (etcdPeer === etcdClient) etcdPeer = await freePort('127.0.0.1');
  const apiserver = (await portFree(plan.bridgeIp, 6443)) ? 6443 : await freePort(plan.bridgeIp);
  return { etcdClient, etcdPeer, apiserver };
}

const MAX_RESTARTS = 5;

/**
 * A control-plane process in the lab cgroup (so `cgroup.kill` removes it even when this
 * process crashes), logging to its file. If it dies while the lab runs it is restarted
 * with back-off, like a static pod; a start-up race with the apiserver heals the same way.
 */
export class Component {
  child!: ChildProcess;
  exited!: Promise<number | null>;
  restarts = 0;
  stopping = false;
  readonly logFile: string;

  constructor(
    private readonly plan: LabPlan,
    readonly name: string,
    private readonly argv: string[],
    private readonly log: Log,
  ) {
    mkdirSync(plan.logDir, { recursive: true });
    this.logFile = join(plan.logDir, `${name}.log`);
    writeFileSync(this.logFile, '');
    this.spawn();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private spawn(): void {
    const fd = openSync(this.logFile, 'a');
    const cg = join(this.plan.cgroup, 'control-plane');
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, ...this.argv], { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    if (child.pid) writeFileSync(join(this.plan.stateDir, 'pids', `${this.name}.pid`), `${child.pid}\n`);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve(code ?? (signal ? -1 : null));
        if (this.stopping) return;
        if (this.restarts >= MAX_RESTARTS) {
          this.log(`${this.name} exited (code ${code ?? signal}) and was restarted ${MAX_RESTARTS} times already; giving up. Last log lines:\n${logTail(this.logFile)}`);
          return;
        }
        const delay = 500 * 2 ** this.restarts++;
        this.log(`${this.name} exited (code ${code ?? signal}); restarting in ${delay} ms. Last log lines:\n${logTail(this.logFile, 5)}`);
        setTimeout(() => {
          if (!this.stopping) this.spawn();
        }, delay).unref();
      });
    });
    child.on('error', (e) => this.log(`${this.name}: cannot start: ${e.message}`));
  }

  /** SIGTERM, SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    if (!(await settlesWithin(this.exited, graceMs))) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface ControlPlaneHandle {
  ports: Ports;
  components: Component[];
  apiServer: string;
}

/** Issues the control-plane identities and kubeconfigs (admin, controller-manager, scheduler). */
export async function issueControlPlaneCerts(plan: LabPlan, apiServer: string): Promise<void> {
  const pki = plan.pkiDir;
  const caPem = readFileSync(join(pki, 'ca.crt'), 'utf8');
  const kubeconfig = async (file: string, name: string, cn: string, orgs: string[]): Promise<void> => {
    const c = await issueCert(pki, { name, cn, orgs, usage: 'client' });
    writeKubeconfig(file, { server: apiServer, caPem, certPem: c.cert, keyPem: c.key, user: cn, cluster: `lumen-lab${plan.instance}` });
  };
  mkdirSync(plan.labDir, { recursive: true });
  await Promise.all([
    issueCert(pki, {
      name: 'apiserver',
      cn: 'kube-apiserver',
      usage: 'server',
      ips: [plan.bridgeIp, plan.kubernetesServiceIP, '127.0.0.1'],
      dnsNames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
    }),
    issueCert(pki, { name: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', orgs: ['kubeadm:cluster-admins'], usage: 'client' }),
    kubeconfig(plan.kubeconfig, 'admin', 'lab-admin', ['system:masters']),
    kubeconfig(join(pki, 'controller-manager.kubeconfig'), 'controller-manager', 'system:kube-controller-manager', []),
    kubeconfig(join(pki, 'scheduler.kubeconfig'), 'scheduler', 'system:kube-scheduler', []),
  ]);
}

/** Starts etcd and the apiserver, waits for /readyz, then starts the controller-manager and scheduler. */
export async function startControlPlane(plan: LabPlan, cp: ControlPlane, ports: Ports, log: Log): Promise<ControlPlaneHandle> {
  const pki = plan.pkiDir;
  const apiServer = `https://${plan.bridgeIp}:${ports.apiserver}`;
  const handle: ControlPlaneHandle = { ports, components: [], apiServer };
  mkdirSync(join(plan.stateDir, 'pids'), { recursive: true });
  cgroupMkdir(join(plan.cgroup, 'control-plane'));
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcd = new Component(plan, 'etcd', [
    cp.bin.etcd,
    '--name=lab', `--data-dir=${plan.etcdDataDir}`,
    `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=lab=${peerUrl}`, '--initial-cluster-state=new',
    // The lab's etcd is thrown away on stop; durability buys nothing and costs start time.
    '--unsafe-no-fsync', '--log-level=warn',
  ], log);
  handle.components.push(etcd);

  const apiserver = new Component(plan, 'kube-apiserver', [
    cp.bin['kube-apiserver'],
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${plan.bridgeIp}`, `--advertise-address=${plan.bridgeIp}`, `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--client-ca-file=${join(pki, 'ca.crt')}`,
    `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`, `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
    // Nodes also list their name as a Hostname address, which nothing resolves.
    '--kubelet-preferred-address-types=InternalIP',
    `--service-cluster-ip-range=${plan.serviceCIDR}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    '--profiling=false',
    '--endpoint-reconciler-type=lease',
  ], log);
  handle.components.push(apiserver);

  // The controller-manager and scheduler start once the apiserver is ready (RBAC bootstrap
  // done), so their first requests are not refused.
  const startControllers = (): void => {
    handle.components.push(new Component(plan, 'kube-controller-manager', [
      cp.bin['kube-controller-manager'],
      `--kubeconfig=${join(pki, 'controller-manager.kubeconfig')}`,
      '--leader-elect=false', '--secure-port=0',
      '--allocate-node-cidrs=true', `--cluster-cidr=${plan.clusterCIDR}`, '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${plan.serviceCIDR}`,
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--cluster-signing-cert-file=${join(pki, 'ca.crt')}`, `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
      '--use-service-account-credentials=true',
      `--cluster-name=lumen-lab${plan.instance}`,
      '--controllers=*',
      // Client-side rate limits (20 QPS by default) are what make start-up slow: every
      // controller first creates its service account and token.
      '--kube-api-qps=200', '--kube-api-burst=400',
    ], log));
    handle.components.push(new Component(plan, 'kube-scheduler', [
      cp.bin['kube-scheduler'],
      `--kubeconfig=${join(pki, 'scheduler.kubeconfig')}`,
      '--leader-elect=false', '--secure-port=0',
      '--kube-api-qps=200', '--kube-api-burst=400',
    ], log));
  };
  const admin = KubeClient.fromKubeconfig(plan.kubeconfig);
  try {
    const t0 = Date.now();
    for (;;) {
      const dead = handle.components.find((c) => c.restarts >= 2);
      if (dead) throw new Error(`${dead.name} keeps exiting during start; see ${dead.logFile}:\n${logTail(dead.logFile)}`);
      try {
        const body = await admin.request<string>('GET', '/readyz', undefined, { timeoutMs: 2000 });
        if (String(body).trim() === 'ok') break;
      } catch {
        // Not listening or not ready yet.
      }
      if (Date.now() - t0 > 120_000) throw new Error(`kube-apiserver not ready after 120 s; see ${apiserver.logFile}:\n${logTail(apiserver.logFile)}`);
      await sleep(150);
    }
    log(`kube-apiserver ready at ${apiServer} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } finally {
    admin.close();
  }
  startControllers();
  return handle;
}

/** Stops the components in reverse start order (scheduler and controller-manager together). */
export async function stopControlPlane(handle: ControlPlaneHandle, graceMs = 5000): Promise<void> {
  for (const c of handle.components) c.stopping = true;
  const [etcd, apiserver, ...controllers] = handle.components;
  await Promise.all(controllers.map((c) => c.stop(graceMs)));
  await apiserver?.stop(graceMs);
  await etcd?.stop(graceMs);
}
