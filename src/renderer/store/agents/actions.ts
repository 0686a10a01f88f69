// Polls the agents' realized state of the selected service while the services view shows it: every few seconds and shortly after its EndpointSlices change.
import { LumenError, type LumenClient, type LumenErrorPayload } from '../../../shared/contract/index.js';
import type { LumenStore } from '../index.js';
import { emptyRealized } from './slice.js';

export interface AgentsActions {
  /** Starts following `serviceKey`'s realized state (replacing any other); returns the stop function. */
  watchRealized(serviceKey: string): () => void;
  /** Fetches now (the refresh button). */
  refreshRealized(): void;
}

export interface AgentsActionsOptions {
  pollMs?: number;
  /** Delay after an EndpointSlice change before asking: the agents reconcile first. */
  settleMs?: number;
}

function payloadOf(error: unknown): LumenErrorPayload {
  if (error instanceof LumenError) return error.payload;
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function createAgentsActions(client: LumenClient, store: LumenStore, options: AgentsActionsOptions = {}): AgentsActions {
  const pollMs = options.pollMs ?? 3_000;
  const settleMs = options.settleMs ?? 400;
  const s = () => store.getState();
  let current: { key: string; stop(): void; fetch(): void } | null = null;

  function follow(key: string): { key: string; stop(): void; fetch(): void } {
    let stopped = false;
    let inFlight = false;
    let again = false;
    let settle: ReturnType<typeof setTimeout> | undefined;
    const [namespace = '', name = ''] = key.split('/', 2);

    const fetch = (): void => {
      if (stopped) return;
      if (inFlight) {
        again = true;
        return;
      }
      const desired = s().services.index.get(key);
      inFlight = true;
      s().setRealized({ loading: true });
      client
        .call('services:realized', { service: { namespace, name }, frontends: (desired?.frontends ?? []).map((f) => f.key) })
        .then((response) => {
          if (!stopped) s().setRealized({ service: key, response, error: null, loading: false, at: Date.now() });
        })
        .catch((error: unknown) => {
          if (!stopped) s().setRealized({ service: key, error: payloadOf(error), loading: false, at: Date.now() });
        })
        .finally(() => {
          inFlight = false;
          if (again && !stopped) {
            again = false;
            fetch();
          }
        });
    };

    const timer = setInterval(fetch, pollMs);
    // The row of this service is a new object exactly when its Service or EndpointSlices changed.
    let row = s().services.rows.get(key);
    const off = store.subscribe((state) => {
      const next = state.services.rows.get(key);
      if (next === row) return;
      row = next;
      clearTimeout(settle);
      settle = setTimeout(fetch, settleMs);
    });
    fetch();
    return {
      key,
      fetch,
      stop() {
        stopped = true;
        clearInterval(timer);
        clearTimeout(settle);
        off();
      },
    };
  }

  return {
    watchRealized(serviceKey) {
      current?.stop();
      if (s().agents.realized.service !== serviceKey) s().setRealized({ ...emptyRealized, service: serviceKey });
      const mine = follow(serviceKey);
      current = mine;
      return () => {
        mine.stop();
        if (current === mine) current = null;
      };
    },
    refreshRealized() {
      current?.fetch();
    },
  };
}
