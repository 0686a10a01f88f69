// startLab: claims a lab instance, brings up the host network, PKI, control plane and
// node namespaces, runs a kubelet per node until every node is Ready, and tears it all
// down on stop() (or on process exit).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureControlPlane, type ControlPlane } from '../build';
import { Kubelet } from '../kubelet/kubelet';
import { bundlePrograms } from '../programs/bundle';
import { LabHandle } from './attach';
import { issueControlPlaneCerts, pickPorts, startControlPlane, stopControlPlane, type ControlPlaneHandle } from './controlplane';
import { downLabSync, ownerPid, pidAlive, labInstances } from './down';
import { addHostPodRoute, hostIpForward, setupHostNetwork } from './hostnet';
import { KubeClient } from './kube';
import { labPlan, MAX_INSTANCE, REPO_ROOT, STATE_ROOT, checkInstance, type LabPlan, type NodePlan } from './layout';
import { addNodePodRoute, createNode, prepareStateDir } from './nodens';
import { createAuthorities, issueCert } from './pki';
import { consoleLog, run, sleep, tagged, waitFor, type Log } from './proc';
import { labInfoPath, writeJsonAtomic, type LabInfo } from './state';

export interface StartLabOptions {
  nodes?: number;
  instance?: number;
  log?: Log;
  /** Time allowed for every node to become Ready once the apiserver is up. */
  readyTimeoutMs?: number;
  /** Binaries already found by ensureControlPlane() (otherwise startLab finds or builds them). */
  controlPlane?: ControlPlane;
}

const CNI_PLUGINS = ['ptp', 'host-local', 'loopback'];
const CNI_SOURCE = '/usr/lib/cni';

/** Checks what the lab needs from the machine, naming the missing piece and its fix. */
export async function preflight(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the lab needs Linux (network namespaces, cgroup v2, bpffs)');
  if (process.getuid?.() !== 0) throw new Error('the lab needs root: it creates network and mount namespaces, cgroups, a bridge and iptables rules (run as root)');
  const tools: Array<[string, string]> = [
    ['ip', 'iproute2'], ['iptables', 'iptables'], ['nsenter', 'util-linux'], ['unshare', 'util-linux'], ['mount', 'mount'],
    ['mountpoint', 'util-linux'], ['openssl', 'openssl'], ['sysctl', 'procps'],
  ];
  for (const [tool, pkg] of tools) {
    if ((await run(['sh', '-c', `command -v ${tool}`], { allowFail: true })).code !== 0) throw new Error(`the lab needs \`${tool}\`: apt-get install ${pkg}`);
  }
  for (const p of CNI_PLUGINS) {
    if (!existsSync(join(CNI_SOURCE, p))) throw new Error(`the lab needs the CNI plugin ${join(CNI_SOURCE, p)}: apt-get install containernetworking-plugins`);
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  if (!/ cgroup2 /.test(mounts)) throw new Error('the lab needs the cgroup-v2 hierarchy mounted (at /sys/fs/cgroup or /sys/fs/cgroup/unified)');
}

/** Claims the given instance, or the lowest free one; leftovers of dead owners are cleaned first. */
export async function claimInstance(requested: number | undefined, log: Log): Promise<number> {
  mkdirSync(STATE_ROOT, { recursive: true });
  const candidates = requested !== undefined ? [requested] : Array.from({ length: MAX_INSTANCE + 1 }, (_, i) => i);
  const known = new Map(labInstances().map((i) => [i.instance, i]));
  for (const n of candidates) {
    checkInstance(n);
    const dir = join(STATE_ROOT, String(n));
    const k = known.get(n);
    if (k?.alive) {
      if (requested !== undefined) throw new Error(`lab instance ${n} is in use by process ${k.owner}; stop it or pick another --instance`);
      continue;
    }
    if (k && !existsSync(dir)) downLabSync(n, log);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(dir);
        writeFileSync(join(dir, 'owner'), `${process.pid}\n`);
        return n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = ownerPid(n);
        if (owner && pidAlive(owner)) break;
        // Either a crashed run or one that has just created the dir: give it a moment.
        if (!owner) {
          await sleep(300);
          if (ownerPid(n)) break;
        }
        downLabSync(n, log);
      }
    }
    if (requested !== undefined) throw new Error(`lab instance ${n} is in use; stop it or pick another --instance`);
  }
  throw new Error(`no free lab instance in 0..${MAX_INSTANCE}`);
}

/** A lab this process started and owns: the cross-process handle plus stop(). */
export class OwnedLab extends LabHandle {
  private stopped = false;

  constructor(
    info: LabInfo,
    private readonly kubelets: Kubelet[],
    private readonly cp: ControlPlaneHandle,
    private readonly clients: KubeClient[],
    private readonly log: Log,
    private readonly onStopped: () => void,
  ) {
    super(info);
  }

  /** Stops kubelets and pods, the control plane, and removes everything the lab made. */
  override async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const t0 = Date.now();
    await Promise.all(this.kubelets.map((k) => k.stop().catch((e: Error) => this.log(`stopping ${k.name}: ${e.message}`))));
    await stopControlPlane(this.cp).catch((e: Error) => this.log(`stopping the control plane: ${e.message}`));
    for (const c of this.clients) c.close();
    downLabSync(this.instance, this.log);
    this.onStopped();
    this.log(`lab ${this.instance} stopped and removed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

export type Lab = OwnedLab;

function nodeClient(plan: LabPlan, apiServer: string, cert: { cert: string; key: string }): KubeClient {
  return new KubeClient({ server: apiServer, ca: readFileSync(join(plan.pkiDir, 'ca.crt'), 'utf8'), cert: cert.cert, key: cert.key });
}

export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  const baseLog = opts.log ?? consoleLog;
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const log: Log = (line) => baseLog(`${line}`);
  const progress = tagged((line) => log(`${line} [${elapsed()}]`), 'start');
  await preflight();
  const instance = await claimInstance(opts.instance, log);
  const plan = labPlan(instance, opts.nodes ?? 2);
  const ipForwardBefore = await hostIpForward();
  // Whatever happens to this process, the lab does not outlive it.
  const onExit = (): void => void downLabSync(instance);
  process.once('exit', onExit);
  const kubelets: Kubelet[] = [];
  const clients: KubeClient[] = [];
  let cp: ControlPlaneHandle | undefined;
  try {
    progress(`lab instance ${instance}: ${plan.nodes.length} nodes, bridge ${plan.bridge} ${plan.bridgeIp}, pods ${plan.clusterCIDR}, services ${plan.serviceCIDR}`);
    const binaries = opts.controlPlane ?? (await ensureControlPlane({ log }));
    const binDir = join(plan.stateDir, 'bin');
    const bundled = bundlePrograms(binDir);
    await setupHostNetwork(plan, tagged(log, 'net'));
    await prepareStateDir(plan);
    await createAuthorities(plan.pkiDir, `lumen-lab${instance}-ca`);
    const ports = await pickPorts(plan);
    const apiServer = `https://${plan.bridgeIp}:${ports.apiserver}`;
    const [, ...nodeCerts] = await Promise.all([
      issueControlPlaneCerts(plan, apiServer),
      // A node's identity towards the API server, and its kubelet API's serving certificate.
      ...plan.nodes.map((n) => issueCert(plan.pkiDir, { name: `kubelet-${n.name}`, cn: `system:node:${n.name}`, orgs: ['system:nodes'], usage: 'both', ips: [n.ip] })),
    ]);
    progress('certificates issued; starting etcd and kube-apiserver, creating node namespaces');
    const nodesCreated = (async () => {
      for (const n of plan.nodes) {
        await createNode(plan, n);
        for (const p of CNI_PLUGINS) copyFileSync(join(CNI_SOURCE, p), join(n.root, 'opt/cni/bin', p));
      }
    })();
    [cp] = await Promise.all([startControlPlane(plan, binaries, ports, tagged(log, 'cp')), nodesCreated, bundled]);
    progress('control plane up; registering nodes');

    const podCIDRs = new Map<string, string>();
    let routeChain = Promise.resolve();
    const onPodCIDR = (node: NodePlan, cidr: string): Promise<void> => {
      const step = routeChain.then(async () => {
        podCIDRs.set(node.name, cidr);
        await addHostPodRoute(plan, cidr, node.ip);
        for (const other of plan.nodes) {
          const otherCidr = podCIDRs.get(other.name);
          if (other.name === node.name || !otherCidr) continue;
          await addNodePodRoute(other, cidr, node.ip);
          await addNodePodRoute(node, otherCidr, other.ip);
        }
      });
      routeChain = step.catch(() => undefined);
      return step;
    };
    const images = { repoRoot: REPO_ROOT, node: process.execPath, binDir };
    plan.nodes.forEach((n, i) => {
      const client = nodeClient(plan, apiServer, nodeCerts[i]!);
      clients.push(client);
      kubelets.push(new Kubelet({
        instance,
        node: n,
        client,
        log,
        images,
        podRoutes: [plan.clusterCIDR, plan.serviceCIDR, plan.nodeSubnet],
        onPodCIDR,
        kubernetesService: () => ({ ip: plan.kubernetesServiceIP, port: 443 }),
        api: { certFile: nodeCerts[i]!.certFile, keyFile: nodeCerts[i]!.keyFile, caFile: join(plan.pkiDir, 'ca.crt') },
      }));
    });
    await Promise.all(kubelets.map((k) => k.start()));
    const readyTimeout = opts.readyTimeoutMs ?? 90_000;
    await Promise.race([
      Promise.all(kubelets.map((k) => k.waitReady())),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`nodes not Ready after ${readyTimeout / 1000} s (is kube-controller-manager allocating pod CIDRs? see ${plan.logDir})`)), readyTimeout).unref()),
    ]);
    await waitForNodesReady(plan);
    if ((await hostIpForward()) !== ipForwardBefore) throw new Error('host net.ipv4.ip_forward changed while starting the lab: refusing to continue');
    const info: LabInfo = {
      instance,
      ownerPid: process.pid,
      kubeconfig: plan.kubeconfig,
      apiServer,
      clusterCIDR: plan.clusterCIDR,
      serviceCIDR: plan.serviceCIDR,
      kubernetesServiceIP: plan.kubernetesServiceIP,
      bridge: plan.bridge,
      bridgeIp: plan.bridgeIp,
      nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ip, podCIDR: podCIDRs.get(n.name)!, netns: n.netns, mntns: n.mntns, cgroup: n.cgroup, root: n.root })),
      binDir,
      logDir: plan.logDir,
      pkiDir: plan.pkiDir,
      stateDir: plan.stateDir,
      versions: { kubernetes: binaries.manifest.kubernetesVersion, etcd: binaries.manifest.etcdVersion },
      startedAt: new Date().toISOString(),
    };
    writeJsonAtomic(labInfoPath(instance), info);
    progress(`all ${plan.nodes.length} nodes Ready (${info.nodes.map((n) => `${n.name} ${n.ip} pods ${n.podCIDR}`).join('; ')})`);
    return new OwnedLab(info, kubelets, cp, clients, tagged(log, 'stop'), () => process.removeListener('exit', onExit));
  } catch (e) {
    log(`[lab:start] failed after ${elapsed()}: ${(e as Error).message}; tearing down`);
    await Promise.all(kubelets.map((k) => k.stop().catch(() => undefined)));
    if (cp) await stopControlPlane(cp, 2000).catch(() => undefined);
    for (const c of clients) c.close();
    downLabSync(instance, log);
    process.removeListener('exit', onExit);
    throw new Error(`starting lab instance ${instance} failed (logs: ${plan.logDir})`, { cause: e });
  }
}

/** Confirms through the API (as admin) that every node reports Ready. */
async function waitForNodesReady(plan: LabPlan): Promise<void> {
  const admin = KubeClient.fromKubeconfig(plan.kubeconfig);
  try {
    await waitFor('all nodes Ready in the API', 30_000, async () => {
      const list = await admin.list<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>('/api/v1/nodes');
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === plan.nodes.length ? true : undefined;
    });
  } finally {
    admin.close();
  }
}
