// Lint: typescript-eslint's recommended rules plus the import directions of
// docs/ARCHITECTURE.md (renderer and preload never reach main or Node; shared is pure).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs',
  'fs/promises', 'http', 'http2', 'https', 'module', 'net', 'os', 'path', 'process',
  'readline', 'stream', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
const noNode = [
  { group: ['node:*'], message: 'Node built-ins are main-process only.' },
  ...nodeBuiltins.map((name) => ({ group: [name], message: 'Node built-ins are main-process only.' })),
];
const noMain = { group: ['**/main/**', '**/main'], message: 'Only src/shared/contract connects to main.' };

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', '.lab/**', '.artifacts/**', 'agent/native/build/**', 'bpf/.output/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [...noNode, noMain, { group: ['electron'], message: 'The renderer talks to main only through the contract client.' }] }],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noNode, noMain] }] },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...noNode, noMain,
          { group: ['electron', 'react', 'react-dom', '@kubernetes/*', 'ws'], message: 'src/shared is platform-free.' },
          { group: ['**/renderer/**', '**/preload/**', '**/agent/**'], message: 'src/shared imports nothing above it.' }],
      }],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**', '**/preload/**'], message: 'main and renderer meet only in src/shared/contract.' }] }] },
  },
  {
    files: ['agent/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/main/**', '**/src/renderer/**', '**/src/preload/**'], message: 'The agent shares only src/shared with the console.' }] }] },
  },
);
