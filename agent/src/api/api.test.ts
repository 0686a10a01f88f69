// Agent API over a real HTTPS server on 127.0.0.1 (real self-signed certificate) and a real unix socket: token auth, every route, NDJSON follow, metrics.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../resources/certs.js';
import { AgentStatusSchema, EndpointPolicySchema, ServiceListSchema, type ServiceEntry } from '../../../src/shared/agent-api/index.js';
import { FlowListSchema, FlowStreamLineSchema, type FlowStreamLine } from '../../../src/shared/flow/index.js';
import { AgentClient, AgentRequestError } from '../cli/client.js';
import { FlowPipeline } from '../flows/pipeline.js';
import { rawEvent, testLookups, testNames } from '../flows/testing.js';
import { AgentMetrics } from '../metrics/agent.js';
import { parsePrometheusText } from '../metrics/parse.js';
import { startAgentApi, type AgentApi } from './server.js';
import { StaticAgentView } from './testing.js';

const TOKEN = 'test-token-0123456789abcdef';

let dir: string;
let api: AgentApi;
let server: string;
let cert: string;
const view = new StaticAgentView();
const pipeline = new FlowPipeline({ lookups: testLookups, names: testNames, bufferSize: 64, decode: () => rawEvent(), log: () => {} });
const metrics = new AgentMetrics();
metrics.attach({ view, flows: pipeline.store });
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-api-test-'));
  const pair = selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['127.0.0.1'] });
  cert = pair.certPem;
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  api = await startAgentApi({
    view, flows: pipeline.store, metrics, startedAt: Date.now() - 5000, log: (m) => logs.push(m),
    https: { address: '127.0.0.1', port: 0, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), tokenFile: join(dir, 'token') },
    socketPath: join(dir, 'run', 'lumen.sock'),
  });
  server = `https://127.0.0.1:${api.httpsAddress!.port}`;
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw HTTPS request, verifying the server certificate, with whatever headers the test wants. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { method, headers, ca: cert }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const https = () => new AgentClient({ server, token: TOKEN, ca: cert });
const unix = () => new AgentClient({ socketPath: join(dir, 'run', 'lumen.sock') });

describe('token auth over HTTPS', () => {
  it('answers 401 without a token, with a wrong one, and for unknown paths', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }, { 'x-lumen-token': TOKEN.slice(0, -1) }] as Record<string, string>[]) {
      const r = await get('/v1/status', headers);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="lumen-agent"');
      expect(JSON.parse(r.body).error.code).toBe('unauthorized');
    }
    expect((await get('/v1/nothing-here')).status).toBe(401);
    expect((await get('/metrics')).status).toBe(401);
  });

  it('answers 200 with the token as Bearer or x-lumen-token (the header that survives the apiserver pod proxy)', async () => {
    expect((await get('/v1/status', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await get('/v1/status', { 'x-lumen-token': TOKEN })).status).toBe(200);
  });

  it('serves /healthz and /readyz without a token (the kubelet probe has none) and with no details', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    view.ready = { ready: false, reason: 'waiting for the first sync of Pods' };
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'not ready: waiting for the first sync of Pods\n' });
    view.ready = { ready: true };
    expect(await get('/readyz')).toMatchObject({ status: 200 });
  });

  it('refuses a client that does not trust the certificate', async () => {
    await expect(new AgentClient({ server, token: TOKEN }).json('GET', '/v1/status')).rejects.toThrow(/self.signed|certificate/i);
    expect(await new AgentClient({ server, token: TOKEN, insecure: true }).json('GET', '/v1/status')).toHaveProperty('node', 'node-a');
  });
});

describe('unix socket', () => {
  it('is 0600 and needs no token', async () => {
    expect(statSync(join(dir, 'run', 'lumen.sock')).mode & 0o777).toBe(0o600);
    const s = AgentStatusSchema.parse(await unix().json('GET', '/v1/status'));
    expect(s.node).toBe('node-a');
  });
});

describe('routes', () => {
  it('/v1/status adds flow figures and uptime to the core status', async () => {
    const s = AgentStatusSchema.parse(await https().json('GET', '/v1/status'));
    expect(s.flows.bufferSize).toBe(64);
    expect(s.uptimeSeconds).toBeGreaterThanOrEqual(5);
    expect(s.maps[0]?.name).toBe('lumen_services');
  });

  it('/v1/services, /v1/services/<id>, 404 and 400', async () => {
    const list = ServiceListSchema.parse(await unix().json('GET', '/v1/services'));
    expect(list.items.map((s) => s.id)).toEqual([1, 2, 3]);
    expect((await unix().json<ServiceEntry>('GET', '/v1/services/2')).frontend).toEqual({ ip: '10.97.0.10', port: 80, protocol: 'TCP' });
    await expect(unix().json('GET', '/v1/services/99')).rejects.toMatchObject({ status: 404, code: 'not-found' });
    await expect(unix().json('GET', '/v1/services/web')).rejects.toMatchObject({ status: 400 });
  });

  it('/v1/endpoints, /v1/identities, /v1/policy/<id|ns/pod>', async () => {
    expect((await unix().json<{ items: unknown[] }>('GET', '/v1/endpoints')).items).toHaveLength(2);
    expect((await unix().json<{ items: unknown[] }>('GET', '/v1/identities')).items).toHaveLength(5);
    expect(EndpointPolicySchema.parse(await unix().json('GET', '/v1/policy/12')).ingress.entries[0]?.ruleId).toBe(7);
    expect(EndpointPolicySchema.parse(await unix().json('GET', '/v1/policy/prod/web-1')).endpoint.id).toBe(12);
    await expect(unix().json('GET', '/v1/policy/prod/nope')).rejects.toMatchObject({ status: 404 });
    await expect(unix().json('GET', '/v1/policy/Bad_Name')).rejects.toMatchObject({ status: 400 });
  });

  it('DELETE /v1/bpf/lb/backend goes to the view; errors name the parameter', async () => {
    const r = await unix().json('DELETE', '/v1/bpf/lb/backend?frontend=10.97.0.10:80/TCP&backend=10.201.2.4:8080');
    expect(r).toEqual({ removed: true, remainingBackends: 1 });
    expect(view.deleted).toEqual([{ frontend: '10.97.0.10:80/TCP', backend: { ip: '10.201.2.4', port: 8080 } }]);
    await expect(unix().json('DELETE', '/v1/bpf/lb/backend?frontend=10.97.0.99:80&backend=10.0.0.1:1')).rejects.toMatchObject({ status: 404 });
    await expect(unix().json('DELETE', '/v1/bpf/lb/backend?frontend=10.97.0.10:80/HTTP&backend=10.0.0.1:1')).rejects.toThrow(/protocol HTTP/);
    await expect(unix().json('DELETE', '/v1/bpf/lb/backend')).rejects.toMatchObject({ status: 400 });
    await expect(unix().json('POST', '/v1/services')).rejects.toMatchObject({ status: 405 });
    await expect(unix().json('GET', '/v2/x')).rejects.toMatchObject({ status: 404 });
  });

  it('turns a failing view into a 500 naming the route, and logs it', async () => {
    view.failStatus = true;
    try {
      await expect(unix().json('GET', '/v1/status')).rejects.toThrow(/HTTP 500: GET \/v1\/status failed: datapath not loaded/);
      expect(logs.some((l) => l.includes('datapath not loaded'))).toBe(true);
    } finally {
      view.failStatus = false;
    }
  });
});

describe('/v1/flows', () => {
  it('answers the newest matching flows as JSON, and 400 for a bad filter', async () => {
    pipeline.ingestEvents([rawEvent({ dport: 80 }), rawEvent({ dport: 81, verdict: 2, drop_reason: 1 }), rawEvent({ dport: 82 })]);
    const all = FlowListSchema.parse(await https().json('GET', '/v1/flows?limit=2'));
    expect(all.items.map((f) => f.destination.port)).toEqual([81, 82]);
    const dropped = FlowListSchema.parse(await https().json('GET', '/v1/flows?verdict=DROPPED&namespace=prod'));
    expect(dropped.items.map((f) => f.destination.port)).toEqual([81]);
    expect(dropped.items[0]?.policy?.summary).toMatch(/selected by prod\/default-deny/);
    await expect(https().json('GET', '/v1/flows?port=http')).rejects.toThrow(/HTTP 400: invalid flow filter "port:http"/);
    await expect(https().json('GET', '/v1/flows?follow=maybe')).rejects.toThrow(/follow="maybe"/);
  });

  it('follow=true streams NDJSON (backlog, new flows, lost notices) and stops when the client goes away', async () => {
    const lines: FlowStreamLine[] = [];
    const ac = new AbortController();
    const done = https().stream('/v1/flows?follow=true&limit=1&to-port=90-99', (l) => {
      lines.push(FlowStreamLineSchema.parse(l));
      if (lines.length === 4) ac.abort();
    }, ac.signal);
    pipeline.ingestEvents([rawEvent({ dport: 95 })]); // backlog candidate before the stream starts
    await waitFor(() => pipeline.store.followers === 1);
    pipeline.ingestEvents([rawEvent({ dport: 80 }), rawEvent({ dport: 96 })]);
    pipeline.reportLostTotal(3);
    pipeline.ingestEvents([rawEvent({ dport: 97 })]);
    await done;
    expect(lines.map((l) => ('flow' in l ? l.flow.destination.port : `lost ${l.lost.reason} ${l.lost.count}`))).toEqual([95, 96, 'lost ring-buffer-full 3', 97]);
    await waitFor(() => pipeline.store.followers === 0);
  });
});

describe('/metrics', () => {
  it('is valid Prometheus text and counts the 401s as API errors', async () => {
    const text = await https().text('GET', '/metrics');
    const fams = parsePrometheusText(text);
    const errors = fams.get('lumen_api_errors_total')!.samples;
    expect(errors.find((s) => s.labels.route === '/v1/status' && s.labels.code === '401')?.value).toBeGreaterThanOrEqual(4);
    expect(fams.get('lumen_flows_total')!.samples.find((s) => s.labels.verdict === 'DROPPED')?.value).toBeGreaterThanOrEqual(1);
    expect(fams.get('lumen_flow_events_lost_total')!.samples[0]?.value).toBe(3);
  });
});

describe('client errors', () => {
  it('says where it tried and why', async () => {
    await expect(new AgentClient({ socketPath: join(dir, 'missing.sock') }).json('GET', '/v1/status')).rejects.toThrow(/cannot reach the agent at unix:.*missing.sock.*is the agent running/);
    expect(() => new AgentClient({ server: 'http://x:1' })).toThrow(AgentRequestError);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
