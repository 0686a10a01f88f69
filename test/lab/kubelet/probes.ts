// Container probes as a kubelet runs them: tcpSocket/httpGet from the node's network
// namespace (through one long-lived prober process per node), exec inside the
// container, with initial delay, period, timeout and success/failure thresholds.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { nsArgv, run, type Log } from '../lib/proc';
import type { Container, Probe } from './types';

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

interface ProberRequest {
  id: number;
  type: 'tcp' | 'http';
  host: string;
  port: number;
  path?: string;
  scheme?: 'HTTP' | 'HTTPS';
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** One prober process per node, living in the node's namespaces and system cgroup. */
export class NodeProber {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (o: ProbeOutcome) => void>();

  constructor(
    private readonly argv: string[],
    private readonly log: Log,
  ) {}

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const [file, ...args] = this.argv;
    const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const res = JSON.parse(line) as { id: number; ok: boolean; message: string };
        this.pending.get(res.id)?.({ ok: res.ok, message: res.message });
        this.pending.delete(res.id);
      } catch {
        this.log(`prober: unexpected output ${line.slice(0, 200)}`);
      }
    });
    child.on('exit', () => {
      for (const [id, resolve] of this.pending) {
        resolve({ ok: false, message: 'prober exited' });
        this.pending.delete(id);
      }
    });
    child.stdin!.on('error', () => undefined);
    this.child = child;
    return child;
  }

  probe(req: Omit<ProberRequest, 'id'>): Promise<ProbeOutcome> {
    const id = this.nextId++;
    const child = this.ensure();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, message: `probe timed out after ${req.timeoutMs} ms` });
      }, req.timeoutMs + 1000);
      this.pending.set(id, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
      child.stdin!.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

/** Resolves a probe's port (number or the name of a declared container port). */
export function resolvePort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`probe port "${port}" is not a named port of container ${container.name}`);
  return p.containerPort;
}

export interface ProbeContext {
  prober: NodeProber;
  podIP: () => string | undefined;
  /** Pid of the container's main process and its cgroup, for exec probes. */
  execTarget: () => { pid: number; cgroup: string; env: Record<string, string> } | undefined;
}

export async function runProbeOnce(probe: Probe, container: Container, ctx: ProbeContext): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const target = ctx.execTarget();
      if (!target) return { ok: false, message: 'container is not running' };
      const res = await run(nsArgv({ pid: target.pid, cgroup: target.cgroup }, probe.exec.command), { env: target.env, allowFail: true, timeoutMs });
      return res.code === 0 ? { ok: true, message: res.stdout.trim() } : { ok: false, message: `command ${JSON.stringify(probe.exec.command)} exited ${res.code}: ${(res.stdout + res.stderr).trim().slice(0, 300)}` };
    }
    if (probe.tcpSocket) {
      const host = probe.tcpSocket.host ?? ctx.podIP();
      if (!host) return { ok: false, message: 'pod has no IP yet' };
      return await ctx.prober.probe({ type: 'tcp', host, port: resolvePort(container, probe.tcpSocket.port), timeoutMs });
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      const host = g.host ?? ctx.podIP();
      if (!host) return { ok: false, message: 'pod has no IP yet' };
      const headers: Record<string, string> = {};
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      return await ctx.prober.probe({ type: 'http', host, port: resolvePort(container, g.port), path: g.path ?? '/', scheme: g.scheme ?? 'HTTP', headers, timeoutMs });
    }
    if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by the lab kubelet' };
    return { ok: false, message: 'probe has no handler' };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/**
 * Runs a probe periodically and reports transitions after the thresholds are met.
 * Returns a stop function.
 */
export function probeLoop(probe: Probe, runOnce: () => Promise<ProbeOutcome>, onChange: (ok: boolean, message: string) => void): () => void {
  const period = (probe.periodSeconds ?? 10) * 1000;
  const successThreshold = probe.successThreshold ?? 1;
  const failureThreshold = probe.failureThreshold ?? 3;
  let successes = 0;
  let failures = 0;
  let state: boolean | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    const outcome = await runOnce();
    if (stopped) return;
    if (outcome.ok) {
      successes++;
      failures = 0;
      if (state !== true && successes >= successThreshold) {
        state = true;
        onChange(true, outcome.message);
      }
    } else {
      failures++;
      successes = 0;
      if (state !== false && failures >= failureThreshold) {
        state = false;
        onChange(false, outcome.message);
      }
    }
    timer = setTimeout(() => void tick(), period);
  };
  timer = setTimeout(() => void tick(), (probe.initialDelaySeconds ?? 0) * 1000);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** True when /proc/<pid>/net/{tcp,tcp6} shows a LISTEN socket on every TCP port and udp{,6} a bound one on every UDP port. */
export async function listeningOn(pid: number, ports: Array<{ port: number; protocol: string }>): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const localPorts = async (file: string, listenOnly: boolean): Promise<Set<number>> => {
    const out = new Set<number>();
    try {
      const lines = (await readFile(`/proc/${pid}/net/${file}`, 'utf8')).split('\n').slice(1);
      for (const line of lines) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 4) continue;
        if (listenOnly && cols[3] !== '0A') continue;
        out.add(parseInt(cols[1]!.split(':')[1]!, 16));
      }
    } catch {
      // Process gone or no IPv6.
    }
    return out;
  };
  const needTcp = ports.filter((p) => p.protocol === 'TCP');
  const needUdp = ports.filter((p) => p.protocol === 'UDP');
  if (needTcp.length) {
    const tcp = new Set([...(await localPorts('tcp', true)), ...(await localPorts('tcp6', true))]);
    if (!needTcp.every((p) => tcp.has(p.port))) return false;
  }
  if (needUdp.length) {
    const udp = new Set([...(await localPorts('udp', false)), ...(await localPorts('udp6', false))]);
    if (!needUdp.every((p) => udp.has(p.port))) return false;
  }
  return true;
}
