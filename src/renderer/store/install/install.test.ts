// Tests of the install wizard's store: snapshots from main, the step shown, what may be applied, and the options → plan round trip.
import { describe, expect, it } from 'vitest';
import type { InstallOptions, InstallSessionState, LumenClient, Plan } from '../../../shared/contract/index.js';
import { createLumenStore } from '../index.js';
import { createInstallActions } from './actions.js';
import { selectCanApply, selectInstallStep, sessionStep, stepReachable } from './selectors.js';

const options = { namespace: 'lumen-system', flowBufferSize: 16384, extraConfig: {} } as unknown as InstallOptions;

function session(id: string, statuses: Partial<Record<string, InstallSessionState['steps'][number]['status']>> = {}, extra: Partial<InstallSessionState> = {}): InstallSessionState {
  const ids = ['preflight', 'options', 'review', 'apply', 'connectivity'] as const;
  return {
    id, context: 'lab', mode: 'install', busy: false,
    steps: ids.map((s) => ({ id: s, title: s, status: statuses[s] ?? 'pending', message: null, progress: null, startedAt: null, finishedAt: null })),
    preflight: { defaults: options, blocking: false } as unknown as InstallSessionState['preflight'],
    options: null, optionErrors: {}, planCounts: null, apply: null, rollout: null, connectivity: null, uninstall: null, log: [], error: null, ...extra,
  };
}

describe('install slice and selectors', () => {
  it('takes the draft from the preflight defaults and keeps the user\'s edits for the same session', () => {
    const store = createLumenStore();
    store.getState().setInstallSession(session('a', { preflight: 'done' }));
    expect(store.getState().install.draft).toEqual(options);
    store.getState().setInstall({ draft: { ...options, flowBufferSize: 99 }, plan: {} as Plan });
    store.getState().setInstallSession(session('a', { preflight: 'done', options: 'done' }));
    expect(store.getState().install.draft!.flowBufferSize).toBe(99);
    expect(store.getState().install.plan).not.toBeNull();
    store.getState().setInstallSession(session('b'));
    expect(store.getState().install.draft!.flowBufferSize).toBe(16384);
    expect(store.getState().install.plan).toBeNull();
  });

  it('shows the running step, else a failed one, else the first not done', () => {
    expect(sessionStep(session('a', { preflight: 'done', options: 'done', review: 'running' }))).toBe('review');
    expect(sessionStep(session('a', { preflight: 'done', options: 'done', review: 'done', apply: 'failed' }))).toBe('apply');
    expect(sessionStep(session('a', { preflight: 'done' }))).toBe('options');
    const store = createLumenStore();
    store.getState().setInstallSession(session('a', { preflight: 'done' }));
    expect(selectInstallStep(store.getState())).toBe('options');
    store.getState().setInstall({ viewStep: 'preflight' });
    expect(selectInstallStep(store.getState())).toBe('preflight');
  });

  it('lets the user open steps up to the first one not done', () => {
    const s = session('a', { preflight: 'done', options: 'done' });
    expect(stepReachable(s, 'review')).toBe(true);
    expect(stepReachable(s, 'apply')).toBe(false);
    expect(stepReachable(null, 'uninstall')).toBe(true);
  });

  it('refuses to apply without a plan, while busy, or after a failed preflight', () => {
    const store = createLumenStore();
    store.getState().setInstallSession(session('a', { preflight: 'done' }));
    expect(selectCanApply(store.getState())).toEqual({ allowed: false, why: 'review the plan first' });
    store.getState().setInstall({ plan: {} as Plan });
    expect(selectCanApply(store.getState()).allowed).toBe(true);
    store.getState().setInstallSession(session('a', {}, { busy: true }));
    expect(selectCanApply(store.getState()).why).toBe('a step is running');
    store.getState().setInstallSession(session('a', {}, { preflight: { defaults: options, blocking: true } as unknown as InstallSessionState['preflight'] }));
    expect(selectCanApply(store.getState()).why).toBe('a preflight check failed');
  });
});

describe('install actions', () => {
  function fakeClient(answers: Record<string, unknown>) {
    const calls: { channel: string; request: unknown }[] = [];
    const listeners = new Map<string, (p: unknown) => void>();
    const client = {
      mode: 'browser',
      call: async (channel: string, request: unknown) => {
        calls.push({ channel, request });
        const a = answers[channel];
        if (a instanceof Error) throw a;
        return a;
      },
      on: (event: string, l: (p: unknown) => void) => {
        listeners.set(event, l);
        return () => listeners.delete(event);
      },
    } as unknown as LumenClient;
    return { client, calls, emit: (e: string, p: unknown) => listeners.get(e)?.(p), listeners };
  }

  it('submits the edited options, fetches the plan once the review is done, and shows it', async () => {
    const plan = { counts: { create: 12 } } as unknown as Plan;
    const reviewed = session('a', { preflight: 'done', options: 'done', review: 'done' });
    const { client, calls } = fakeClient({ 'install:options': reviewed, 'install:plan': plan });
    const store = createLumenStore();
    store.getState().setInstallSession(session('a', { preflight: 'done' }));
    const actions = createInstallActions(client, store);
    actions.editOptions({ flowBufferSize: 4096 });
    await actions.submitOptions();
    expect(calls.map((c) => c.channel)).toEqual(['install:options', 'install:plan']);
    expect((calls[0]!.request as { options: InstallOptions }).options.flowBufferSize).toBe(4096);
    expect(store.getState().install).toMatchObject({ plan, viewStep: 'review', pending: null, error: null });
  });

  it('keeps invalid options on the options step, and records a failed call', async () => {
    const invalid = session('a', { preflight: 'done', options: 'failed' }, { optionErrors: { namespace: 'bad' } });
    const { client } = fakeClient({ 'install:options': invalid, 'install:apply': Object.assign(new Error('link lost')) });
    const store = createLumenStore();
    store.getState().setInstallSession(session('a', { preflight: 'done' }));
    const actions = createInstallActions(client, store);
    await actions.submitOptions();
    expect(store.getState().install.viewStep).toBeNull();
    expect(store.getState().install.session!.optionErrors).toEqual({ namespace: 'bad' });
    await actions.applyInstall(false);
    expect(store.getState().install.error).toEqual({ code: 'internal', message: 'link lost' });
  });

  it('follows install:state events and stops on unsubscribe', async () => {
    const { client, emit, listeners } = fakeClient({ 'install:state': null, 'install:plan': { counts: {} } });
    const store = createLumenStore();
    const stop = createInstallActions(client, store).watchInstall();
    emit('install:state', session('x', { preflight: 'running' }));
    expect(store.getState().install.session!.id).toBe('x');
    emit('install:state', session('x', { preflight: 'done', options: 'done', review: 'done' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().install.plan).toEqual({ counts: {} });
    stop();
    expect(listeners.size).toBe(0);
  });
});
