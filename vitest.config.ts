// Test projects. unit: pure tests beside the code, no root or kernel features.
// kernel: BPF programs and the addon against the running kernel (root).
// lab: integration tests against a real lab cluster (root). e2e: Playwright + Chromium
// against browser mode connected to the lab.
import { defineConfig } from 'vitest/config';

const slow = { testTimeout: 300_000, hookTimeout: 600_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.{ts,tsx}', 'agent/**/*.test.ts', 'resources/**/*.test.ts', 'test/lab/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.kernel.test.ts', '**/*.lab.test.ts'],
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['bpf/tests/**/*.test.ts', 'agent/**/*.kernel.test.ts'],
          fileParallelism: false,
          ...slow,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/integration/**/*.test.ts', 'test/lab/**/*.lab.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          fileParallelism: false,
          ...slow,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          ...slow,
        },
      },
    ],
  },
});
