// Tests of the command palette's entries and fuzzy matching.
import { describe, expect, it } from 'vitest';
import type { ContextSummary } from '../../shared/contract/index.js';
import { createLumenStore } from '../store/index.js';
import { buildCommands, filterCommands, matchScore } from './commands.js';

const ctx = (name: string, error = false): ContextSummary => ({
  name, cluster: name, user: 'u', namespace: null, server: `https://${name}:6443`, auth: 'token', execCommand: null,
  file: '/k', current: false, error: error ? { code: 'kubeconfig', message: 'x' } : null,
});

function state() {
  const store = createLumenStore();
  store.getState().setKubeconfig({ files: [], source: 'default', currentContext: null, contexts: [ctx('staging'), ctx('prod-eu'), ctx('broken', true)], errors: [], loadedAt: 1 });
  return store;
}

describe('buildCommands', () => {
  it('offers a connect per context (flagging broken ones), the views and reload', () => {
    const commands = buildCommands(state().getState());
    expect(commands.map((c) => c.title)).toEqual(['Connect to staging', 'Connect to prod-eu', 'Connect to broken', 'Go to Connect', 'Go to Install', 'Go to Status', 'Go to Services', 'Go to Identities', 'Reload kubeconfig']);
    expect(commands.find((c) => c.title === 'Connect to broken')!.warning).toBe(true);
    expect(commands[0]!.action).toEqual({ type: 'connect', context: 'staging' });
  });

  it('offers disconnect and reconnect while connected', () => {
    const store = state();
    store.getState().setConnection({ status: 'connected', context: 'staging', server: null, info: null, error: null, since: 1 });
    const titles = buildCommands(store.getState()).map((c) => c.title);
    expect(titles).toContain('Reconnect to staging');
    expect(titles).toContain('Disconnect');
  });
});

describe('filterCommands', () => {
  it('finds by subsequence and ranks substring and word-start matches first', () => {
    const commands = buildCommands(state().getState());
    expect(filterCommands(commands, 'prod')[0]!.title).toBe('Connect to prod-eu');
    expect(filterCommands(commands, 'stg')[0]!.title).toBe('Connect to staging');
    expect(filterCommands(commands, 'reload')[0]!.title).toBe('Reload kubeconfig');
    expect(filterCommands(commands, 'zzz')).toEqual([]);
    expect(filterCommands(commands, '  ')).toHaveLength(commands.length);
  });

  it('scores a better-placed match higher than the leftmost one', () => {
    expect(matchScore('Connect to nocluster', 'nocl')!).toBeGreaterThan(matchScore('Connect to closed', 'nocl')!);
    expect(matchScore('abc', 'abd')).toBeNull();
  });
});
