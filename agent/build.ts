// Bundles lumen-agent (agent/src/main.ts → dist/agent/lumen-agent.mjs) and the `lumen`
// CLI (agent/src/cli/main.ts → dist/agent/lumen.mjs) with esbuild. The native addon, the
// BPF objects and the CNI plugin are not bundled: a banner points LUMEN_NATIVE,
// (alias LUMEN_BPF_ADDON), LUMEN_BPF_DIR and LUMEN_CNI_BIN at their places relative to the bundle (the repo
// layout, which the agent image keeps) unless the environment already sets them.
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/agent');

const banner = [
  '// lumen bundle: built by agent/build.ts',
  "import { createRequire as __lumenCreateRequire } from 'node:module';",
  "import { fileURLToPath as __lumenFileURLToPath } from 'node:url';",
  "import { dirname as __lumenDirname, join as __lumenJoin } from 'node:path';",
  'const require = __lumenCreateRequire(import.meta.url);',
  'const __lumenRoot = __lumenJoin(__lumenDirname(__lumenFileURLToPath(import.meta.url)), "..", "..");',
  'process.env.LUMEN_ROOT ??= __lumenRoot;',
  'process.env.LUMEN_NATIVE ??= process.env.LUMEN_BPF_ADDON ?? __lumenJoin(__lumenRoot, "agent/native/build/Release/lumen_bpf.node");',
  // agent/native/binding.ts reads LUMEN_BPF_ADDON.
  'process.env.LUMEN_BPF_ADDON ??= process.env.LUMEN_NATIVE;',
  'process.env.LUMEN_BPF_DIR ??= __lumenJoin(__lumenRoot, "bpf/.output");',
  'process.env.LUMEN_CNI_BIN ??= __lumenJoin(__lumenRoot, "agent/cni/lumen-cni");',
].join('\n');

/** `.node` addons are loaded at run time from LUMEN_NATIVE, never inlined. */
const nativeExternal: Plugin = {
  name: 'lumen-native-external',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
  },
};

async function main(): Promise<void> {
  const entries = [
    { in: 'agent/src/main.ts', out: 'lumen-agent' },
    { in: 'agent/src/cli/main.ts', out: 'lumen' },
  ].filter((e) => {
    if (existsSync(join(root, e.in))) return true;
    console.warn(`[build:agent] ${e.in} does not exist yet: skipping ${e.out}.mjs`);
    return false;
  });
  const t0 = Date.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    banner: { js: banner },
    plugins: [nativeExternal],
    // Optional dependencies of bundled packages that the agent never uses.
    external: ['bufferutil', 'utf-8-validate'],
  });
  for (const out of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs'))) {
    const size = (await stat(join(root, out))).size;
    console.log(`[build:agent] ${relative(root, join(root, out))} ${(size / 1024).toFixed(0)} KiB`);
  }
  console.log(`[build:agent] done in ${Date.now() - t0} ms`);
}

main().catch((err: unknown) => {
  console.error('[build:agent] failed:', err);
  process.exit(1);
});
