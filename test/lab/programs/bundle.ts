// Bundles the lab's small programs (echo server, client, prober, kubelet port) into plain .mjs files
// with esbuild, plus the wrapper commands containers find on PATH.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const PROGRAMS = { 'echo-server': 'echo.ts', client: 'client.ts', prober: 'prober.ts', 'kubelet-port': 'kubelet-port.ts' } as const;

/** Writes <binDir>/<name>.mjs and an executable <binDir>/<name> wrapper for each program. */
export async function bundlePrograms(binDir: string, node = process.execPath): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(PROGRAMS).map(([name, file]) => [name, join(here, file)])),
    outdir: binDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const name of Object.keys(PROGRAMS)) {
    const wrapper = join(binDir, name);
    writeFileSync(wrapper, `#!/bin/sh\nexec '${node}' '${join(binDir, `${name}.mjs`)}' "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}
