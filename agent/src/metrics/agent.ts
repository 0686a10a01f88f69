// The agent's Prometheus metrics: flows by verdict, drops by reason (kernel counters and flow events), lost events, map pressure, sync latency, API requests and errors.
import type { AgentView } from '../api/view.js';
import type { FlowStore } from '../flows/store.js';
import { Counter, Gauge, Histogram, Registry } from './registry.js';

export interface AgentMetricsSources {
  view: AgentView;
  flows: FlowStore;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly r = this.registry;
  readonly flowsTotal = this.r.register(new Counter('lumen_flows_total', 'Flow events decoded, by verdict.', ['verdict']));
  readonly flowDrops = this.r.register(new Counter('lumen_flow_drops_total', 'Flow events with verdict DROPPED, by drop reason.', ['reason']));
  readonly drops = this.r.register(new Counter('lumen_drops_total', 'Packets dropped by the datapath (kernel per-CPU counters), by drop reason.', ['reason']));
  readonly lost = this.r.register(new Counter('lumen_flow_events_lost_total', 'Flow events the kernel could not queue because the ring buffer was full.'));
  readonly decodeErrors = this.r.register(new Counter('lumen_flow_decode_errors_total', 'Flow events that could not be decoded or enriched.'));
  readonly skipped = this.r.register(new Counter('lumen_flow_events_skipped_total', 'Flow events the agent skipped because it could not process them fast enough.'));
  readonly flowsBuffered = this.r.register(new Gauge('lumen_flow_buffer_flows', 'Flows held in the in-memory ring.'));
  readonly followers = this.r.register(new Gauge('lumen_flow_followers', 'Clients following the flow stream.'));
  readonly mapEntries = this.r.register(new Gauge('lumen_map_entries', 'Entries in a BPF map (absent when counting is too costly).', ['map']));
  readonly mapMax = this.r.register(new Gauge('lumen_map_max_entries', 'Capacity of a BPF map.', ['map']));
  readonly mapPressure = this.r.register(new Gauge('lumen_map_pressure', 'Fill ratio of a BPF map, 0..1.', ['map']));
  readonly syncLatency = this.r.register(new Histogram('lumen_sync_latency_seconds', 'Time from an API change to its datapath write, by resource kind.', latencyBuckets, ['kind']));
  readonly apiRequests = this.r.register(new Counter('lumen_api_requests_total', 'Agent API requests, by route and status code.', ['route', 'code']));
  readonly apiErrors = this.r.register(new Counter('lumen_api_errors_total', 'Agent API requests that ended in an error status (4xx/5xx), by route and status code.', ['route', 'code']));
  readonly apiDuration = this.r.register(new Histogram('lumen_api_request_duration_seconds', 'Agent API request duration, by route.', latencyBuckets, ['route']));
  readonly ready = this.r.register(new Gauge('lumen_agent_ready', '1 when the agent is ready (first sync done, maps reconciled).'));
  readonly objects = this.r.register(new Gauge('lumen_objects', 'Objects the agent manages on this node, by kind.', ['kind']));
  readonly info = this.r.register(new Gauge('lumen_agent_info', 'Agent build and environment (value 1).', ['version', 'kernel']));
  private sources: AgentMetricsSources | undefined;

  constructor() {
    this.registry.addCollector(() => this.collect());
  }

  /** Connects the scrape-time sources (the core's view, the flow store). */
  attach(sources: AgentMetricsSources): void {
    this.sources = sources;
  }

  /** Called by the core after writing a change to the maps (seconds since the API event). */
  observeSync(kind: string, seconds: number): void {
    this.syncLatency.observe({ kind }, seconds);
  }

  recordApiRequest(route: string, code: number, seconds: number): void {
    this.apiRequests.inc({ route, code: String(code) });
    if (code >= 400) this.apiErrors.inc({ route, code: String(code) });
    this.apiDuration.observe({ route }, seconds);
  }

  private async collect(): Promise<void> {
    const s = this.sources;
    if (!s) return;
    const { flows, view } = s;
    for (const [verdict, n] of flows.byVerdict) this.flowsTotal.setTotal({ verdict }, n);
    for (const [reason, n] of flows.dropsByReason) this.flowDrops.setTotal({ reason }, n);
    this.lost.setTotal(undefined, flows.lost);
    this.decodeErrors.setTotal(undefined, flows.decodeErrors);
    this.skipped.setTotal(undefined, flows.skipped);
    this.flowsBuffered.set(undefined, flows.stats().buffered);
    this.followers.set(undefined, flows.followers);
    this.ready.set(undefined, view.readiness().ready ? 1 : 0);
    for (const [reason, n] of Object.entries(await view.dropCounters())) this.drops.setTotal({ reason }, n);
    const status = await view.status();
    for (const g of [this.mapEntries, this.mapMax, this.mapPressure, this.objects, this.info]) g.reset();
    for (const m of status.maps) {
      this.mapMax.set({ map: m.name }, m.maxEntries);
      if (m.entries !== null) this.mapEntries.set({ map: m.name }, m.entries);
      if (m.pressure !== null) this.mapPressure.set({ map: m.name }, m.pressure);
    }
    for (const [kind, n] of Object.entries(status.counts)) this.objects.set({ kind }, n);
    this.info.set({ version: status.versions.agent, kernel: status.versions.kernel }, 1);
  }
}
