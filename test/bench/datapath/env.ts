// Shared pieces of the datapath benchmark: progress log, helper builds (netbench, an
// empty tc program for timer overhead, the B5 steady-state harness), process runners and
// statistics.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..', '..');

const t0 = Date.now();
export function log(msg: string): void {
  process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

export interface Tools {
  netbench: string;
  noopObject: string;
  /** B5's steady-state harness (steady.bpf.c): bench_restore, bench_noop, bench_next */
  steadyObject: string;
  dir: string;
}

/** Compiles the helper and the bench BPF programs into a temporary directory. */
export function buildTools(): Tools {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-bench-'));
  const netbench = join(dir, 'netbench');
  execFileSync('cc', ['-O2', '-Wall', '-o', netbench, join(HERE, 'netbench.c')]);
  const noopC = join(dir, 'noop.bpf.c');
  writeFileSync(noopC, [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    'SEC("tc") int lumen_noop(struct __sk_buff *skb) { return 0; }',
    'char LICENSE[] SEC("license") = "GPL";',
  ].join('\n'));
  const noopObject = join(dir, 'noop.bpf.o');
  const bpfCflags = ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu'];
  execFileSync('clang', [...bpfCflags, '-c', noopC, '-o', noopObject]);
  const steadyObject = join(dir, 'steady.bpf.o');
  execFileSync('clang', [...bpfCflags, '-Wall', '-Werror', '-c', join(HERE, 'steady.bpf.c'), '-o', steadyObject]);
  return { netbench, noopObject, steadyObject, dir };
}

/** Runs argv to completion; resolves stdout (rejects with stderr on failure). */
export function run(argv: string[], opts: { cgroup?: string } = {}): Promise<string> {
  const cmd = opts.cgroup ? ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', opts.cgroup, ...argv] : argv;
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString());
      else reject(new Error(`[bench] ${argv.join(' ').slice(0, 200)} exited ${code}: ${Buffer.concat(err).toString().slice(-800)}`));
    });
  });
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]! };
}

export function median(xs: number[]): number {
  return stats(xs).p50;
}

export function parseSamples(out: string): number[] {
  return out.split('\n').filter(Boolean).map(Number);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
