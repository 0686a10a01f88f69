// `npm run build` (electron-vite) without the Electron binary, and the shape of what it emits:
// a single sandbox-compatible CommonJS preload that requires only `electron`, an ES module
// main, and a renderer page with the strict CSP and no inline script.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/serve.js';

const run = promisify(execFile);
const out = (...parts: string[]) => path.join(REPO_ROOT, 'out', ...parts);

describe('electron-vite build', () => {
  beforeAll(async () => {
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      maxBuffer: 16 << 20,
    });
  });

  it('bundles the preload into one CommonJS file that needs nothing but electron at runtime', () => {
    expect(readdirSync(out('preload'))).toEqual(['index.cjs']);
    const preload = readFileSync(out('preload/index.cjs'), 'utf8');
    const requires = [...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).toContain('exposeInMainWorld("lumen"');
  });

  it('emits the main process as an ES module entry', () => {
    const main = readFileSync(out('main/index.js'), 'utf8');
    expect(main).toMatch(/^import .* from "electron";$/m);
    expect(main).toContain('enableSandbox()');
  });

  it("ships a renderer page with script-src 'self' and no inline script", () => {
    const html = readFileSync(out('renderer/index.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="[^"]*script-src 'self';/);
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, body] of scripts) {
      expect(tag).toMatch(/src="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
  });
});
