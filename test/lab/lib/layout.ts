// The plan of one lab instance: every name, address, port and path it uses, derived
// from the instance number alone so that any process can find a running lab's parts.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const STATE_ROOT = '/run/lumen-lab';
/** Where the cgroup-v2 hierarchy is mounted: /sys/fs/cgroup/unified on cgroup-v1 hybrid hosts, else /sys/fs/cgroup. */
export const CGROUP_V2_ROOT = detectCgroupV2Root();

function detectCgroupV2Root(): string {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    const v2 = mounts.find((m) => m[2] === 'cgroup2' && (m[1] === '/sys/fs/cgroup/unified' || m[1] === '/sys/fs/cgroup'));
    if (v2?.[1]) return v2[1];
  } catch {
    // Not Linux or no /proc: the default below keeps pure functions usable.
  }
  return '/sys/fs/cgroup/unified';
}
/** Instances 0..MAX_INSTANCE fit the address plan (10.(200+N) and 10.(96+N) stay below 10.255/10.200). */
export const MAX_INSTANCE = 50;
export const MAX_NODES = 20;

export interface NodePlan {
  /** Node object name. */
  name: string;
  /** 1-based position; the node's address is 172.28.N.(10+index). */
  index: number;
  ip: string;
  netnsName: string;
  netns: string;
  /** Host-side veth on the lab bridge (the node side is eth0 in the node netns). */
  hostVeth: string;
  /** Persistent mount-namespace file (nsfs bind mount). */
  mntns: string;
  /** Per-node directories bind-mounted over host paths in the node's mount namespace. */
  root: string;
  /** cgroup-v2 directory of the node; pods live below `<cgroup>/pods`, node processes in `<cgroup>/system`. */
  cgroup: string;
  /** State written by the node's kubelet (node.json, pods/). */
  stateDir: string;
}

export interface LabPlan {
  instance: number;
  bridge: string;
  bridgeIp: string;
  nodeSubnet: string;
  clusterCIDR: string;
  serviceCIDR: string;
  kubernetesServiceIP: string;
  iptablesChain: string;
  netnsPrefix: string;
  stateDir: string;
  cgroup: string;
  /** Folder in the repo for the kubeconfig and logs (git-ignored). */
  labDir: string;
  kubeconfig: string;
  logDir: string;
  pkiDir: string;
  etcdDataDir: string;
  nodes: NodePlan[];
}

export function checkInstance(instance: number): void {
  if (!Number.isInteger(instance) || instance < 0 || instance > MAX_INSTANCE) {
    throw new Error(`lab instance must be an integer 0..${MAX_INSTANCE}, got ${instance}`);
  }
}

export function nodeName(index: number): string {
  return `node-${index}`;
}

export function labPlan(instance: number, nodeCount: number, repoRoot = REPO_ROOT): LabPlan {
  checkInstance(instance);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) {
    throw new Error(`lab node count must be an integer 1..${MAX_NODES}, got ${nodeCount}`);
  }
  const stateDir = join(STATE_ROOT, String(instance));
  const cgroup = join(CGROUP_V2_ROOT, `lumen-lab${instance}`);
  const netnsPrefix = `lumen-lab${instance}-`;
  const labDir = instance === 0 ? join(repoRoot, '.lab') : join(repoRoot, '.lab', String(instance));
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    const name = nodeName(i);
    nodes.push({
      name,
      index: i,
      ip: `172.28.${instance}.${10 + i}`,
      netnsName: `${netnsPrefix}${name}`,
      netns: `/run/netns/${netnsPrefix}${name}`,
      hostVeth: `llab${instance}v${i}`,
      mntns: join(stateDir, 'nodes', name, 'mnt'),
      root: join(stateDir, 'nodes', name, 'root'),
      cgroup: join(cgroup, name),
      stateDir: join(stateDir, 'nodes', name),
    });
  }
  return {
    instance,
    bridge: `llab${instance}br`,
    bridgeIp: `172.28.${instance}.1`,
    nodeSubnet: `172.28.${instance}.0/24`,
    clusterCIDR: `10.${200 + instance}.0.0/16`,
    serviceCIDR: `10.${96 + instance}.0.0/16`,
    kubernetesServiceIP: `10.${96 + instance}.0.1`,
    iptablesChain: `LUMEN-LAB${instance}`,
    netnsPrefix,
    stateDir,
    cgroup,
    labDir,
    kubeconfig: join(labDir, 'kubeconfig'),
    logDir: join(labDir, 'logs'),
    pkiDir: join(stateDir, 'pki'),
    etcdDataDir: join(stateDir, 'etcd'),
    nodes,
  };
}

/** The netns name of a pod (not hostNetwork) on lab instance N. */
export function podNetnsName(instance: number, podUid: string): string {
  return `lumen-lab${instance}-p-${shortPodId(podUid)}`;
}

export function shortPodId(podUid: string): string {
  const hex = podUid.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{12,}$/.test(hex)) throw new Error(`not a pod UID: ${JSON.stringify(podUid)}`);
  return hex.slice(0, 12);
}

/** Host paths a node's mount namespace covers with per-node directories (node root relative path → host path). */
export const NODE_BIND_PATHS: ReadonlyArray<readonly [string, string]> = [
  ['etc/cni/net.d', '/etc/cni/net.d'],
  ['opt/cni/bin', '/opt/cni/bin'],
  ['var/lib/cni', '/var/lib/cni'],
  ['run/lumen', '/run/lumen'],
  ['var/lib/lumen', '/var/lib/lumen'],
  ['var/log/lumen', '/var/log/lumen'],
];

/** Where the node's cgroup-v2 subtree appears inside the node's mount namespace. */
export const NODE_CGROUP_MOUNT = '/run/lumen/cgroupv2';

/** Parses "a.b.c.d/len" and returns [network as uint32, prefix length]; throws naming the input. */
export function parseCIDR(cidr: string): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const len = Number(m[5]);
  if (octets.some((o) => o > 255) || len > 32) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const addr = (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [(addr & mask) >>> 0, len];
}

export function ipToInt(ip: string): number {
  return parseCIDR(`${ip}/32`)[0];
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [net, len] = parseCIDR(cidr);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === net;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}
