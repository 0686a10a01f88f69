// Runs host commands for the lab: tagged logging, errors that name the command, and
// argv builders that place a process in a lab node's namespaces and cgroup.
import { spawn, type SpawnOptions } from 'node:child_process';

export type Log = (line: string) => void;

/** Prefixes every line with a subsystem tag, e.g. `[lab:cp]`. */
export function tagged(log: Log, tag: string): Log {
  return (line) => log(`[lab:${tag}] ${line}`);
}

export const consoleLog: Log = (line) => process.stderr.write(`${line}\n`);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
    options?: ErrorOptions,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-6).join('\n');
    super(`command failed (exit ${result.code}): ${argv.join(' ')}${detail ? `\n${detail}` : ''}`, options);
    this.name = 'CommandError';
  }
}

/** Runs argv to completion and collects its output. Throws CommandError on failure. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env };
    if (opts.cwd) spawnOpts.cwd = opts.cwd;
    const child = spawn(file, args, spawnOpts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = {
        code: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (result.code !== 0 && !opts.allowFail) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 };
  return table[signal] ?? 1;
}

/** Where a process of a lab node runs: its namespaces and its cgroup-v2 directory. */
export interface NsTarget {
  /** A netns file (/run/netns/...) or undefined to keep the caller's. */
  netns?: string;
  /** A mount-namespace file (bind-mounted nsfs) or undefined. */
  mntns?: string;
  /** Enter all namespaces of this pid instead of the files above (nsenter -t). */
  pid?: number;
  /** Absolute cgroup-v2 directory the process joins before anything else runs. */
  cgroup: string;
}

/**
 * argv that runs `argv` inside `target`. The process first moves itself into the cgroup
 * (so that nothing it forks escapes the subtree the agent's socket LB attaches to), then
 * nsenter switches namespaces; namespace files are opened before any switch, so host
 * paths work.
 */
export function nsArgv(target: NsTarget, argv: readonly string[]): string[] {
  const enter = ['nsenter'];
  if (target.pid !== undefined) {
    enter.push(`--target=${target.pid}`, '--net', '--mount', '--uts');
  } else {
    if (target.netns) enter.push(`--net=${target.netns}`);
    if (target.mntns) enter.push(`--mount=${target.mntns}`);
  }
  enter.push('--');
  return ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', target.cgroup, ...enter, ...argv];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `p` settles within `ms`, false otherwise; the timer never outlives the race. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, lastError ? { cause: lastError } : undefined);
    }
    await sleep(intervalMs);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
