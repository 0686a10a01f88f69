// The one handler helper: validates requests and responses against the contract, maps errors,
// and tracks the peers (windows, sockets) that events go to. IPC and WebSocket both use it.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  LumenError,
  channels,
  events,
  isRequestChannel,
  toErrorPayload,
  type Envelope,
  type EventChannel,
  type EventOf,
  type ParsedRequestOf,
  type RequestChannel,
  type ResponseOf,
} from '../../shared/contract/index.js';
import { logger } from '../log.js';

const log = logger('host:dispatch');

/** One connected renderer: an Electron window (IPC) or a browser tab (WebSocket). */
export interface Peer {
  readonly id: string;
  readonly transport: 'ipc' | 'ws';
  send<E extends EventChannel>(event: E, payload: EventOf<E>): void;
}

export type Handler<C extends RequestChannel> = (request: ParsedRequestOf<C>, peer: Peer) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type HandlerTable = { [C in RequestChannel]: Handler<C> };

export interface Dispatcher {
  /** Runs one call from a peer; always resolves, failures come back as `{ ok: false }`. */
  dispatch(channel: unknown, request: unknown, peer: Peer): Promise<Envelope<unknown>>;
  /** Registers a peer; `deliver` gets events already validated against the contract. */
  addPeer(transport: Peer['transport'], deliver: (event: EventChannel, payload: unknown) => void): Peer;
  removePeer(peer: Peer): void;
  broadcast<E extends EventChannel>(event: E, payload: EventOf<E>): void;
  readonly peerCount: number;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(request)'}: ${issue.message}`)
    .join('; ');
}

export function createDispatcher(table: HandlerTable, options: { onPeerRemoved?: (peer: Peer) => void } = {}): Dispatcher {
  const peers = new Map<string, { peer: Peer; deliver: (event: EventChannel, payload: unknown) => void }>();

  /** Events leave main only if they match the contract: a bug here must not reach the UI. */
  function checked<E extends EventChannel>(event: E, payload: EventOf<E>): boolean {
    const result = events[event].safeParse(payload);
    if (!result.success) log.error(`dropped ${event} event outside the contract: ${describeIssues(result.error)}`);
    return result.success;
  }

  return {
    async dispatch(channel, request, peer) {
      if (!isRequestChannel(channel)) {
        return { ok: false, error: { code: 'unknown-channel', message: `no channel named ${JSON.stringify(channel)}` } };
      }
      const schema = channels[channel];
      const parsed = schema.request.safeParse(request ?? {});
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'invalid-request', message: `invalid request for ${channel}`, detail: describeIssues(parsed.error) },
        };
      }
      try {
        const handler = table[channel] as (request: unknown, peer: Peer) => unknown;
        const value = await handler(parsed.data, peer);
        const answer = schema.response.safeParse(value);
        if (!answer.success) {
          log.error(`${channel} answered outside the contract: ${describeIssues(answer.error)}`);
          return { ok: false, error: { code: 'internal', message: `${channel}: the answer did not match the contract`, detail: describeIssues(answer.error) } };
        }
        return { ok: true, value: answer.data };
      } catch (error) {
        if (!(error instanceof LumenError)) log.error(`${channel} threw`, { error, stack: error instanceof Error ? error.stack : undefined });
        return { ok: false, error: toErrorPayload(error) };
      }
    },

    addPeer(transport, deliver) {
      const id = `${transport}-${randomUUID()}`;
      const peer: Peer = {
        id,
        transport,
        send(event, payload) {
          if (peers.has(id) && checked(event, payload)) deliver(event, payload);
        },
      };
      peers.set(id, { peer, deliver });
      return peer;
    },

    removePeer(peer) {
      if (peers.delete(peer.id)) options.onPeerRemoved?.(peer);
    },

    broadcast(event, payload) {
      if (peers.size === 0 || !checked(event, payload)) return;
      for (const { deliver } of peers.values()) {
        try {
          deliver(event, payload);
        } catch (error) {
          log.warn(`delivering ${event} failed`, { error });
        }
      }
    },

    get peerCount() {
      return peers.size;
    },
  };
}

export { LumenError };
