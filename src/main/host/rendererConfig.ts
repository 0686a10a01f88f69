// The renderer's Vite configuration, shared by electron-vite (desktop) and browser mode's build.
import react from '@vitejs/plugin-react';
import path from 'node:path';
import type { Plugin, UserConfig } from 'vite';
import { contentSecurityPolicy, withCspMeta } from './csp.js';

/** In `vite serve` the page needs the dev server's HMR scripts; built pages keep the strict policy. */
function devCsp(): Plugin {
  let origin = 'http://localhost:5173';
  return {
    name: 'lumen:dev-csp',
    apply: 'serve',
    configureServer(server) {
      server.httpServer?.once('listening', () => {
        const url = server.resolvedUrls?.local[0];
        if (url) origin = new URL(url).origin;
      });
    },
    transformIndexHtml(html) {
      return withCspMeta(html, contentSecurityPolicy({ devServer: origin }));
    },
  };
}

export function rendererViteConfig(repoRoot: string): UserConfig {
  return {
    root: path.join(repoRoot, 'src/renderer'),
    // Relative asset URLs work from file:// (Electron) and from / (browser mode).
    base: './',
    plugins: [react(), devCsp()],
    build: {
      outDir: path.join(repoRoot, 'out/renderer'),
      emptyOutDir: true,
      target: 'chrome130',
      minify: true,
      sourcemap: true,
      reportCompressedSize: false,
    },
  };
}
