// Tests of the store's slices and selectors (pure functions over a real store instance).
import { describe, expect, it } from 'vitest';
import type { ConnectionState, ContextSummary, KubeconfigState, Permission, WatchDelta } from '../../shared/contract/index.js';
import { permissionLabel, selectConnectionBadge, selectInfoFor, summarizePermissions } from './connection/selectors.js';
import { selectLinkSummary } from './host/selectors.js';
import { createLumenStore } from './index.js';
import { selectContextCounts, selectContextError, selectKubeconfigSource, selectSelectedContextName } from './kubeconfig/selectors.js';
import { selectPodReadiness, selectResourceCounts } from './resources/selectors.js';
import { applyDeltaToCache } from './resources/slice.js';

const ctx = (name: string, extra: Partial<ContextSummary> = {}): ContextSummary => ({
  name, cluster: `${name}-cluster`, user: 'u', namespace: null, server: `https://${name}:6443`, auth: 'token',
  execCommand: null, file: '/k/config', current: false, error: null, ...extra,
});

const kube = (contexts: ContextSummary[], extra: Partial<KubeconfigState> = {}): KubeconfigState => ({
  files: [{ path: '/k/config', exists: true }, { path: '/k/missing', exists: false }], source: 'KUBECONFIG',
  currentContext: contexts.find((c) => c.current)?.name ?? null, contexts, errors: [], loadedAt: 1, ...extra,
});

const connection = (extra: Partial<ConnectionState>): ConnectionState => ({ status: 'disconnected', context: null, server: null, info: null, error: null, since: 1, ...extra });

const permission = (verb: string, resource: string, allowed: boolean, extra: Partial<Permission> = {}): Permission => ({
  verb, group: '', resource, subresource: null, namespace: null, allowed, reason: null, ...extra,
});

describe('kubeconfig selectors', () => {
  it('selects the route context, else the connected one, else current-context, else the first', () => {
    const store = createLumenStore();
    const s = () => store.getState();
    expect(selectSelectedContextName(s())).toBeNull();
    s().setKubeconfig(kube([ctx('a'), ctx('b', { current: true }), ctx('c')]));
    expect(selectSelectedContextName(s())).toBe('b');
    s().setConnection(connection({ status: 'connected', context: 'c' }));
    expect(selectSelectedContextName(s())).toBe('c');
    s().setRoute({ view: 'connect', context: 'a' });
    expect(selectSelectedContextName(s())).toBe('a');
    s().setRoute({ view: 'connect', context: 'gone' });
    expect(selectSelectedContextName(s())).toBe('c');
  });

  it('shows a context kubeconfig error first, then its last failed connect, cleared by a success', () => {
    const store = createLumenStore();
    const s = () => store.getState();
    s().setKubeconfig(kube([ctx('a'), ctx('broken', { error: { code: 'kubeconfig', message: 'no cluster' } })]));
    expect(selectContextError(s(), 'broken')?.message).toBe('no cluster');
    expect(selectContextError(s(), 'a')).toBeNull();
    s().setConnection(connection({ status: 'failed', context: 'a', error: { code: 'unreachable', message: 'refused' } }));
    s().setConnection(connection({ status: 'connecting', context: 'broken' }));
    expect(selectContextError(s(), 'a')?.code).toBe('unreachable');
    expect(selectContextCounts(s())).toEqual({ total: 2, broken: 2 });
    s().setConnection(connection({ status: 'connected', context: 'a' }));
    expect(selectContextError(s(), 'a')).toBeNull();
  });

  it('describes where the contexts came from', () => {
    const store = createLumenStore();
    store.getState().setKubeconfig(kube([]));
    expect(selectKubeconfigSource(store.getState())).toBe('KUBECONFIG=/k/config');
    store.getState().setKubeconfig(kube([], { source: 'default', files: [{ path: '/home/u/.kube/config', exists: false }] }));
    expect(selectKubeconfigSource(store.getState())).toBe('/home/u/.kube/config');
  });
});

describe('connection selectors', () => {
  it('summarises the connection for the status bar', () => {
    const store = createLumenStore();
    expect(selectConnectionBadge(store.getState())).toMatchObject({ tone: 'idle', label: 'Not connected', context: null });
    const info = { context: 'lab', server: 'https://172.28.0.1:6443', version: { gitVersion: 'v1.36.3', major: '1', minor: '36', platform: 'linux/amd64' }, permissions: [], latencyMs: 12 };
    store.getState().setConnection(connection({ status: 'connected', context: 'lab', server: info.server, info }));
    expect(selectConnectionBadge(store.getState())).toEqual({ tone: 'ok', label: 'Connected', context: 'lab', server: 'https://172.28.0.1:6443', version: 'v1.36.3' });
    expect(selectInfoFor(store.getState(), 'lab')).toBe(info);
    expect(selectInfoFor(store.getState(), 'other')).toBeNull();
  });

  it('counts and labels permissions', () => {
    const list = [permission('list', 'pods', true), permission('get', 'pods', false, { subresource: 'proxy', namespace: 'lumen-system' }), permission('watch', 'endpointslices', true, { group: 'discovery.k8s.io' })];
    const summary = summarizePermissions(list);
    expect([summary.allowed, summary.denied, summary.total]).toEqual([2, 1, 3]);
    expect(summary.missing.map(permissionLabel)).toEqual(['get pods/proxy in lumen-system']);
    expect(permissionLabel(list[2]!)).toBe('watch endpointslices.discovery.k8s.io');
  });

  it('says when the link to main is down or the token is missing', () => {
    const store = createLumenStore();
    store.getState().setLink({ state: 'lost', failures: 2, retryAt: 5 });
    expect(selectLinkSummary(store.getState())).toEqual({ tone: 'error', label: 'Console server unreachable, retrying' });
    store.getState().setMissingToken(true);
    expect(selectLinkSummary(store.getState()).label).toBe('No access token in the URL');
  });
});

describe('resources', () => {
  const pod = (name: string, ready: boolean) => ({ metadata: { name, namespace: 'default' }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
  const delta = (extra: Partial<WatchDelta>): WatchDelta => ({ subscription: 's1', kind: 'pods', source: 'watch', reset: false, upserted: [], deleted: [], resourceVersion: '1', ...extra });

  it('applies resets, upserts and deletes into new maps', () => {
    const empty = { items: new Map(), resourceVersion: '', synced: false };
    const first = applyDeltaToCache(empty, delta({ reset: true, upserted: [pod('a', true), pod('b', false)], resourceVersion: '5' }));
    expect([...first.items.keys()]).toEqual(['default/a', 'default/b']);
    expect(first.synced).toBe(true);
    const second = applyDeltaToCache(first, delta({ upserted: [pod('c', true)], deleted: ['default/a'], resourceVersion: '6' }));
    expect([...second.items.keys()]).toEqual(['default/b', 'default/c']);
    expect(first.items.size).toBe(2);
    expect(second.items).not.toBe(first.items);
    const reset = applyDeltaToCache(second, delta({ reset: true, upserted: [pod('z', true)] }));
    expect([...reset.items.keys()]).toEqual(['default/z']);
  });

  it('ignores deltas of another subscription and counts what is cached', () => {
    const store = createLumenStore();
    store.getState().setSubscription('s1');
    store.getState().applyDelta(delta({ reset: true, upserted: [pod('a', true), pod('b', false)] }));
    store.getState().applyDelta(delta({ subscription: 'old', upserted: [pod('x', true)] }));
    expect(selectPodReadiness(store.getState())).toEqual({ ready: 1, total: 2 });
    const counts = selectResourceCounts(store.getState());
    expect(counts.find((c) => c.kind === 'pods')).toEqual({ kind: 'pods', count: 2, synced: true, failing: false });
    expect(counts.find((c) => c.kind === 'nodes')).toEqual({ kind: 'nodes', count: 0, synced: false, failing: false });
    expect(selectResourceCounts(store.getState())).toBe(selectResourceCounts(store.getState()));
    store.getState().setWatchStatus({ kind: 'nodes', status: 'backoff', synced: false, count: 0, error: null });
    expect(selectResourceCounts(store.getState()).find((c) => c.kind === 'nodes')!.failing).toBe(true);
  });
});
