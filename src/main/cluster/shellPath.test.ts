// Tests of the login-shell PATH lookup with a real bash and a throwaway HOME.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, resolveLoginShellPath } from './shellPath.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'lumen-shell-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('resolveLoginShellPath', () => {
  it('returns the PATH a login shell sets up, ignoring what the profile prints', async () => {
    writeFileSync(path.join(home, '.bash_profile'), 'echo "Welcome back!"\nexport PATH="/opt/lumen-test/bin:$PATH"\n');
    const result = await resolveLoginShellPath({ shell: '/bin/bash', env: { HOME: home, PATH: '/usr/bin:/bin' } });
    expect(result.source).toBe('login-shell');
    // /etc/profile may rebuild PATH; what the user's own profile adds must be there, first.
    expect(result.path.startsWith('/opt/lumen-test/bin:')).toBe(true);
    expect(result.path.split(':')).toContain('/usr/bin');
  });

  it('falls back to the process PATH when the shell hangs', async () => {
    writeFileSync(path.join(home, '.bash_profile'), 'sleep 20\n');
    const started = Date.now();
    const result = await resolveLoginShellPath({ shell: '/bin/bash', timeoutMs: 500, env: { HOME: home, PATH: '/usr/bin:/bin' } });
    expect(result).toMatchObject({ path: '/usr/bin:/bin', source: 'process' });
    expect(result.note).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('falls back when there is no shell', async () => {
    expect(await resolveLoginShellPath({ env: { PATH: '/x' } })).toMatchObject({ path: '/x', source: 'process' });
    expect(await resolveLoginShellPath({ shell: '/nonexistent/shell', env: { PATH: '/y' } })).toMatchObject({ path: '/y', source: 'process' });
  });
});

describe('findExecutable', () => {
  it('searches PATH in order and skips non-executable files and directories', async () => {
    const a = path.join(home, 'a');
    const b = path.join(home, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(path.join(a, 'tool'), 'not executable');
    mkdirSync(path.join(a, 'dir-tool'));
    writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(b, 'tool'), 0o755);
    expect(await findExecutable('tool', `${a}:${b}`)).toBe(path.join(b, 'tool'));
    expect(await findExecutable('dir-tool', `${a}:${b}`)).toBeNull();
    expect(await findExecutable(path.join(b, 'tool'), '')).toBe(path.join(b, 'tool'));
    expect(await findExecutable(path.join(a, 'tool'), '')).toBeNull();
  });
});
