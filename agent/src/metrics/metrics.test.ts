// Prometheus registry and the agent metric set: exposition format parses, labels escape, histograms are cumulative, agent metrics come from view + flow store.
import { describe, expect, it } from 'vitest';
import { StaticAgentView } from '../api/testing.js';
import { FlowPipeline } from '../flows/pipeline.js';
import { rawEvent, testLookups, testNames } from '../flows/testing.js';
import { AgentMetrics } from './agent.js';
import { parsePrometheusText } from './parse.js';
import { Counter, Gauge, Histogram, Registry } from './registry.js';

describe('Registry', () => {
  it('renders counters, gauges and histograms that parse back', async () => {
    const r = new Registry();
    const c = r.register(new Counter('t_requests_total', 'Requests.\nSecond line \\ backslash.', ['route']));
    const g = r.register(new Gauge('t_temperature', 'Temperature.'));
    const h = r.register(new Histogram('t_latency_seconds', 'Latency.', [0.1, 1], ['kind']));
    c.inc({ route: '/a "quoted"\nnewline\\' });
    c.inc({ route: '/a "quoted"\nnewline\\' }, 2);
    g.set(undefined, -1.5);
    h.observe({ kind: 'Pod' }, 0.05);
    h.observe({ kind: 'Pod' }, 0.5);
    h.observe({ kind: 'Pod' }, 5);
    const text = await r.render();
    const fams = parsePrometheusText(text);
    expect(fams.get('t_requests_total')?.samples).toEqual([{ name: 't_requests_total', labels: { route: '/a "quoted"\nnewline\\' }, value: 3 }]);
    expect(fams.get('t_temperature')?.samples[0]?.value).toBe(-1.5);
    const buckets = fams.get('t_latency_seconds')!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([['0.1', 1], ['1', 2], ['+Inf', 3]]);
    expect(fams.get('t_latency_seconds')!.samples.find((s) => s.name === 't_latency_seconds_sum')?.value).toBeCloseTo(5.55);
  });

  it('refuses bad names, wrong labels, decreasing counters and duplicates', () => {
    const r = new Registry();
    expect(() => new Counter('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => new Histogram('h', 'x', [1], ['le'])).toThrow(/invalid label name "le"/);
    expect(() => new Histogram('h', 'x', [2, 1])).toThrow(/increasing/);
    const c = r.register(new Counter('c_total', 'x', ['a']));
    expect(() => c.inc({ b: '1' })).toThrow(/expected labels \{a\}, got \{b\}/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot increase by -1/);
    expect(() => r.register(new Counter('c_total', 'y'))).toThrow(/registered twice/);
    c.setTotal({ a: '1' }, 5);
    c.setTotal({ a: '1' }, 3);
    expect(c.get({ a: '1' })).toBe(5);
  });

  it('the parser rejects malformed expositions', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/outside its family/);
    expect(() => parsePrometheusText('# HELP x y\n# TYPE x counter\nx{a="1} 1\n')).toThrow(/malformed labels/);
    expect(() => parsePrometheusText('# HELP x y\n# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# HELP h y\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/);
  });
});

describe('AgentMetrics', () => {
  it('exposes flows by verdict, drops by reason, lost events, map pressure, sync latency and API errors', async () => {
    const view = new StaticAgentView();
    const pipeline = new FlowPipeline({ lookups: testLookups, names: testNames, bufferSize: 16, decode: () => rawEvent(), log: () => {} });
    pipeline.ingestEvents([rawEvent(), rawEvent({ verdict: 2, drop_reason: 1 }), rawEvent({ verdict: 2, drop_reason: 2 }), rawEvent({ verdict: 3 })]);
    pipeline.reportLostTotal(9);
    const m = new AgentMetrics();
    m.attach({ view, flows: pipeline.store });
    m.observeSync('Service', 0.004);
    m.recordApiRequest('/v1/status', 200, 0.01);
    m.recordApiRequest('/v1/status', 401, 0.001);
    const fams = parsePrometheusText(await m.registry.render());
    const values = (name: string) => Object.fromEntries(fams.get(name)!.samples.map((s) => [Object.values(s.labels).join(',') || s.name, s.value]));
    expect(values('lumen_flows_total')).toEqual({ FORWARDED: 1, DROPPED: 2, AUDIT: 1 });
    expect(values('lumen_flow_drops_total')).toEqual({ 'policy denied': 1, 'no service backends': 1 });
    expect(values('lumen_drops_total')).toEqual({ 'policy denied': 5, 'no service backends': 1 });
    expect(values('lumen_flow_events_lost_total')).toEqual({ lumen_flow_events_lost_total: 9 });
    expect(values('lumen_map_max_entries')).toEqual({ lumen_services: 65536, lumen_ct: 262144 });
    expect(values('lumen_map_entries')).toEqual({ lumen_services: 12 });
    expect(values('lumen_map_pressure').lumen_services).toBeCloseTo(12 / 65536);
    expect(values('lumen_api_errors_total')).toEqual({ '/v1/status,401': 1 });
    expect(values('lumen_api_requests_total')).toEqual({ '/v1/status,200': 1, '/v1/status,401': 1 });
    expect(fams.get('lumen_sync_latency_seconds')!.samples.find((s) => s.name.endsWith('_count'))).toMatchObject({ labels: { kind: 'Service' }, value: 1 });
    expect(values('lumen_agent_ready')).toEqual({ lumen_agent_ready: 1 });
    expect(values('lumen_objects')).toMatchObject({ endpoints: 2, services: 3 });
  });
});
