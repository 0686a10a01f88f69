// Tests of deciding when browser mode must rebuild the renderer, on a real directory tree.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rendererStaleness } from './rendererBuild.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lumen-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string, mtimeSeconds: number): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, rel);
  utimesSync(p, mtimeSeconds, mtimeSeconds);
}

describe('rendererStaleness', () => {
  it('asks for a build when out/renderer is missing, older than a source, and not otherwise', async () => {
    file('src/renderer/main.tsx', 1000);
    file('src/shared/contract/names.ts', 1000);
    expect(await rendererStaleness(root)).toBe('out/renderer is missing');
    file('out/renderer/index.html', 2000);
    // Directories get the time of their last entry change; keep them old too.
    for (const dir of ['src/renderer', 'src/shared/contract', 'src/shared', 'src']) utimesSync(path.join(root, dir), 1000, 1000);
    expect(await rendererStaleness(root)).toBeNull();
    file('src/shared/contract/names.ts', 3000);
    expect(await rendererStaleness(root)).toBe('src/shared changed since the last build');
  });
});
