// `npm run serve`: browser mode. Builds the renderer if needed, serves it on 127.0.0.1 and
// carries the contract over a token-protected WebSocket to the same services as desktop mode.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registerHandlers } from './host/handlers.js';
import { ensureRendererBuilt } from './host/rendererBuild.js';
import { startBrowserHost, type BrowserHost } from './host/ws.js';
import { createServices, type Services } from './services.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServeOptions {
  port?: number;
  build?: boolean;
  env?: NodeJS.ProcessEnv;
  token?: string;
}

export interface RunningConsole {
  host: BrowserHost;
  services: Services;
  close(): Promise<void>;
}

export async function serveConsole(options: ServeOptions = {}): Promise<RunningConsole> {
  if (options.build !== false) await ensureRendererBuilt(repoRoot);
  const services = createServices({ mode: 'browser', ...(options.env ? { env: options.env } : {}) });
  const dispatcher = registerHandlers(services);
  // Load the kubeconfig now so file errors show in the log at start, not at first click.
  await services.kubeconfig.current();
  const host = await startBrowserHost({
    dispatcher,
    rendererDir: path.join(repoRoot, 'out/renderer'),
    ...(options.port ? { port: options.port } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  return {
    host,
    services,
    async close() {
      await host.close();
      dispatcher.dispose();
      services.dispose();
    },
  };
}

function usage(): string {
  return 'usage: npm run serve -- [--port N] [--no-build]\n' +
    '  Serves the Lumen console on http://127.0.0.1:N (default: a free port) for a browser.\n' +
    '  Uses KUBECONFIG (default ~/.kube/config) like kubectl.\n';
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { port: { type: 'string' }, 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    process.stderr.write(`lumen serve: ${(error as Error).message}\n${usage()}`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write(usage());
    return;
  }
  let port = 0;
  if (args.values.port !== undefined) {
    port = Number(args.values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`lumen serve: --port must be a number from 0 to 65535, got "${args.values.port}"\n`);
      process.exit(2);
    }
  }
  const running = await serveConsole({ port, build: !args.values['no-build'] });
  const { state } = await running.services.kubeconfig.current();
  process.stdout.write(
    `Kubeconfig: ${state.files.map((f) => `${f.path}${f.exists ? '' : ' (missing)'}`).join(', ')} — ${state.contexts.length} contexts` +
      `${state.errors.length ? `, ${state.errors.length} file errors` : ''}\n`,
  );
  process.stdout.write(`Lumen console: ${running.host.url}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`lumen serve: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}
