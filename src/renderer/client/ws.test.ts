// Tests of the browser-mode transport's call/answer pairing, queueing and reconnects. The
// socket is a stand-in (unit tests run without a browser); the real one is driven by e2e.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LumenError } from '../../shared/contract/index.js';
import { createWebSocketTransport, type LinkStatus } from './ws.js';

class StandInSocket {
  static all: StandInSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  constructor(readonly url: string) {
    StandInSocket.all.push(this);
  }
  send(frame: string) {
    this.sent.push(frame);
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  answer(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

afterEach(() => {
  StandInSocket.all = [];
  vi.useRealTimers();
});

function setup() {
  const links: LinkStatus[] = [];
  const transport = createWebSocketTransport({
    url: 'ws://127.0.0.1:1/lumen-ws?token=t',
    onLink: (l) => links.push(l),
    createSocket: (url) => new StandInSocket(url) as unknown as WebSocket,
  });
  return { transport, links, socket: () => StandInSocket.all.at(-1)! };
}

describe('createWebSocketTransport', () => {
  it('queues calls until the socket opens and pairs answers by id', async () => {
    const { transport, socket } = setup();
    const first = transport.invoke('app:info', {});
    const second = transport.invoke('cluster:state', {});
    expect(socket().sent).toEqual([]);
    socket().open();
    expect(socket().sent.map((f) => JSON.parse(f) as { id: number; channel: string })).toEqual([
      { id: 1, channel: 'app:info', request: {} },
      { id: 2, channel: 'cluster:state', request: {} },
    ]);
    socket().answer({ id: 2, result: { ok: true, value: 'two' } });
    socket().answer({ id: 1, result: { ok: true, value: 'one' } });
    await expect(first).resolves.toEqual({ ok: true, value: 'one' });
    await expect(second).resolves.toEqual({ ok: true, value: 'two' });
  });

  it('routes pushed events to their listeners', () => {
    const { transport, socket } = setup();
    socket().open();
    const seen: unknown[] = [];
    const off = transport.subscribe('cluster:state', (p) => seen.push(p));
    socket().answer({ event: 'cluster:state', payload: { status: 'connecting' } });
    socket().answer({ event: 'kubeconfig:changed', payload: {} });
    off();
    socket().answer({ event: 'cluster:state', payload: { status: 'connected' } });
    expect(seen).toEqual([{ status: 'connecting' }]);
  });

  it('fails calls in flight when the socket drops, reconnects with backoff and reports the link', async () => {
    vi.useFakeTimers();
    const { transport, socket, links } = setup();
    const reopened = vi.fn();
    transport.onReopen(reopened);
    socket().open();
    const call = transport.invoke('app:info', {});
    const first = socket();
    first.close();
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LumenError);
    expect((error as LumenError).code).toBe('transport');
    expect(links.map((l) => l.state)).toEqual(['connecting', 'open', 'lost']);
    await vi.advanceTimersByTimeAsync(400);
    expect(StandInSocket.all).toHaveLength(2);
    socket().open();
    expect(reopened).toHaveBeenCalledTimes(1);
    expect(links.at(-1)).toEqual({ state: 'open', failures: 0, retryAt: null });
    transport.close();
  });
});
