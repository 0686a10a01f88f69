// Tests of the handler helper: request/response validation, error mapping, peers and events.
import { describe, expect, it } from 'vitest';
import { LumenError, type ConnectionState } from '../../shared/contract/index.js';
import { createDispatcher, type HandlerTable, type Peer } from './dispatch.js';

const disconnected: ConnectionState = { status: 'disconnected', context: null, server: null, info: null, error: null, since: 1 };

function table(overrides: Partial<HandlerTable> = {}): HandlerTable {
  const unused = () => {
    throw new Error('not used in this test');
  };
  return {
    'app:info': () => ({ name: 'Lumen', version: '1.0.0', mode: 'browser', platform: 'linux-x64' }),
    'kubeconfig:get': unused,
    'kubeconfig:reload': unused,
    'cluster:connect': unused,
    'cluster:disconnect': () => disconnected,
    'cluster:state': () => disconnected,
    'watch:subscribe': ({ kinds }) => ({ subscription: kinds.join(',') }),
    'watch:unsubscribe': unused,
    'watch:status': () => [],
    'services:realized': unused,
    'install:start': unused,
    'install:state': () => null,
    'install:options': unused,
    'install:plan': () => null,
    'install:apply': unused,
    'install:rollback': unused,
    'install:check': unused,
    'install:cancel': unused,
    'install:uninstall': unused,
    'install:save': unused,
    'status:get': unused,
    ...overrides,
  };
}

const peer: Peer = { id: 'test', transport: 'ws', send: () => {} };

describe('dispatch', () => {
  it('validates the request and answers in an envelope', async () => {
    const d = createDispatcher(table());
    expect(await d.dispatch('watch:subscribe', { kinds: ['pods', 'nodes'] }, peer)).toEqual({ ok: true, value: { subscription: 'pods,nodes' } });
    expect(await d.dispatch('watch:subscribe', { kinds: ['secrets'] }, peer)).toMatchObject({
      ok: false,
      error: { code: 'invalid-request', message: 'invalid request for watch:subscribe', detail: expect.stringMatching(/^kinds\.0: /) },
    });
    expect(await d.dispatch('app:info', { extra: 1 }, peer)).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  it('treats a missing request as an empty one', async () => {
    const d = createDispatcher(table());
    expect(await d.dispatch('cluster:state', undefined, peer)).toEqual({ ok: true, value: disconnected });
  });

  it('refuses unknown channels by name', async () => {
    const d = createDispatcher(table());
    expect(await d.dispatch('fs:read', {}, peer)).toEqual({ ok: false, error: { code: 'unknown-channel', message: 'no channel named "fs:read"' } });
    expect(await d.dispatch({ toString: 1 }, {}, peer)).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
  });

  it('passes typed errors through and turns other throws into internal errors', async () => {
    const d = createDispatcher(table({
      'cluster:connect': () => {
        throw LumenError.of('unreachable', 'cannot reach x', { context: 'c' });
      },
      'kubeconfig:get': () => {
        throw new TypeError('boom');
      },
    }));
    expect(await d.dispatch('cluster:connect', { context: 'c' }, peer)).toEqual({ ok: false, error: { code: 'unreachable', message: 'cannot reach x', context: 'c' } });
    expect(await d.dispatch('kubeconfig:get', {}, peer)).toEqual({ ok: false, error: { code: 'internal', message: 'internal error: boom' } });
  });

  it('refuses an answer outside the contract instead of sending it', async () => {
    const d = createDispatcher(table({ 'cluster:state': () => ({ ...disconnected, token: 'leak' }) as unknown as ConnectionState }));
    expect(await d.dispatch('cluster:state', {}, peer)).toMatchObject({ ok: false, error: { code: 'internal', message: 'cluster:state: the answer did not match the contract' } });
  });

  it('broadcasts valid events to every peer, drops invalid ones, and forgets removed peers', () => {
    const removed: string[] = [];
    const d = createDispatcher(table(), { onPeerRemoved: (p) => removed.push(p.id) });
    const a: unknown[] = [];
    const b: unknown[] = [];
    const pa = d.addPeer('ipc', (event, payload) => a.push([event, payload]));
    d.addPeer('ws', (event, payload) => b.push([event, payload]));
    d.broadcast('cluster:state', disconnected);
    d.broadcast('cluster:state', { status: 'bogus' } as unknown as ConnectionState);
    expect(a).toEqual([['cluster:state', disconnected]]);
    expect(b).toHaveLength(1);
    d.removePeer(pa);
    d.broadcast('cluster:state', disconnected);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
    expect(removed).toEqual([pa.id]);
    pa.send('cluster:state', disconnected);
    expect(a).toHaveLength(1);
    expect(d.peerCount).toBe(1);
  });
});
