// Polls status:get while the Status view is open (never two calls at once), so the view refreshes live.
import { LumenError, type LumenClient } from '../../../shared/contract/index.js';
import type { LumenStore } from '../index.js';

export interface StatusActions {
  /** Starts polling; returns the stop function. */
  watchStatus(): () => void;
  refreshStatus(): Promise<void>;
}

export function createStatusActions(client: LumenClient, store: LumenStore, options: { pollMs?: number } = {}): StatusActions {
  const pollMs = options.pollMs ?? 3000;
  const s = () => store.getState();
  let inFlight: Promise<void> | null = null;

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      s().setClusterStatus({ loading: true });
      try {
        const data = await client.call('status:get', {});
        s().setClusterStatus({ data, error: null });
      } catch (error) {
        s().setClusterStatus({ error: error instanceof LumenError ? error.payload : { code: 'internal', message: String(error) } });
      } finally {
        s().setClusterStatus({ loading: false });
        inFlight = null;
      }
    })();
    return inFlight;
  };

  return {
    watchStatus() {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = async () => {
        await refresh();
        if (!stopped) timer = setTimeout(() => void tick(), pollMs);
      };
      void tick();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
    refreshStatus: refresh,
  };
}
