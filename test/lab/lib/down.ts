// Tears a lab instance down from whatever is left (a clean stop or a crashed run): every
// process in its cgroup, mount namespaces, network namespaces, interfaces, the iptables
// chain, cgroups, mounts and state. Synchronous so it also works in an exit handler.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_V2_ROOT, REPO_ROOT, STATE_ROOT, checkInstance } from './layout';
import { CREATED_MOUNTPOINTS, createdMountpoints } from './nodens';
import type { Log } from './proc';

function sh(argv: string[]): { code: number; stdout: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? 1, stdout: r.stdout ?? '' };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function mountsUnder(prefix: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines.map((l) => l.split(' ')[4] ?? '').filter((m) => m === prefix || m.startsWith(`${prefix}/`)).map((m) => m.replace(/\\040/g, ' '));
}

/** Processes in the cgroup subtree (recursively). */
function cgroupPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const pids: number[] = [];
  const walk = (d: string): void => {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.push(Number(p));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      // Removed while walking.
    }
  };
  walk(dir);
  return pids;
}

function rmCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmCgroupTree(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // Reported by labLeftovers.
  }
}

export function ownerPid(instance: number): number | undefined {
  try {
    const pid = Number(readFileSync(join(STATE_ROOT, String(instance), 'owner'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lab instances that have state on this machine, with their owner pid and whether it lives. */
export function labInstances(): Array<{ instance: number; owner?: number; alive: boolean }> {
  const found = new Set<number>();
  if (existsSync(STATE_ROOT)) for (const d of readdirSync(STATE_ROOT)) if (/^\d+$/.test(d)) found.add(Number(d));
  for (const l of sh(['ip', '-o', 'link', 'show']).stdout.split('\n')) {
    const m = /^\d+: llab(\d+)br[:@]/.exec(l);
    if (m) found.add(Number(m[1]));
  }
  if (existsSync(CGROUP_V2_ROOT)) for (const d of readdirSync(CGROUP_V2_ROOT)) {
    const m = /^lumen-lab(\d+)$/.exec(d);
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b).map((instance) => {
    const owner = ownerPid(instance);
    return { instance, ...(owner ? { owner } : {}), alive: owner !== undefined && owner !== process.pid && pidAlive(owner) };
  });
}

/** Everything of instance N still present on the machine, described for humans (empty = clean). */
export function labLeftovers(instance: number): string[] {
  checkInstance(instance);
  const out: string[] = [];
  const prefix = `lumen-lab${instance}-`;
  for (const ns of sh(['ip', 'netns', 'list']).stdout.split('\n')) {
    const name = ns.split(' ')[0];
    if (name?.startsWith(prefix)) out.push(`netns ${name}`);
  }
  for (const l of sh(['ip', '-o', 'link', 'show']).stdout.split('\n')) {
    const m = /^\d+: ([^:@]+)/.exec(l);
    if (m?.[1] && new RegExp(`^llab${instance}(br|v\\d+)$`).test(m[1])) out.push(`link ${m[1]}`);
  }
  const cg = join(CGROUP_V2_ROOT, `lumen-lab${instance}`);
  if (existsSync(cg)) out.push(`cgroup ${cg}`);
  for (const pid of cgroupPids(cg)) out.push(`process ${pid} in ${cg}`);
  const state = join(STATE_ROOT, String(instance));
  if (existsSync(state)) out.push(`state dir ${state}`);
  for (const m of mountsUnder(state)) out.push(`mount ${m}`);
  if (sh(['iptables', '-w', '5', '-S', `LUMEN-LAB${instance}`]).code === 0) out.push(`iptables chain LUMEN-LAB${instance}`);
  const routes = sh(['ip', 'route', 'show']).stdout.split('\n').filter((r) => r.includes(`llab${instance}br`));
  for (const r of routes) out.push(`route ${r}`);
  return out;
}

/**
 * Removes every trace of lab instance N. The caller makes sure its owner is gone (or is
 * this process). Returns what it found and removed.
 */
export function downLabSync(instance: number, log?: Log): string[] {
  checkInstance(instance);
  const found = labLeftovers(instance);
  const state = join(STATE_ROOT, String(instance));
  const cg = join(CGROUP_V2_ROOT, `lumen-lab${instance}`);
  // 1. Processes: cgroup.kill reaches everything the lab started, however it was forked.
  if (existsSync(cg)) {
    try {
      writeFileSync(join(cg, 'cgroup.kill'), '1');
    } catch {
      for (const pid of cgroupPids(cg)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    for (let i = 0; i < 200 && cgroupPids(cg).length > 0; i++) sleepSync(25);
  }
  // 2. Mount namespaces of nodes and anything else mounted under the state dir (deepest first).
  for (const m of mountsUnder(state).filter((x) => x !== state).sort((a, b) => b.length - a.length)) {
    if (sh(['umount', m]).code !== 0) sh(['umount', '-l', m]);
  }
  // 3. Network namespaces (pods first, nodes last: pod veths end in node namespaces).
  const prefix = `lumen-lab${instance}-`;
  const netns = sh(['ip', 'netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(prefix));
  for (const ns of [...netns].sort((a, b) => Number(b.startsWith(`${prefix}p-`)) - Number(a.startsWith(`${prefix}p-`)))) sh(['ip', 'netns', 'del', ns]);
  // 4. Interfaces: node veths die with their netns; the bridge takes its host routes with it.
  for (const l of sh(['ip', '-o', 'link', 'show']).stdout.split('\n')) {
    const m = /^\d+: ([^:@]+)/.exec(l);
    if (m?.[1] && new RegExp(`^llab${instance}v\\d+$`).test(m[1])) sh(['ip', 'link', 'del', m[1]]);
  }
  sh(['ip', 'link', 'del', `llab${instance}br`]);
  // 5. Firewall chain and its jumps.
  const chain = `LUMEN-LAB${instance}`;
  for (const dir of ['-i', '-o']) {
    for (let i = 0; i < 10 && sh(['iptables', '-w', '5', '-D', 'FORWARD', dir, `llab${instance}br`, '-j', chain]).code === 0; i++);
  }
  sh(['iptables', '-w', '5', '-F', chain]);
  sh(['iptables', '-w', '5', '-X', chain]);
  // 6. cgroups, the state dir mount and the state itself.
  rmCgroupTree(cg);
  if (mountsUnder(state).includes(state)) {
    if (sh(['umount', state]).code !== 0) sh(['umount', '-l', state]);
  }
  rmSync(state, { recursive: true, force: true });
  const labDir = instance === 0 ? join(REPO_ROOT, '.lab') : join(REPO_ROOT, '.lab', String(instance));
  rmSync(join(labDir, 'kubeconfig'), { force: true });
  rmSync(join(labDir, 'users'), { recursive: true, force: true });
  // 7. Mount points the lab created on the host, once no lab instance is left.
  removeCreatedMountpoints();
  if (found.length) log?.(`[lab:down] instance ${instance}: removed ${found.length} lab objects (${found.slice(0, 6).join(', ')}${found.length > 6 ? ', …' : ''})`);
  return found;
}

function removeCreatedMountpoints(): void {
  if (!existsSync(STATE_ROOT)) return;
  if (readdirSync(STATE_ROOT).some((d) => /^\d+$/.test(d))) return;
  for (const dir of createdMountpoints().sort((a, b) => b.length - a.length)) {
    try {
      if (statSync(dir).isDirectory() && readdirSync(dir).length === 0 && sh(['mountpoint', '-q', dir]).code !== 0) rmdirSync(dir);
      else if (statSync(dir).isFile() && statSync(dir).size === 0) rmSync(dir);
    } catch {
      // Gone or not empty: leave it.
    }
  }
  rmSync(CREATED_MOUNTPOINTS, { force: true });
  try {
    rmdirSync(STATE_ROOT);
  } catch {
    // Another lab is starting.
  }
}

/** `npm run lab -- --down`: cleans instances whose owner is gone (or the given one). */
export function downLab(instance?: number, opts: { log?: Log; force?: boolean } = {}): Array<{ instance: number; removed: string[] }> {
  const targets = instance === undefined ? labInstances() : labInstances().filter((i) => i.instance === instance).concat(labInstances().some((i) => i.instance === instance) ? [] : [{ instance, alive: false }]);
  const out: Array<{ instance: number; removed: string[] }> = [];
  for (const t of targets) {
    if (t.alive && !opts.force) {
      opts.log?.(`[lab:down] instance ${t.instance} is running in process ${t.owner}; stop it there (Ctrl+C), or pass --force to kill it`);
      continue;
    }
    out.push({ instance: t.instance, removed: downLabSync(t.instance, opts.log) });
  }
  return out;
}
