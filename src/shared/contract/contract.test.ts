// Tests of the contract: registry completeness, strict request schemas, error payloads, the client.
import { describe, expect, it } from 'vitest';
import { createLumenClient, type RawTransport } from './client.js';
import { LumenError, causeChain, toErrorPayload } from './errors.js';
import { eventChannels, requestChannels } from './names.js';
import { channels, events } from './registry.js';

describe('registry', () => {
  it('has a schema for exactly the named channels and events', () => {
    expect(Object.keys(channels).sort()).toEqual([...requestChannels].sort());
    expect(Object.keys(events).sort()).toEqual([...eventChannels].sort());
  });

  it('rejects unknown fields and wrong types in requests', () => {
    expect(channels['cluster:connect'].request.safeParse({ context: 'a' }).success).toBe(true);
    expect(channels['cluster:connect'].request.safeParse({ context: '' }).success).toBe(false);
    expect(channels['cluster:connect'].request.safeParse({ context: 'a', token: 'x' }).success).toBe(false);
    expect(channels['watch:subscribe'].request.safeParse({ kinds: ['pods', 'secrets'] }).success).toBe(false);
    expect(channels['watch:subscribe'].request.safeParse({ kinds: [] }).success).toBe(false);
  });

  it('has no field in any context summary that could carry a credential', () => {
    const fields = Object.keys(channels['kubeconfig:get'].response.shape.contexts.element.shape);
    for (const f of fields) expect(f).not.toMatch(/token|key|password|secret|cert(?!ificate)/i);
  });
});

describe('errors', () => {
  it('keeps LumenError payloads and adds the cause chain', () => {
    const root = new Error('connect ECONNREFUSED');
    const e = LumenError.of('unreachable', 'cannot reach x', { detail: 'address x' }, new Error('fetch failed', { cause: root }));
    expect(toErrorPayload(e)).toEqual({ code: 'unreachable', message: 'cannot reach x', detail: 'address x', cause: ['fetch failed', 'connect ECONNREFUSED'] });
    expect(causeChain(new Error('a'))).toEqual([]);
  });

  it('turns anything else into an internal error', () => {
    expect(toErrorPayload(new TypeError('x is undefined'))).toEqual({ code: 'internal', message: 'internal error: x is undefined' });
    expect(toErrorPayload('boom')).toEqual({ code: 'internal', message: 'internal error: boom' });
  });
});

describe('createLumenClient', () => {
  function transport(answer: unknown, pushes: Record<string, unknown[]> = {}): RawTransport {
    return {
      invoke: async () => answer,
      subscribe: (event, listener) => {
        for (const p of pushes[event] ?? []) listener(p);
        return () => {};
      },
    };
  }

  it('unwraps values and rethrows typed errors', async () => {
    const ok = createLumenClient(transport({ ok: true, value: { subscription: 's1' } }), 'browser');
    await expect(ok.call('watch:subscribe', { kinds: ['pods'] })).resolves.toEqual({ subscription: 's1' });
    const failing = createLumenClient(transport({ ok: false, error: { code: 'forbidden', message: 'no' } }), 'browser');
    const error = await failing.call('cluster:state', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LumenError);
    expect((error as LumenError).payload).toEqual({ code: 'forbidden', message: 'no' });
  });

  it('reports a transport failure and a malformed answer distinctly', async () => {
    const broken: RawTransport = { invoke: () => Promise.reject(new Error('socket closed')), subscribe: () => () => {} };
    const e1 = (await createLumenClient(broken, 'browser').call('app:info', {}).catch((e: unknown) => e)) as LumenError;
    expect(e1.code).toBe('transport');
    const e2 = (await createLumenClient(transport({ nonsense: 1 }), 'browser').call('app:info', {}).catch((e: unknown) => e)) as LumenError;
    expect(e2.code).toBe('internal');
  });

  it('delivers valid events and drops malformed ones', () => {
    const good = { kind: 'pods', status: 'watching', synced: true, count: 3, error: null };
    const client = createLumenClient(transport(null, { 'watch:status': [good, { kind: 'secrets' }] }), 'desktop');
    const seen: unknown[] = [];
    const original = console.error;
    console.error = () => {};
    try {
      client.on('watch:status', (p) => seen.push(p));
    } finally {
      console.error = original;
    }
    expect(seen).toEqual([good]);
  });
});
