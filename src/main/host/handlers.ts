// The handler table of every contract channel over the main-side services: the single logic path.
import { LumenError } from '../../shared/contract/index.js';
import type { Services } from '../services.js';
import { agentsOf } from '../agents/index.js';
import { realizedService } from '../agents/realized.js';
import { installServiceOf } from '../install/service.js';
import { statusServiceOf } from '../install/status/service.js';
import { createDispatcher, type Dispatcher, type HandlerTable } from './dispatch.js';

export function handlerTable(services: Services): HandlerTable {
  return {
    'app:info': () => services.app,
    'kubeconfig:get': async () => (await services.kubeconfig.current()).state,
    'kubeconfig:reload': () => services.kubeconfig.reload(),
    'cluster:connect': ({ context }) => services.connection.connect(context),
    'cluster:disconnect': () => services.connection.disconnect(),
    'cluster:state': () => services.connection.state(),
    'watch:subscribe': ({ kinds }, peer) => ({ subscription: services.watches.subscribe(peer, kinds) }),
    'watch:unsubscribe': ({ subscription }, peer) => {
      if (!services.watches.unsubscribe(peer, subscription)) {
        throw LumenError.of('not-found', `no watch subscription ${subscription} for this window`);
      }
      return {};
    },
    'watch:status': () => services.watches.statuses(),
    'services:realized': (request) => realizedService(agentsOf(services), request),
    'install:start': ({ context }) => installServiceOf(services).start(context),
    'install:state': () => installServiceOf(services).state(),
    'install:options': ({ options }) => installServiceOf(services).options(options),
    'install:plan': () => installServiceOf(services).plan(),
    'install:apply': ({ forceConflicts }) => installServiceOf(services).apply(forceConflicts),
    'install:rollback': () => installServiceOf(services).rollback(),
    'install:check': () => installServiceOf(services).check(),
    'install:cancel': () => installServiceOf(services).cancel(),
    'install:uninstall': ({ context }) => installServiceOf(services).uninstall(context),
    'install:save': ({ suggestedName, content }) => installServiceOf(services).save(suggestedName, content),
    'status:get': () => statusServiceOf(services).get(),
  };
}

/**
 * The dispatch function both hosts call, with service events forwarded to every peer and
 * a peer's subscriptions dropped when it goes away. Returns a disposer for the forwarding.
 */
export function registerHandlers(services: Services): Dispatcher & { dispose(): void } {
  const dispatcher = createDispatcher(handlerTable(services), {
    onPeerRemoved: (peer) => services.watches.dropSubscriber(peer),
  });
  const off = services.bus.on((event, payload) => dispatcher.broadcast(event, payload));
  return Object.assign(dispatcher, { dispose: off });
}
