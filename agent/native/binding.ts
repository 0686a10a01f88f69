// Loads lumen_bpf.node and declares its raw surface. Nothing here validates: the typed
// wrapper (bpf.ts, datapath.ts) does that before every native call.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeMapDesc {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  fd: number;
  pinPath: string | null;
  internal: boolean;
}

export interface NativeProgDesc {
  name: string;
  section: string;
  type: number;
  attachType: number;
  fd: number;
}

export interface NativeBpfObject {
  maps(): NativeMapDesc[];
  programs(): NativeProgDesc[];
  rodataVars(): Array<{ name: string; offset: number; size: number }>;
  setMaxEntries(map: string, n: number): void;
  setRodata(variable: string, value: Buffer): void;
  load(): void;
  mapFd(map: string): number;
  progFd(prog: string): number;
  close(): void;
}

export interface NativeMapInfo {
  type: number;
  id: number;
  name: string;
  keySize: number;
  valueSize: number;
  userValueSize: number;
  maxEntries: number;
  flags: number;
}

export interface NativeTcTarget {
  netns?: string;
  ifindex: number;
  direction: 'ingress' | 'egress';
  handle: number;
  priority: number;
  progFd?: number;
}

export interface NativeRingBufferConsumer {
  close(): void;
  stats(): { events: number; batches: number; dropped: number };
}

export interface NativeBinding {
  BpfObject: new (path: string, opts: { pinRoot?: string }) => NativeBpfObject;
  mapInfo(fd: number): NativeMapInfo;
  mapLookup(fd: number, key: Buffer): Buffer | null;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  mapDelete(fd: number, key: Buffer): boolean;
  mapUpdateBatch(fd: number, keys: Buffer, values: Buffer, flags: number): { count: number; batched: boolean };
  mapDeleteBatch(fd: number, keys: Buffer): { count: number; batched: boolean };
  mapDump(fd: number, limit?: number): { keys: Buffer; values: Buffer; count: number };
  mapCount(fd: number): number;
  objGet(path: string): number;
  objPin(fd: number, path: string): void;
  closeFd(fd: number): void;
  possibleCpus(): number;
  tcAttach(target: NativeTcTarget & { progFd: number }): { progId: number };
  tcDetach(target: NativeTcTarget): boolean;
  tcQuery(target: NativeTcTarget): { progId: number } | null;
  ifIndex(name: string, netns?: string): number;
  cgroupAttach(target: { cgroupPath: string; progFd: number; attachType: number; linkPin: string }): { replaced: boolean; linkId: number };
  cgroupDetach(linkPin: string): boolean;
  cgroupQuery(cgroupPath: string, attachType: number): number[];
  progInfo(fd: number): { id: number; name: string; type: number };
  RingBufferConsumer: new (
    mapFd: number,
    onBatch: (batch: Buffer, count: number) => void,
    opts?: { maxBatch?: number; maxQueued?: number; pollMs?: number },
  ) => NativeRingBufferConsumer;
  drainRing(mapFd: number): Buffer;
  testRun(progFd: number, opts: { data: Buffer; ctx?: Buffer; repeat?: number; dataOutSize?: number; netns?: string }): {
    retval: number;
    data: Buffer;
    ctx: Buffer | null;
    durationNs: number;
  };
}

let cached: NativeBinding | undefined;

/** Where the addon is looked for: $LUMEN_BPF_ADDON, beside this file's build/, beside a
 *  bundle, then the repository layout from the working directory. */
export function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const list = [
    process.env.LUMEN_BPF_ADDON,
    join(here, 'build', 'Release', 'lumen_bpf.node'),
    join(here, 'lumen_bpf.node'),
    resolve(process.cwd(), 'agent', 'native', 'build', 'Release', 'lumen_bpf.node'),
  ];
  return list.filter((p): p is string => !!p);
}

export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(`[lumen-bpf] addon lumen_bpf.node not found (looked in ${candidates.join(', ')}); run npm run build:native`);
  }
  const req = createRequire(import.meta.url);
  try {
    cached = req(path) as NativeBinding;
  } catch (err) {
    throw new Error(`[lumen-bpf] cannot load ${path}`, { cause: err });
  }
  return cached;
}
