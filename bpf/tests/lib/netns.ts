// Network namespaces, veths and cgroups for tests and benchmarks, created only under
// the caller's prefix and removed by a Sandbox.cleanup() that never throws. Nothing here
// adds a default route or touches the root namespace's routes, firewall or sysctls.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

export function sh(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { input: opts.input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 << 20 }).toString();
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`[lumen-test] ${cmd} ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`, { cause: err });
  }
}

export function ipNetns(ns: string, ...args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, ...args]);
}

export interface Veth {
  /** Inside the namespace */
  inner: string;
  /** Peer side (host side of a pod veth) */
  outer: string;
}

/** Owns everything one test file creates; cleanup() undoes it in reverse order. */
export class Sandbox {
  private readonly namespaces: string[] = [];
  private readonly cgroups: string[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly extra: Array<() => void> = [];

  constructor(readonly prefix: string) {
    if (!/^lumen-(dpt|bench)-[a-z0-9-]+$/.test(prefix)) throw new Error(`[lumen-test] sandbox prefix "${prefix}" must be lumen-dpt-* or lumen-bench-*`);
  }

  netns(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    sh('ip', ['netns', 'del', name], { allowFail: true });
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    ipNetns(name, 'ip', 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A veth pair: `inner` moved into `ns` with `addr` (CIDR), `outer` into `peerNs`. */
  veth(ns: string, inner: string, peerNs: string, outer: string, addr?: string): Veth {
    for (const n of [inner, outer]) if (n.length > 15 || !/^(ldp|lumen-bench-)/.test(n)) throw new Error(`[lumen-test] interface name "${n}" must start with ldp or lumen-bench- and be <= 15 chars`);
    sh('ip', ['link', 'add', inner, 'netns', ns, 'type', 'veth', 'peer', 'name', outer, 'netns', peerNs]);
    if (addr) ipNetns(ns, 'ip', 'addr', 'add', addr, 'dev', inner);
    ipNetns(ns, 'ip', 'link', 'set', inner, 'up');
    ipNetns(peerNs, 'ip', 'link', 'set', outer, 'up');
    return { inner, outer };
  }

  /** A cgroup-v2 directory for processes whose sockets the socket LB should see. */
  cgroup(suffix: string): string {
    const path = `/sys/fs/cgroup/unified/${this.prefix}-${suffix}`;
    if (!existsSync('/sys/fs/cgroup/unified/cgroup.procs')) throw new Error('[lumen-test] no cgroup-v2 hierarchy at /sys/fs/cgroup/unified');
    mkdirSync(path, { recursive: true });
    this.cgroups.push(path);
    return path;
  }

  /** Spawns `argv` inside `ns`, moved into `cgroup` first when given (before it opens
   *  any socket). The move happens before `ip netns exec`, which remounts /sys. */
  spawn(ns: string, argv: string[], opts: { cgroup?: string } = {}): ChildProcess {
    const cmd = opts.cgroup
      ? ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', opts.cgroup, 'ip', 'netns', 'exec', ns, ...argv]
      : ['ip', 'netns', 'exec', ns, ...argv];
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.procs.push(p);
    return p;
  }

  onCleanup(fn: () => void): void {
    this.extra.push(fn);
  }

  cleanup(): void {
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        console.error(`[lumen-test] cleanup ${what}:`, (err as Error).message);
      }
    };
    for (const p of this.procs) attempt('process', () => { if (p.exitCode === null) p.kill('SIGKILL'); });
    for (const fn of this.extra.reverse()) attempt('hook', fn);
    for (const ns of this.namespaces.reverse()) attempt(`netns ${ns}`, () => sh('ip', ['netns', 'del', ns], { allowFail: true }));
    for (const cg of this.cgroups.reverse()) {
      attempt(`cgroup ${cg}`, () => {
        if (!existsSync(cg)) return;
        // Processes still inside would keep the directory busy: move them to the root.
        for (const pid of readFileSync(`${cg}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
          try { writeFileSync('/sys/fs/cgroup/unified/cgroup.procs', pid); } catch { /* already gone */ }
        }
        rmdirSync(cg);
      });
    }
  }
}

/** Waits for a line matching `re` on a child's stdout. */
export function waitForLine(p: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let errBuf = '';
    const timer = setTimeout(() => reject(new Error(`[lumen-test] timed out waiting for ${re} (stdout: ${buf.slice(-500)} stderr: ${errBuf.slice(-500)})`)), timeoutMs);
    p.stderr?.on('data', (d: Buffer) => { errBuf += d.toString(); });
    p.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`[lumen-test] process exited (${code}) before ${re}: ${errBuf.slice(-1000)}`));
    });
  });
}
