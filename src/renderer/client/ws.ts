// Browser mode's transport: the contract over a WebSocket, calls queued while reconnecting.
import { transportError, type EventChannel, type RawTransport, type RequestChannel } from '../../shared/contract/index.js';
import { Backoff } from '../../shared/watch/backoff.js';

export type LinkState = 'connecting' | 'open' | 'lost';

export interface LinkStatus {
  state: LinkState;
  /** Failed attempts since the link was last open. */
  failures: number;
  /** When the next attempt starts (ms since epoch), while lost. */
  retryAt: number | null;
}

export interface WebSocketTransport extends RawTransport {
  /** Called after every reconnect: main forgot this page's subscriptions with the old socket. */
  onReopen(listener: () => void): () => void;
  close(): void;
}

/** WebSocket.OPEN, spelled out so the module also loads where there is no global WebSocket. */
const OPEN = 1;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface WebSocketTransportOptions {
  url: string;
  onLink(status: LinkStatus): void;
  createSocket?: (url: string) => WebSocket;
}

export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url));
  const backoff = new Backoff({ initialMs: 300, maxMs: 10_000, factor: 2, jitter: 0.3 });
  const pending = new Map<number, Pending>();
  const queued: string[] = [];
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const reopenListeners = new Set<() => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let everOpened = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const status = (state: LinkState, retryAt: number | null = null) => options.onLink({ state, failures: backoff.failures, retryAt });

  function open(): void {
    if (closed) return;
    status('connecting');
    const ws = createSocket(options.url);
    socket = ws;
    ws.onopen = () => {
      backoff.reset();
      status('open');
      for (const frame of queued.splice(0)) ws.send(frame);
      if (everOpened) for (const listener of [...reopenListeners]) listener();
      everOpened = true;
    };
    ws.onmessage = (message) => {
      let frame: { id?: number; result?: unknown; event?: EventChannel; payload?: unknown };
      try {
        frame = JSON.parse(String(message.data)) as typeof frame;
      } catch {
        console.error('[client:ws] dropped a frame that is not JSON');
        return;
      }
      if (typeof frame.id === 'number') {
        const call = pending.get(frame.id);
        pending.delete(frame.id);
        call?.resolve(frame.result);
      } else if (frame.event) {
        for (const listener of [...(listeners.get(frame.event) ?? [])]) listener(frame.payload);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // Answers to calls in flight are lost with the socket; their callers decide whether to retry.
      for (const [id, call] of pending) {
        call.reject(transportError('the connection to the console server was lost'));
        pending.delete(id);
      }
      if (closed) return;
      const delay = backoff.next();
      status('lost', Date.now() + delay);
      retryTimer = setTimeout(open, delay);
    };
  }

  open();

  return {
    invoke(channel: RequestChannel, request: unknown) {
      if (closed) return Promise.reject(transportError('the console client is closed'));
      const id = nextId++;
      const frame = JSON.stringify({ id, channel, request });
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (socket && socket.readyState === OPEN) socket.send(frame);
        else queued.push(frame);
      });
    },
    subscribe(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    onReopen(listener) {
      reopenListeners.add(listener);
      return () => reopenListeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
