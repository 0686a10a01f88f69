// `npm start`: opens the console. With a reachable cluster in KUBECONFIG it connects to
// that; with none it starts a local lab (root needed) and opens the console on the lab.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveConsole } from '../src/main/serve.js';
import { createServices } from '../src/main/services.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The current context, if the API server answers /version within a few seconds. */
async function reachableContext(): Promise<{ context: string | null; why: string }> {
  const services = createServices({ mode: 'browser', watchFiles: false, connectTimeoutMs: 5_000 });
  try {
    const { state } = await services.kubeconfig.current();
    const context = state.currentContext;
    if (!context) {
      const files = state.files.map((f) => f.path).join(', ');
      return { context: null, why: `no current context in ${files || 'KUBECONFIG'}` };
    }
    try {
      const info = await services.connection.connect(context);
      return { context, why: `${context} answers (${info.version.gitVersion})` };
    } catch (error) {
      return { context: null, why: `context ${context}: ${(error as Error).message}` };
    }
  } finally {
    services.dispose();
  }
}

/** The Electron binary, when the electron package could download it on this machine. */
function electronBinary(): string | null {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[]): void {
  const result = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

/** Keeps the process up until Ctrl+C, then runs the clean-up. */
function untilSignal(cleanup: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      log('lumen: stopping…');
      cleanup().then(resolve, (error: Error) => {
        log(`lumen: clean-up failed: ${error.message}`);
        resolve();
      });
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  });
}

async function openConsole(env: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const electron = electronBinary();
  if (electron) {
    run('npx', ['electron-vite', 'build']);
    const child = spawn(electron, ['.'], { cwd: repoRoot, env, stdio: 'inherit' });
    return async () => void child.kill('SIGTERM');
  }
  const running = await serveConsole({ env });
  log('lumen: the Electron binary is not installed here, so the console runs in browser mode.');
  process.stdout.write(`\nLumen console: ${running.host.url}\n(open it in a browser on this machine; Ctrl+C stops)\n\n`);
  if (process.env.DISPLAY) spawn('xdg-open', [running.host.url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  return () => running.close();
}

async function main(): Promise<void> {
  const found = await reachableContext();
  if (found.context) {
    log(`lumen: using ${found.why}`);
    const close = await openConsole(process.env);
    await untilSignal(close);
    return;
  }
  log(`lumen: no reachable cluster (${found.why}); starting a local lab cluster instead.`);
  if (process.getuid?.() !== 0) {
    throw new Error('the lab needs root (network namespaces, BPF); run `sudo npm start`, or point KUBECONFIG at a cluster');
  }
  // The lab's API lives with the tests; imported only on this path.
  const { ensureControlPlane, startLab } = await import('../test/lab/index.js');
  for (const script of ['build:bpf', 'build:native', 'build:cni', 'build:agent']) run('npm', ['run', '-s', script]);
  const controlPlane = await ensureControlPlane({ log });
  const lab = await startLab({ nodes: 2, log, controlPlane });
  log(`lumen: lab ${lab.instance} is up; kubeconfig ${lab.kubeconfig}`);
  const close = await openConsole({ ...process.env, KUBECONFIG: lab.kubeconfig });
  await untilSignal(async () => {
    await close();
    await lab.stop();
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`lumen: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
