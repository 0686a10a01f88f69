// electron-vite build of the three parts: main (ESM), preload (one sandbox-compatible CJS file), renderer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { rendererViteConfig } from './src/main/host/rendererConfig.js';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: { input: { index: path.join(root, 'src/main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads cannot load ES modules or chunks: one CommonJS file, and only
      // `electron` left as a runtime require.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: path.join(root, 'src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: rendererViteConfig(root),
});
