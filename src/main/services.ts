// Builds every main-side service once; both hosts (IPC and WebSocket) serve the same instance.
import { readFileSync } from 'node:fs';
import type { AppInfo } from '../shared/contract/index.js';
import { ConnectionService } from './cluster/connection.js';
import type { PermissionCheck } from './cluster/connect.js';
import { ExecCredentials } from './cluster/exec.js';
import { KubeconfigService } from './cluster/kubeconfig/service.js';
import { WatchHub } from './cluster/watch/hub.js';
import { EventBus } from './events.js';

export interface Services {
  app: AppInfo;
  bus: EventBus;
  exec: ExecCredentials;
  kubeconfig: KubeconfigService;
  watches: WatchHub;
  connection: ConnectionService;
  dispose(): void;
}

export interface ServicesOptions {
  mode: AppInfo['mode'];
  env?: NodeJS.ProcessEnv;
  home?: string;
  watchFiles?: boolean;
  connectTimeoutMs?: number;
  permissions?: readonly PermissionCheck[];
  exec?: ExecCredentials;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    // Bundled builds have no package.json next to them; the version is informational.
    return process.env.npm_package_version ?? '0.0.0';
  }
}

export function createServices(options: ServicesOptions): Services {
  const bus = new EventBus();
  const exec = options.exec ?? new ExecCredentials();
  const kubeconfig = new KubeconfigService({
    exec,
    ...(options.env ? { env: options.env } : {}),
    ...(options.home ? { home: options.home } : {}),
    ...(options.watchFiles !== undefined ? { watchFiles: options.watchFiles } : {}),
  });
  const watches = new WatchHub({ broadcast: (event, payload) => bus.emit(event, payload) });
  const connection = new ConnectionService({
    kubeconfig,
    exec,
    watches,
    bus,
    ...(options.connectTimeoutMs ? { timeoutMs: options.connectTimeoutMs } : {}),
    ...(options.permissions ? { permissions: options.permissions } : {}),
  });
  kubeconfig.onChange((state) => bus.emit('kubeconfig:changed', state));
  return {
    app: { name: 'Lumen', version: packageVersion(), mode: options.mode, platform: `${process.platform}-${process.arch}` },
    bus,
    exec,
    kubeconfig,
    watches,
    connection,
    dispose() {
      connection.dispose();
      watches.dispose();
      kubeconfig.dispose();
    },
  };
}
