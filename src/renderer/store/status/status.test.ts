// Tests of the Status view's store: polling without overlap, and the pure shapes (sparkline, tones, times).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterStatus, LumenClient } from '../../../shared/contract/index.js';
import { createLumenStore } from '../index.js';
import { createStatusActions } from './actions.js';
import { ago, nodeTone, pressureTone, sparklinePoints, summaryLine } from './selectors.js';

describe('status selectors', () => {
  it('draws a sparkline scaled to its maximum, bottom-up', () => {
    expect(sparklinePoints([], 100, 20)).toBe('');
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0.0,19.0 50.0,10.0 100.0,1.0');
    expect(sparklinePoints([0, 0], 10, 10)).toBe('0.0,9.0 10.0,9.0');
  });

  it('tones map pressure and nodes', () => {
    expect([pressureTone(null), pressureTone(0.1), pressureTone(0.8), pressureTone(0.95)]).toEqual(['idle', 'ok', 'warn', 'error']);
    const node = (problems: { severity: 'error' | 'warning' }[], ready = true) => ({ problems, agent: { ready } }) as never;
    expect(nodeTone(node([]))).toBe('ok');
    expect(nodeTone(node([{ severity: 'warning' }]))).toBe('warn');
    expect(nodeTone(node([{ severity: 'warning' }, { severity: 'error' }]))).toBe('error');
  });

  it('says how long ago and sums up the cluster', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(ago(null, now)).toBe('never');
    expect(ago('2026-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(ago('2026-01-01T11:00:00Z', now)).toBe('1 h ago');
    expect(ago('2026-01-01T11:58:00Z', now)).toBe('2 min ago');
    const s = { installed: true, summary: { agentsReady: 1, nodes: 2, flowsPerSecond: 3.25, lost: 4, nodesWithProblems: 1 } } as ClusterStatus;
    expect(summaryLine(s)).toBe('1/2 agents ready · 3.3 flows/s · 4 lost · 1 with problems');
  });
});

describe('status polling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls every interval, never two calls at once, and stops', async () => {
    const store = createLumenStore();
    let resolve: (v: unknown) => void = () => {};
    const calls: number[] = [];
    const client = { mode: 'browser', on: () => () => {}, call: () => new Promise((r) => { calls.push(Date.now()); resolve = r; }) } as unknown as LumenClient;
    const actions = createStatusActions(client, store, { pollMs: 1000 });
    const stop = actions.watchStatus();
    expect(calls).toHaveLength(1);
    void actions.refreshStatus();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(1);
    resolve({ installed: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().clusterStatus).toMatchObject({ data: { installed: false }, loading: false, error: null });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    stop();
    resolve({ installed: true });
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(2);
  });
});
