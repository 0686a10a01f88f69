// A lab node's namespaces: network namespace on the lab bridge, a persistent mount
// namespace with per-node directories over the host paths a DaemonSet expects, a
// per-node bpffs, and the node's cgroup-v2 subtree.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './proc';
import { CGROUP_V2_ROOT, NODE_BIND_PATHS, NODE_CGROUP_MOUNT, STATE_ROOT, type LabPlan, type NodePlan } from './layout';

/** Host directories the lab had to create as mount points (removed when no lab is left). */
export const CREATED_MOUNTPOINTS = join(STATE_ROOT, 'created-mountpoints');

/**
 * Makes sure `path` exists on the host so it can be a mount point, recording every
 * directory it creates so teardown can remove them again.
 */
export function ensureMountpoint(path: string): void {
  if (existsSync(path)) return;
  const missing: string[] = [];
  for (let p = path; !existsSync(p); p = dirname(p)) missing.unshift(p);
  mkdirSync(STATE_ROOT, { recursive: true });
  for (const dir of missing) {
    mkdirSync(dir);
    appendFileSync(CREATED_MOUNTPOINTS, `${dir}\n`);
  }
}

export function createdMountpoints(): string[] {
  if (!existsSync(CREATED_MOUNTPOINTS)) return [];
  return readFileSync(CREATED_MOUNTPOINTS, 'utf8').split('\n').filter(Boolean);
}

async function isMountpoint(path: string): Promise<boolean> {
  return (await run(['mountpoint', '-q', path], { allowFail: true })).code === 0;
}

/**
 * The instance state dir becomes its own private mount: a mount-namespace file may only
 * be bind-mounted on a private mount, and nothing under it should propagate anywhere.
 */
export async function prepareStateDir(plan: LabPlan): Promise<void> {
  mkdirSync(plan.stateDir, { recursive: true });
  if (!(await isMountpoint(plan.stateDir))) {
    await run(['mount', '--bind', plan.stateDir, plan.stateDir]);
  }
  await run(['mount', '--make-private', plan.stateDir]);
}

export function cgroupMkdir(path: string): void {
  if (!path.startsWith(`${CGROUP_V2_ROOT}/lumen-`)) throw new Error(`refusing to create cgroup outside the lab subtree: ${path}`);
  mkdirSync(path, { recursive: true });
}

/** Creates the node: netns + veth on the bridge + addresses, cgroups, per-node dirs, mount namespace. */
export async function createNode(plan: LabPlan, node: NodePlan): Promise<void> {
  await run(['ip', 'netns', 'add', node.netnsName]);
  await run(['ip', 'link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netnsName]);
  await run(['ip', 'link', 'set', node.hostVeth, 'master', plan.bridge, 'up']);
  const inNode = (args: string[]): Promise<unknown> => run(['ip', '-n', node.netnsName, ...args]);
  await inNode(['link', 'set', 'lo', 'up']);
  await inNode(['addr', 'add', `${node.ip}/24`, 'dev', 'eth0']);
  await inNode(['link', 'set', 'eth0', 'up']);
  // Forwarding between pod veths and eth0 happens here, inside the node; never in the host.
  await run(['nsenter', `--net=${node.netns}`, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

  cgroupMkdir(join(node.cgroup, 'system'));
  cgroupMkdir(join(node.cgroup, 'pods'));
  for (const [rel, hostPath] of NODE_BIND_PATHS) {
    mkdirSync(join(node.root, rel), { recursive: true });
    ensureMountpoint(hostPath);
  }
  mkdirSync(join(node.root, 'run/lumen/cgroupv2'), { recursive: true });
  mkdirSync(join(node.stateDir, 'pods'), { recursive: true });
  writeFileSync(node.mntns, '');

  // Runs inside the new mount namespace (and the node netns, so the fresh sysfs shows
  // the node's interfaces). Sources are resolved before /sys is replaced.
  const script = [
    'set -e',
    ...NODE_BIND_PATHS.map(([rel, hostPath]) => `mount --bind '${join(node.root, rel)}' '${hostPath}'`),
    `mount --bind '${node.cgroup}' '${NODE_CGROUP_MOUNT}'`,
    'mount -t sysfs -o nosuid,nodev,noexec sysfs /sys',
    'mount -t bpf -o mode=0700 bpf /sys/fs/bpf',
    // The same cgroup-v2 view as the host, so /proc/<pid>/cgroup paths resolve in the node.
    ...(CGROUP_V2_ROOT === '/sys/fs/cgroup'
      ? ['mount -t cgroup2 cgroup2 /sys/fs/cgroup']
      : ['mount -t tmpfs -o mode=0755,size=64k cgroup-root /sys/fs/cgroup', `mkdir -p '${CGROUP_V2_ROOT}'`, `mount -t cgroup2 cgroup2 '${CGROUP_V2_ROOT}'`]),
  ].join('\n');
  // Slave propagation: mounts made on the host later (pod netns files under /run/netns)
  // appear in the node; the node's own mounts never reach the host.
  await run(['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', join(node.cgroup, 'system'),
    'nsenter', `--net=${node.netns}`, '--', 'unshare', `--mount=${node.mntns}`, '--propagation', 'slave', '--', '/bin/sh', '-c', script]);
}

/** In the node: a route to every other node's pod CIDR via that node (fallback routing without the agent). */
export async function addNodePodRoute(node: NodePlan, podCIDR: string, viaIp: string): Promise<void> {
  await run(['ip', '-n', node.netnsName, 'route', 'replace', podCIDR, 'via', viaIp, 'dev', 'eth0']);
}
