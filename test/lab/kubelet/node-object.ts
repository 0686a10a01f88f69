// The Node object a lab kubelet registers and the status it reports: addresses,
// capacity, node info from this machine, conditions, and the lab labels.
import { cpus, release, totalmem } from 'node:os';
import { existsSync, readFileSync, statfsSync } from 'node:fs';

/** The kubelet API port the Node advertises; the node's kubelet-port program listens on it. */
export const KUBELET_PORT = 10250;

export const KUBELET_VERSION = 'v1.36.3';
export const RUNTIME_VERSION = 'lumen-lab://0.1';

export interface NodeFacts {
  kernelVersion: string;
  osImage: string;
  cpu: number;
  memoryKi: number;
  ephemeralStorageKi: number;
  bootID: string;
  machineID: string;
  architecture: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

export function machineFacts(): NodeFacts {
  const osRelease = readOr('/etc/os-release', '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux';
  let storageKi: number;
  try {
    const s = statfsSync('/');
    storageKi = Math.floor((s.blocks * s.bsize) / 1024);
  } catch {
    storageKi = 0;
  }
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    kernelVersion: release(),
    osImage: pretty,
    cpu: cpus().length,
    memoryKi: Math.floor(totalmem() / 1024),
    ephemeralStorageKi: storageKi,
    bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
    machineID: existsSync('/etc/machine-id') ? readOr('/etc/machine-id', '') : '',
    architecture: arch,
  };
}

export interface NodeIdentity {
  name: string;
  ip: string;
  instance: number;
}

export function nodeLabels(id: NodeIdentity, facts: NodeFacts): Record<string, string> {
  return {
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': facts.architecture,
    'lumen.dev/lab': 'true',
    'lumen.dev/lab-instance': String(id.instance),
  };
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

export function nodeStatus(id: NodeIdentity, facts: NodeFacts, ready: { ok: boolean; message: string }, now: string, previous?: NodeCondition[]): Record<string, unknown> {
  const cond = (type: string, ok: boolean, reason: string, message: string): NodeCondition => {
    const status = ok ? 'True' : 'False';
    const prev = previous?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now };
  };
  const capacity = {
    cpu: String(facts.cpu),
    memory: `${facts.memoryKi}Ki`,
    pods: '110',
    'ephemeral-storage': `${facts.ephemeralStorageKi}Ki`,
  };
  return {
    addresses: [{ type: 'InternalIP', address: id.ip }, { type: 'Hostname', address: id.name }],
    capacity,
    allocatable: capacity,
    conditions: [
      cond('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', ready.ok, ready.ok ? 'KubeletReady' : 'KubeletNotReady', ready.message),
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.machineID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: facts.architecture,
    },
  };
}

/** The Node to create at registration: not ready (and tainted so) until its pod network is set up. */
export function nodeObject(id: NodeIdentity, facts: NodeFacts, now: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: id.name, labels: nodeLabels(id, facts), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
    status: nodeStatus(id, facts, { ok: false, message: 'container runtime network not ready: waiting for the node pod CIDR' }, now),
  };
}
