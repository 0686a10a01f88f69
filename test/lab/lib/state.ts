// State files of a running lab under /run/lumen-lab/<N>/: written by the lab process,
// read by any process (test workers, the CLI) so they need no in-memory handle.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CniNetworkList, CniResult } from '../kubelet/cni';
import { STATE_ROOT } from './layout';

export interface LabNodeInfo {
  name: string;
  ip: string;
  podCIDR: string;
  netns: string;
  mntns: string;
  cgroup: string;
  root: string;
}

/** Serializable description of a running lab (also what the vitest global setup provides). */
export interface LabInfo {
  instance: number;
  ownerPid: number;
  kubeconfig: string;
  apiServer: string;
  clusterCIDR: string;
  serviceCIDR: string;
  kubernetesServiceIP: string;
  bridge: string;
  bridgeIp: string;
  nodes: LabNodeInfo[];
  binDir: string;
  logDir: string;
  pkiDir: string;
  stateDir: string;
  versions: { kubernetes: string; etcd: string };
  startedAt: string;
}

export interface PodContainerRecord {
  pid?: number;
  cgroup: string;
  logFile: string;
  restartCount: number;
  env: Record<string, string>;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  hostNetwork: boolean;
  /** Pod netns file (the node's for hostNetwork pods). */
  netns: string;
  podIPs: string[];
  cgroup: string;
  dir: string;
  containers: Record<string, PodContainerRecord>;
  cni?: { file: string; list: CniNetworkList; result: CniResult; containerId: string };
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readJson<T>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${what}: cannot read ${path}`, { cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${what}: ${path} is not valid JSON`, { cause: e });
  }
}

export const labInfoPath = (instance: number): string => join(STATE_ROOT, String(instance), 'lab.json');

export function readLabInfo(instance: number): LabInfo {
  return readJson<LabInfo>(labInfoPath(instance), `lab instance ${instance} is not running (or not started yet)`);
}

export function podIndexPath(instance: number, namespace: string, name: string): string {
  return join(STATE_ROOT, String(instance), 'pods', namespace, `${name}.json`);
}

export function writePodRecord(instance: number, rec: PodRecord): void {
  writeJsonAtomic(join(rec.dir, 'pod.json'), rec);
  writeJsonAtomic(podIndexPath(instance, rec.namespace, rec.name), { uid: rec.uid, node: rec.node, dir: rec.dir });
}

export function removePodIndex(instance: number, rec: Pick<PodRecord, 'namespace' | 'name' | 'uid'>): void {
  const path = podIndexPath(instance, rec.namespace, rec.name);
  try {
    const idx = JSON.parse(readFileSync(path, 'utf8')) as { uid: string };
    // A newer pod with the same name may own the index already.
    if (idx.uid === rec.uid) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}

export function readPodRecord(instance: number, namespace: string, name: string): PodRecord {
  const idx = readJson<{ dir: string }>(podIndexPath(instance, namespace, name), `pod ${namespace}/${name} is not running on lab ${instance}`);
  return readJson<PodRecord>(join(idx.dir, 'pod.json'), `pod ${namespace}/${name}`);
}
