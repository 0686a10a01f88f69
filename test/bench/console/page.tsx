// The console benchmark's page: the real store, actions and Services view, fed synthetic Services and EndpointSlices through applyDelta exactly as watch deltas arrive; window.__bench drives and measures it.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLumenClient, type RawTransport, type RealizedServiceResponse, type WatchDelta, type WireObject } from '../../../src/shared/contract/index.js';
import { createActions } from '../../../src/renderer/store/actions.js';
import { createLumenStore } from '../../../src/renderer/store/index.js';
import { LumenProvider } from '../../../src/renderer/store/react.js';
import { syntheticCluster } from '../../../src/renderer/store/services/testing.js';
import { ServicesView } from '../../../src/renderer/views/services/ServicesView.js';
import '../../../src/renderer/styles/tokens.css';
import '../../../src/renderer/styles/base.css';
import '../../../src/renderer/styles/layout.css';
import '../../../src/renderer/styles/components.css';
import './bench.css';

const NODES = 20;
const store = createLumenStore();

/**
 * Stands in for main: answers services:realized with every node in sync for the asked
 * service (what 20 healthy agents would say), so opening a graph runs the drift path too.
 * The benchmark measures the renderer; main and the agents are measured elsewhere.
 */
const transport: RawTransport = {
  async invoke(channel, request) {
    if (channel !== 'services:realized') return { ok: false, error: { code: 'unknown-channel', message: `bench: ${channel} is not served` } };
    const { service } = request as { service: { namespace: string; name: string } };
    const desired = store.getState().services.index.get(`${service.namespace}/${service.name}`);
    const entries = (desired?.frontends ?? []).map((f, i) => {
      const backends = f.backends.filter((b) => b.state !== 'excluded');
      const flags = { externalTrafficLocal: false, internalTrafficLocal: false };
      return {
        id: i + 1,
        frontend: { ip: f.ip, port: f.port, protocol: f.protocol },
        type: f.kind,
        desired: { service, portName: f.portName, flags, backends: backends.map((b) => ({ ip: b.ip, port: b.port, state: b.state })) },
        realized: { revNatId: i + 1, flags, backends: backends.map((b, j) => ({ id: j + 1, slot: j + 1, ip: b.ip, port: b.port, state: b.state })) },
      };
    });
    const value: RealizedServiceResponse = {
      at: new Date().toISOString(),
      nodes: Array.from({ length: NODES }, (_, n) => ({ node: `node-${n}`, pod: `lumen-agent-${n}`, ok: true as const, value: entries })),
    };
    return { ok: true, value };
  },
  subscribe: () => () => {},
};
const client = createLumenClient(transport, 'browser');
const actions = createActions({ client, onReopen: () => () => {}, missingToken: false }, store);

store.getState().setConnection({ status: 'connected', context: 'bench', server: 'https://bench', info: null, error: null, since: Date.now() });
store.getState().setSubscription('bench');
store.getState().setRoute({ view: 'services', context: null });

// ---- measurement ----

interface FrameStats {
  frames: number;
  maxFrameMs: number;
  p95FrameMs: number;
  longAnimationFrames: number;
  maxLongAnimationFrameMs: number;
  durationMs: number;
  worst: { duration: number; scriptMs: number; layoutMs: number; scripts: string[] }[];
}

let frameTimes: number[] = [];
let loafs: number[] = [];
/** The longest frames' breakdown: script time by invoker, and style/layout/paint time. */
let loafDetails: { duration: number; scriptMs: number; layoutMs: number; scripts: string[] }[] = [];
let recording = false;
let startedAt = 0;

const loafObserver = 'PerformanceObserver' in window && PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')
  ? new PerformanceObserver((list) => {
    if (!recording) return;
    for (const e of list.getEntries() as (PerformanceEntry & { renderStart: number; styleAndLayoutStart: number; scripts: { invoker: string; sourceFunctionName: string; duration: number }[] })[]) {
      loafs.push(e.duration);
      const scriptMs = e.scripts.reduce((n, x) => n + x.duration, 0);
      const layoutMs = e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0;
      loafDetails.push({ duration: Math.round(e.duration), scriptMs: Math.round(scriptMs), layoutMs: Math.round(layoutMs), scripts: e.scripts.slice(0, 3).map((x) => `${x.invoker} ${x.sourceFunctionName} ${Math.round(x.duration)}ms`) });
    }
  })
  : null;
loafObserver?.observe({ type: 'long-animation-frame', buffered: false });

function tick(t: number): void {
  if (!recording) return;
  frameTimes.push(t);
  requestAnimationFrame(tick);
}

function startFrames(): void {
  frameTimes = [];
  loafs = [];
  loafDetails = [];
  recording = true;
  startedAt = performance.now();
  requestAnimationFrame(tick);
}

function stopFrames(): FrameStats {
  recording = false;
  const deltas = frameTimes.slice(1).map((t, i) => t - frameTimes[i]!).sort((a, b) => a - b);
  return {
    frames: deltas.length,
    maxFrameMs: deltas.at(-1) ?? 0,
    p95FrameMs: deltas[Math.floor(deltas.length * 0.95)] ?? 0,
    longAnimationFrames: loafs.length,
    maxLongAnimationFrameMs: Math.max(0, ...loafs),
    durationMs: performance.now() - startedAt,
    worst: loafDetails.sort((a, b) => b.duration - a.duration).slice(0, 3),
  };
}

const nextTask = () => new Promise<void>((r) => setTimeout(r, 0));
const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

function delta(kind: WatchDelta['kind'], upserted: WireObject[], reset: boolean, deleted: string[] = []): WatchDelta {
  return { subscription: 'bench', kind, source: reset ? 'snapshot' : 'watch', reset, upserted, deleted, resourceVersion: String(Date.now()) };
}

let cluster: { services: WireObject[]; slices: WireObject[] } | null = null;

const bench = {
  /** Builds the synthetic objects (not measured: the API server and the WebSocket make them). */
  generate(services: number, perService: number): { services: number; endpoints: number } {
    cluster = syntheticCluster(services, perService, { namespaces: 50, nodes: NODES });
    return { services: cluster.services.length, endpoints: cluster.slices.reduce((n, s) => n + ((s as { endpoints?: unknown[] }).endpoints?.length ?? 0), 0) };
  },
  /** Applies the two reset deltas the hub sends first (one WebSocket message each) and waits for the table. */
  async load(): Promise<FrameStats & { readyMs: number; rows: number }> {
    if (!cluster) throw new Error('generate first');
    startFrames();
    const t0 = performance.now();
    store.getState().applyDelta(delta('services', cluster.services, true));
    await nextTask();
    store.getState().applyDelta(delta('endpointslices', cluster.slices, true));
    while (store.getState().services.syncing || store.getState().services.rows.size < cluster.services.length) await nextFrame();
    await nextFrame();
    const readyMs = performance.now() - t0;
    await nextFrame();
    return { ...stopFrames(), readyMs, rows: store.getState().services.rows.size };
  },
  startFrames,
  stopFrames,
  /** Live churn: `count` watch deltas, each changing one service's slice, `everyMs` apart. */
  async churn(count: number, everyMs: number): Promise<FrameStats> {
    if (!cluster) throw new Error('generate first');
    startFrames();
    for (let i = 0; i < count; i++) {
      const slice = cluster.slices[(i * 37) % cluster.slices.length]! as WireObject & { endpoints: { conditions: { ready: boolean } }[] };
      const changed = { ...slice, metadata: { ...slice.metadata, resourceVersion: `c${i}` }, endpoints: slice.endpoints.map((e, j) => (j === i % slice.endpoints.length ? { ...e, conditions: { ...e.conditions, ready: !e.conditions.ready } } : e)) };
      store.getState().applyDelta(delta('endpointslices', [changed], false));
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await nextFrame();
    return stopFrames();
  },
  /** Selects a service like a click and resolves with the time until its graph was drawn. */
  async openGraph(key: string): Promise<number> {
    store.getState().selectService(null);
    await nextFrame();
    await nextFrame();
    performance.clearMarks('lumen:service-graph-drawn');
    const row = document.querySelector<HTMLElement>(`[role="row"][data-key="${CSS.escape(key)}"]`);
    if (!row) throw new Error(`row ${key} is not on screen`);
    const t0 = performance.now();
    row.click();
    for (let i = 0; i < 600; i++) {
      const mark = performance.getEntriesByName('lumen:service-graph-drawn').find((m) => (m as PerformanceMark).detail === key);
      if (mark) return mark.startTime - t0;
      await nextFrame();
    }
    throw new Error(`the graph of ${key} was not drawn within 600 frames`);
  },
  visibleKeys(n: number): string[] {
    return store.getState().services.visible.slice(0, n);
  },
  state() {
    const s = store.getState().services;
    return { rows: s.rows.size, visible: s.visible.length, syncing: s.syncing, query: s.query };
  },
};

(window as unknown as { __bench: typeof bench }).__bench = bench;

const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(
  <StrictMode>
    <LumenProvider store={store} actions={actions}>
      <div className="app bench-app">
        <main className="main">
          <ServicesView />
        </main>
      </div>
    </LumenProvider>
  </StrictMode>,
);
