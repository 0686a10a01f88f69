// Builds out/renderer for browser mode when it is missing or older than its sources.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const SOURCES = ['src/renderer', 'src/shared', 'src/main/host/rendererConfig.ts', 'src/main/host/csp.ts', 'package-lock.json'];

async function newestMtime(target: string): Promise<number> {
  let s;
  try {
    s = await stat(target);
  } catch {
    return 0;
  }
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

/** Why a build is needed, or null when out/renderer is current. */
export async function rendererStaleness(repoRoot: string): Promise<string | null> {
  const index = path.join(repoRoot, 'out/renderer/index.html');
  if (!existsSync(index)) return 'out/renderer is missing';
  const built = (await stat(index)).mtimeMs;
  for (const source of SOURCES) {
    if ((await newestMtime(path.join(repoRoot, source))) > built) return `${source} changed since the last build`;
  }
  return null;
}

export async function ensureRendererBuilt(repoRoot: string, options: { force?: boolean; say?: (line: string) => void } = {}): Promise<boolean> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const reason = options.force ? 'a rebuild was asked for' : await rendererStaleness(repoRoot);
  if (!reason) return false;
  say(`Building the console renderer (${reason})...`);
  const started = Date.now();
  // Loaded here so running from a current build does not pay for importing Vite.
  const [{ build }, { rendererViteConfig }] = await Promise.all([import('vite'), import('./rendererConfig.js')]);
  await build({ ...rendererViteConfig(repoRoot), configFile: false, logLevel: 'warn', mode: 'production' });
  say(`Renderer built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
