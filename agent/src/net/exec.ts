// Runs iproute2 / sysctl commands for the agent, optionally inside another network
// namespace (nsenter --net=<path>), with errors that carry the command and its stderr.
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Path of a network namespace (e.g. /proc/<pid>/ns/net) to run the command in. */
  netns?: string;
  /** Text written to the command's stdin (used with `ip -batch -`). */
  input?: string;
  /** Exit codes that count as success besides 0. */
  okCodes?: number[];
}

export class CommandError extends Error {
  constructor(readonly argv: string[], readonly code: number | null, readonly stderr: string) {
    super(`${argv.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
    this.name = 'CommandError';
  }
}

export function run(argv: string[], opts: RunOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const full = opts.netns ? ['nsenter', `--net=${opts.netns}`, '--', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err) => reject(new Error(`cannot run ${full[0]}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0 || (code !== null && opts.okCodes?.includes(code))) resolve({ code: code ?? 0, stdout, stderr });
      else reject(new CommandError(full, code, stderr));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `ip -batch -` with one command per line; stops at the first failing line (-force not used). */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  await run(['ip', '-batch', '-'], { netns, input: `${lines.join('\n')}\n` });
}

export async function ipJson<T>(args: string[], netns?: string): Promise<T> {
  const { stdout } = await run(['ip', '-j', ...args], { netns });
  return (stdout.trim() ? JSON.parse(stdout) : []) as T;
}
