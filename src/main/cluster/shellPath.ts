// The user's login-shell PATH (GUI apps do not inherit it) and command lookup on a PATH.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../log.js';
import { runCaptured } from './run.js';

const log = logger('cluster:path');
const MARK = '__LUMEN_PATH__';

export interface ShellPath {
  path: string;
  source: 'login-shell' | 'process';
  /** Why the login shell was not used, when it was not. */
  note?: string;
}

export interface ShellPathOptions {
  shell?: string | undefined;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Asks `$SHELL -ilc` for its PATH. Markers around the value skip whatever the profile
 * prints; a shell that hangs (waiting on a prompt) is killed after the timeout and the
 * process PATH is used instead.
 */
export function resolveLoginShellPath(options: ShellPathOptions = {}): Promise<ShellPath> {
  const env = options.env ?? process.env;
  const fallback = env.PATH ?? '';
  const shell = options.shell ?? env.SHELL;
  if (!shell || process.platform === 'win32') {
    return Promise.resolve({ path: fallback, source: 'process', note: 'no login shell ($SHELL unset)' });
  }
  return runCaptured(shell, ['-ilc', `printf '${MARK}%s${MARK}' "$PATH"`], { env, timeoutMs: options.timeoutMs ?? 5_000 }).then(
    ({ stdout, timedOut, spawnError, code }) => {
      const match = new RegExp(`${MARK}(.*?)${MARK}`, 's').exec(stdout);
      if (match?.[1]) return { path: match[1], source: 'login-shell' as const };
      const why = timedOut ? 'timed out' : spawnError ? spawnError.message : `exited with ${code}`;
      const note = `login shell ${shell} gave no PATH (${why})`;
      log.warn(`${note}; using the process PATH`);
      return { path: fallback, source: 'process' as const, note };
    },
  );
}

let cached: Promise<ShellPath> | undefined;

/** Resolved once per process: exec plugins run many times. */
export function loginShellPath(): Promise<ShellPath> {
  cached ??= resolveLoginShellPath();
  return cached;
}

/** Test hook: forget the cached PATH. */
export function resetLoginShellPath(value?: ShellPath): void {
  cached = value ? Promise.resolve(value) : undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The file `command` runs as: itself when it has a slash, else the first hit on `searchPath`. */
export async function findExecutable(command: string, searchPath: string): Promise<string | null> {
  if (command.includes('/')) return (await isExecutableFile(command)) ? command : null;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}
