// What the kernel tests need from the machine: root, BTF, bpffs at /sys/fs/bpf, the built
// objects and addon; plus a private pin directory per test file and a loader with small
// map sizes. Missing kernel features skip with the reason; a missing build fails loudly.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Datapath, type DatapathConfig, type DatapathOptions, type ObjectName } from '../../../agent/native/index';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OBJECT_DIR = join(REPO, 'bpf', '.output');
export const ADDON = join(REPO, 'agent', 'native', 'build', 'Release', 'lumen_bpf.node');

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (BPF programs, netns, tc)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'kernel has no BTF (/sys/kernel/btf/vmlinux)';
  if (!existsSync('/sys/fs/bpf')) return 'no /sys/fs/bpf to mount bpffs on';
  return undefined;
}

/** Throws (does not skip) when the build step was not run: that is our bug, not the machine's. */
export function requireBuilt(): void {
  for (const o of ['lxc', 'sock', 'host']) {
    const p = join(OBJECT_DIR, `${o}.bpf.o`);
    if (!existsSync(p)) throw new Error(`${p} is missing: run npm run build:bpf first`);
  }
  if (!existsSync(ADDON)) throw new Error(`${ADDON} is missing: run npm run build:native first`);
}

export function ensureBpffs(): void {
  const mounted = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf');
  // Left mounted on purpose: it is the standard place and other tests/agents use it.
  if (!mounted) execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export function testPinDir(): string {
  return `/sys/fs/bpf/lumen-test-${randomSuffix()}`;
}

/** Small sizes: tests fill and inspect maps; the defaults are sized for production. */
export const TEST_MAP_SIZES = {
  services: 1024, backends: 1024, revNat: 1024, ct: 4096, ipcache: 1024, endpoints: 256,
  policy: 4096, affinity: 1024, sock: 1024, eventsBytes: 256 * 1024,
} as const;

export const NODE_ADDR = '10.250.0.1';

export function loadTestDatapath(pinDir: string, opts: { objects?: ObjectName[]; config?: DatapathConfig; mapSizes?: DatapathOptions['mapSizes'] } = {}): Datapath {
  ensureBpffs();
  return Datapath.load({
    pinDir,
    objectDir: OBJECT_DIR,
    objects: opts.objects ?? ['lxc', 'sock', 'host'],
    config: { nodeAddress: NODE_ADDR, ...opts.config },
    mapSizes: opts.mapSizes ?? TEST_MAP_SIZES,
  });
}

/** Removes the test's pins (and cgroup links pinned there). Never throws. */
export function removePins(pinDir: string): void {
  try {
    Datapath.unpin(pinDir);
  } catch (err) {
    console.error(`[lumen-test] cleanup of ${pinDir} failed:`, err);
  }
}
