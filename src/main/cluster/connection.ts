// The current cluster connection: connect/disconnect, its state (pushed as events), its watch caches.
import { LumenError, toErrorPayload, type ConnectionInfo, type ConnectionState } from '../../shared/contract/index.js';
import type { EventBus } from '../events.js';
import { logger } from '../log.js';
import { connectToTarget, type PermissionCheck } from './connect.js';
import type { ExecCredentials } from './exec.js';
import { KubeHttp } from './http.js';
import { buildContextTarget } from './kubeconfig/clientConfig.js';
import type { KubeconfigService } from './kubeconfig/service.js';
import { kubeWatchTransport } from './watch/transport.js';
import type { WatchHub } from './watch/hub.js';

const log = logger('cluster:connection');

export interface ConnectionServiceOptions {
  kubeconfig: KubeconfigService;
  exec: ExecCredentials;
  watches: WatchHub;
  bus: EventBus;
  timeoutMs?: number;
  permissions?: readonly PermissionCheck[];
}

export class ConnectionService {
  private current: ConnectionState = { status: 'disconnected', context: null, server: null, info: null, error: null, since: Date.now() };
  private attempt = 0;
  private controller: AbortController | undefined;

  constructor(private readonly options: ConnectionServiceOptions) {}

  state(): ConnectionState {
    return this.current;
  }

  /** Connects to `context`, replacing any connection; a newer connect supersedes this one. */
  async connect(context: string): Promise<ConnectionInfo> {
    const attempt = ++this.attempt;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.options.watches.detach();
    const { merged, state } = await this.options.kubeconfig.current();
    const server = state.contexts.find((c) => c.name === context)?.server ?? null;
    this.setState({ status: 'connecting', context, server, info: null, error: null });
    try {
      const target = buildContextTarget(merged, context, this.options.exec);
      const info = await connectToTarget(target, {
        signal: controller.signal,
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.permissions ? { permissions: this.options.permissions } : {}),
        onUnauthorized: () => this.options.exec.invalidate(target.user),
      });
      if (attempt !== this.attempt) throw LumenError.of('not-connected', `connecting to "${context}" was cancelled by a newer connect`, { context });
      const client = new KubeHttp(target);
      this.options.watches.attach({ transport: kubeWatchTransport(client), classify: (error) => client.classify(error) });
      this.setState({ status: 'connected', context, server: target.server, info, error: null });
      return info;
    } catch (error) {
      const typed = error instanceof LumenError ? error : LumenError.of('internal', `connecting to "${context}" failed: ${error instanceof Error ? error.message : String(error)}`, { context }, error);
      if (attempt === this.attempt) {
        log.warn(`connect to ${context} failed: ${typed.message}`, { code: typed.code });
        this.setState({ status: 'failed', context, server, info: null, error: toErrorPayload(typed) });
      }
      throw typed;
    }
  }

  disconnect(): ConnectionState {
    this.attempt++;
    this.controller?.abort();
    this.controller = undefined;
    this.options.watches.detach();
    if (this.current.status !== 'disconnected') this.setState({ status: 'disconnected', context: null, server: null, info: null, error: null });
    return this.current;
  }

  dispose(): void {
    this.disconnect();
  }

  private setState(next: Omit<ConnectionState, 'since'>): void {
    this.current = { ...next, since: Date.now() };
    this.options.bus.emit('cluster:state', this.current);
  }
}
