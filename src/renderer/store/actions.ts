// Actions that talk to main through the client and feed the store; the only place views cause I/O.
import { LumenError, resourceKinds, type LumenErrorPayload } from '../../shared/contract/index.js';
import type { PageClient } from '../client/index.js';
import { formatRoute, parseRoute, sameRoute, type Route } from '../router/routes.js';
import type { LumenStore } from './index.js';
import { createAgentsActions, type AgentsActions } from './agents/actions.js';
import { createInstallActions, type InstallActions } from './install/actions.js';
import { createStatusActions, type StatusActions } from './status/actions.js';

export interface Actions extends AgentsActions, InstallActions, StatusActions {
  start(): Promise<void>;
  reloadKubeconfig(): Promise<void>;
  connect(context: string): Promise<void>;
  disconnect(): Promise<void>;
  navigate(route: Route): void;
  selectContext(name: string): void;
  setPaletteOpen(open: boolean): void;
  dispose(): void;
}

function payloadOf(error: unknown): LumenErrorPayload {
  if (error instanceof LumenError) return error.payload;
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function createActions(page: PageClient, store: LumenStore): Actions {
  const { client } = page;
  const offs: (() => void)[] = [];
  const s = () => store.getState();

  const syncRouteFromHash = () => {
    const route = parseRoute(window.location.hash);
    if (!sameRoute(route, s().ui.route)) s().setRoute(route);
  };

  /** Everything main knows, fetched again after every (re)link. */
  async function refresh(): Promise<void> {
    const [app, kubeconfig, connection] = await Promise.all([
      client.call('app:info', {}),
      client.call('kubeconfig:get', {}),
      client.call('cluster:state', {}),
    ]);
    s().setApp(app);
    s().setKubeconfig(kubeconfig);
    s().setConnection(connection);
    const { subscription } = await client.call('watch:subscribe', { kinds: [...resourceKinds] });
    s().setSubscription(subscription);
  }

  const actions: Actions = {
    ...createAgentsActions(client, store),
    ...createInstallActions(client, store),
    ...createStatusActions(client, store),
    async start() {
      offs.push(
        client.on('kubeconfig:changed', (state) => s().setKubeconfig(state)),
        client.on('cluster:state', (state) => {
          const previous = s().connection.state;
          s().setConnection(state);
          if (state.status !== 'connected' || state.context !== previous.context) {
            if (previous.status === 'connected') s().resetResources();
          }
        }),
        client.on('watch:delta', (delta) => s().applyDelta(delta)),
        client.on('watch:status', (status) => s().setWatchStatus(status)),
        page.onReopen(() => {
          refresh().catch((error) => s().setKubeconfigError(payloadOf(error)));
        }),
      );
      window.addEventListener('hashchange', syncRouteFromHash);
      offs.push(() => window.removeEventListener('hashchange', syncRouteFromHash));
      syncRouteFromHash();
      if (page.missingToken) {
        s().setMissingToken(true);
        return;
      }
      s().setKubeconfigLoading();
      try {
        await refresh();
      } catch (error) {
        s().setKubeconfigError(payloadOf(error));
      }
    },

    async reloadKubeconfig() {
      s().setKubeconfigLoading();
      try {
        s().setKubeconfig(await client.call('kubeconfig:reload', {}));
      } catch (error) {
        s().setKubeconfigError(payloadOf(error));
      }
    },

    async connect(context) {
      actions.selectContext(context);
      try {
        await client.call('cluster:connect', { context });
      } catch (error) {
        const payload = payloadOf(error);
        // Main already pushed a `failed` state for cluster errors; only a lost link needs recording here.
        const current = s().connection.state;
        if (current.context !== context || current.status !== 'failed') {
          s().setConnection({ status: 'failed', context, server: current.server, info: null, error: payload, since: Date.now() });
        }
      }
    },

    async disconnect() {
      try {
        s().setConnection(await client.call('cluster:disconnect', {}));
        s().resetResources();
      } catch (error) {
        s().setKubeconfigError(payloadOf(error));
      }
    },

    navigate(route) {
      s().setRoute(route);
      const hash = formatRoute(route);
      if (window.location.hash !== hash) window.location.hash = hash;
    },

    selectContext(name) {
      actions.navigate({ ...s().ui.route, view: 'connect', context: name });
    },

    setPaletteOpen(open) {
      s().setPaletteOpen(open);
    },

    dispose() {
      for (const off of offs.splice(0)) off();
    },
  };
  return actions;
}
