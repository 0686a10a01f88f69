// The AgentsClient of the console's current connection: one per Services, following connects and disconnects.
import { LumenError } from '../../shared/contract/index.js';
import type { ExecCredentials } from '../cluster/exec.js';
import { KubeHttp } from '../cluster/http.js';
import { buildContextTarget } from '../cluster/kubeconfig/clientConfig.js';
import type { KubeconfigService } from '../cluster/kubeconfig/service.js';
import type { ConnectionService } from '../cluster/connection.js';
import { AgentsClient, type AgentsClientOptions } from './client.js';

/** The parts of src/main/services.ts's Services the agents client needs. */
export interface ConnectedServices {
  connection: ConnectionService;
  kubeconfig: KubeconfigService;
  exec: ExecCredentials;
}

/**
 * A KubeHttp for the connected context, rebuilt only when the connection changes (its
 * `since` moves on every connect), so tokens and discoveries are cached per connection.
 */
export function connectedHttp(services: ConnectedServices): () => Promise<KubeHttp> {
  let current: { key: string; http: Promise<KubeHttp> } | null = null;
  return async () => {
    const state = services.connection.state();
    if (state.status !== 'connected' || !state.context) {
      current = null;
      throw LumenError.of('not-connected', 'not connected to a cluster: the agents are reached through its API server', {
        hint: 'Connect to a context first (Connect view).',
      });
    }
    const key = `${state.context}@${state.since}`;
    if (current?.key !== key) {
      const context = state.context;
      const http = services.kubeconfig.current().then(({ merged }) => new KubeHttp(buildContextTarget(merged, context, services.exec)));
      current = { key, http };
      http.catch(() => {
        if (current?.http === http) current = null;
      });
    }
    return current.http;
  };
}

const clients = new WeakMap<ConnectedServices, AgentsClient>();

/**
 * The one AgentsClient of a Services instance (handlers of every domain share it, and with
 * it the token and the discovery cache).
 */
export function agentsOf(services: ConnectedServices, options: Omit<AgentsClientOptions, 'http'> = {}): AgentsClient {
  let client = clients.get(services);
  if (!client) {
    client = new AgentsClient({ ...options, http: connectedHttp(services) });
    clients.set(services, client);
  }
  return client;
}
