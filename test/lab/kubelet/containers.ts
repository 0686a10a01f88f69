// Container processes: a container is a process tree in its own cgroup-v2 directory,
// in the pod's netns, in a mount namespace that is a child of the node's with the pod's
// volumes bind-mounted in. Start, signal, kill (SIGTERM, grace, cgroup.kill).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nsArgv, settlesWithin, sleep } from '../lib/proc';
import type { Bind } from './volumes';

/**
 * Runs in the container's new mount namespace: binds volumes (creating missing mount
 * points, which then live in the node's directories or in the volume they are under),
 * sets the pod's hostname, changes to the working dir and execs the container command.
 */
const SETUP_SCRIPT = `set -e
host=$1; wd=$2; shift 2
while [ "$1" != "--" ]; do
  src=$1; dst=$2; ro=$3; create=$4; shift 4
  case "$create" in
    dir) mkdir -p "$src" ;;
    file) if [ ! -e "$src" ]; then mkdir -p "$(dirname "$src")"; : > "$src"; fi ;;
  esac
  if [ ! -e "$src" ]; then echo "lab: volume source $src does not exist on the node" >&2; exit 32; fi
  if [ ! -e "$dst" ]; then
    if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; : > "$dst"; fi
  fi
  # rbind, as container runtimes do: mounts below a hostPath (netns files, a cgroup
  # mount under /run/lumen) stay visible in the container.
  mount --rbind "$src" "$dst"
  if [ "$ro" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
shift
if [ -n "$host" ]; then hostname "$host"; fi
cd "$wd"
printf started >&3
exec 3>&-
exec "$@"`;

export interface ContainerStartSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  /** Pod hostname; undefined keeps the node's (hostNetwork pods). */
  hostname?: string;
  binds: Bind[];
  netns: string;
  mntns: string;
  cgroup: string;
  logFile: string;
}

export interface ContainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  finishedAt: string;
}

/** The argv that starts a container (exported for tests of its composition). */
export function containerArgv(spec: ContainerStartSpec): string[] {
  const bindArgs: string[] = [];
  for (const b of spec.binds) bindArgs.push(b.src, b.dst, b.readOnly ? 'ro' : 'rw', b.create ?? '-');
  const unshare = ['unshare', '--mount', '--propagation', 'slave', ...(spec.hostname ? ['--uts'] : []), '--'];
  return nsArgv({ netns: spec.netns, mntns: spec.mntns, cgroup: spec.cgroup },
    [...unshare, '/bin/sh', '-c', SETUP_SCRIPT, 'lab-container', spec.hostname ?? '', spec.workingDir, ...bindArgs, '--', ...spec.argv]);
}

export function killCgroup(cgroup: string): void {
  try {
    writeFileSync(`${cgroup}/cgroup.kill`, '1');
  } catch {
    // Gone already.
  }
}

export function cgroupEmpty(cgroup: string): boolean {
  try {
    return /populated 0/.test(readFileSync(`${cgroup}/cgroup.events`, 'utf8'));
  } catch {
    return true;
  }
}

/** Kills everything in a cgroup and removes it once empty (waits up to timeoutMs). */
export async function removeCgroup(cgroup: string, timeoutMs = 5000): Promise<void> {
  if (!existsSync(cgroup)) return;
  killCgroup(cgroup);
  const deadline = Date.now() + timeoutMs;
  while (!cgroupEmpty(cgroup) && Date.now() < deadline) await sleep(20);
  const rmTree = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    rmdirSync(dir);
  };
  try {
    rmTree(cgroup);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot remove cgroup ${cgroup}: ${(e as Error).message}`, { cause: e });
  }
}

export class ContainerProcess {
  readonly startedAt = new Date().toISOString();
  readonly exited: Promise<ContainerExit>;
  private exit?: ContainerExit;

  /**
   * Resolves true once the container's namespaces and mounts are set up and its command is
   * being exec'd (the setup script reports on fd 3), false if it died before.
   */
  readonly setUp: Promise<boolean>;

  private constructor(
    readonly child: ChildProcess,
    readonly cgroup: string,
  ) {
    const report = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    this.setUp = new Promise((resolve) => {
      if (!report) return resolve(false);
      report.once('data', () => resolve(true));
      report.once('end', () => resolve(false));
      report.once('error', () => resolve(false));
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal, finishedAt: new Date().toISOString() };
        // Like the end of a container's PID namespace: nothing it left behind survives it.
        killCgroup(cgroup);
        resolve(this.exit);
      });
      child.on('error', (e) => {
        this.exit = { code: 127, signal: null, finishedAt: new Date().toISOString() };
        resolve(this.exit);
        void e;
      });
    });
  }

  static start(spec: ContainerStartSpec): ContainerProcess {
    mkdirSync(spec.cgroup, { recursive: true });
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    try {
      const [file, ...args] = containerArgv(spec);
      const child = spawn(file!, args, { env: spec.env, stdio: ['ignore', fd, fd, 'pipe'], detached: true });
      return new ContainerProcess(child, spec.cgroup);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exit;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit || !this.child.pid) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      // Exited meanwhile.
    }
  }

  /** SIGTERM, wait up to graceMs, then kill the whole cgroup. Resolves with the exit. */
  async stop(graceMs: number): Promise<ContainerExit> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const done = await settlesWithin(this.exited, Math.max(0, graceMs));
    if (!done) killCgroup(this.cgroup);
    return this.exited;
  }
}
