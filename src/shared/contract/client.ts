// The one client interface the renderer talks to, built over any raw transport (IPC, WebSocket).
import { LumenError, type LumenErrorPayload } from './errors.js';
import type { EventChannel, RequestChannel } from './names.js';
import { events, type EventOf, type RequestOf, type ResponseOf } from './registry.js';
import { EnvelopeSchema } from './wire.js';

export interface LumenClient {
  readonly mode: 'desktop' | 'browser';
  /** Calls a channel; rejects with a LumenError carrying the typed payload. */
  call<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Listens to an event; returns the unsubscribe function. */
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

/** What a transport must provide: envelopes in, raw event payloads out. */
export interface RawTransport {
  invoke(channel: RequestChannel, request: unknown): Promise<unknown>;
  subscribe(event: EventChannel, listener: (payload: unknown) => void): () => void;
}

/**
 * What the preload exposes as `window.lumen`: one function per request channel
 * (resolving to an Envelope) and one subscribe function per event channel.
 */
export interface LumenBridge {
  readonly channels: { readonly [C in RequestChannel]: (request: unknown) => Promise<unknown> };
  readonly events: { readonly [E in EventChannel]: (listener: (payload: unknown) => void) => () => void };
}

export function bridgeTransport(bridge: LumenBridge): RawTransport {
  return {
    invoke: (channel, request) => bridge.channels[channel](request),
    subscribe: (event, listener) => bridge.events[event](listener),
  };
}

export function transportError(message: string, cause?: unknown): LumenError {
  return LumenError.of('transport', message, {}, cause);
}

export function createLumenClient(raw: RawTransport, mode: 'desktop' | 'browser'): LumenClient {
  return {
    mode,
    async call(channel, request) {
      let answer: unknown;
      try {
        answer = await raw.invoke(channel, request);
      } catch (error) {
        if (error instanceof LumenError) throw error;
        throw transportError(`${channel}: the console's main process did not answer`, error);
      }
      const envelope = EnvelopeSchema.safeParse(answer);
      if (!envelope.success) throw LumenError.of('internal', `${channel}: malformed answer from main`);
      if (!envelope.data.ok) throw new LumenError(envelope.data.error as LumenErrorPayload);
      return envelope.data.value as ResponseOf<typeof channel>;
    },
    on(event, listener) {
      const schema = events[event];
      return raw.subscribe(event, (payload) => {
        // Main validates before sending; a mismatch here means mixed versions, so drop it loudly.
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          console.error(`[contract] dropped malformed ${event} event`, parsed.error.issues);
          return;
        }
        listener(parsed.data as EventOf<typeof event>);
      });
    },
  };
}
