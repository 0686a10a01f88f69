// Polling of the realized state: asks with the service's frontends, again on a timer and after its EndpointSlices change, never in parallel, stops on close.
// The contract client is replaced by a recorder here (the timing is what is tested); the real channel runs in test/e2e/services.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LumenClient, RealizedServiceResponse, WatchDelta, WireObject } from '../../../shared/contract/index.js';
import { createLumenStore } from '../index.js';
import { serviceObject, sliceObject } from '../services/testing.js';
import { createAgentsActions } from './actions.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup() {
  const store = createLumenStore();
  const calls: unknown[] = [];
  let answer: (r: RealizedServiceResponse) => void = () => {};
  const client = {
    mode: 'browser',
    call: (channel: string, request: unknown) => {
      calls.push({ channel, request });
      return new Promise((resolve) => (answer = resolve));
    },
    on: () => () => {},
  } as unknown as LumenClient;
  const put = (kind: WatchDelta['kind'], upserted: WireObject[], reset = false) =>
    store.getState().applyDelta({ subscription: 's', kind, source: reset ? 'snapshot' : 'watch', reset, upserted, deleted: [], resourceVersion: '1' });
  store.getState().setSubscription('s');
  put('services', [serviceObject('shop', 'web', '10.96.0.10')], true);
  put('endpointslices', [sliceObject('shop', 'web', [{ ip: '10.200.0.1' }])], true);
  store.getState().flushServices();
  return { store, calls, put, reply: (r: RealizedServiceResponse) => answer(r), actions: createAgentsActions(client, store, { pollMs: 3000, settleMs: 400 }) };
}

describe('watchRealized', () => {
  it('polls the selected service without overlapping calls, and follows its EndpointSlices', async () => {
    const { store, calls, put, reply, actions } = setup();
    const stop = actions.watchRealized('shop/web');
    expect(calls).toEqual([{ channel: 'services:realized', request: { service: { namespace: 'shop', name: 'web' }, frontends: ['10.96.0.10:80/TCP'] } }]);
    expect(store.getState().agents.realized.loading).toBe(true);

    // The timer fires while the first call is still out: no second call yet, one right after.
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls).toHaveLength(1);
    reply({ nodes: [], at: 't1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().agents.realized).toMatchObject({ service: 'shop/web', loading: true, response: { at: 't1' } });
    expect(calls).toHaveLength(2);
    reply({ nodes: [], at: 't2' });
    await vi.advanceTimersByTimeAsync(0);

    // A backend comes: asked again shortly after (before the next tick).
    put('endpointslices', [sliceObject('shop', 'web', [{ ip: '10.200.0.1' }, { ip: '10.200.0.2' }])]);
    store.getState().flushServices();
    await vi.advanceTimersByTimeAsync(399);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    reply({ nodes: [], at: 't3' });
    await vi.advanceTimersByTimeAsync(0);

    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);
    expect(store.getState().agents.realized.response?.at).toBe('t3');
  });
});
