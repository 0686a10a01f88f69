// The API's routes, served identically over HTTPS (token required) and the unix socket: status, services, endpoints, identities, policy, flows (JSON or NDJSON follow), metrics, health.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  agentApiPaths, parseEndpointRef, parseL4Addr, type AgentStatus, type ApiErrorBody, type ApiErrorCode,
} from '../../../src/shared/agent-api/index.js';
import { FilterError, flowFilterFromQuery, type FlowList, type FlowStreamLine } from '../../../src/shared/flow/index.js';
import type { FlowStore } from '../flows/store.js';
import type { AgentMetrics } from '../metrics/agent.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';
import { NotFoundError, type AgentView } from './view.js';

export interface ApiContext {
  view: AgentView;
  flows: FlowStore;
  metrics: AgentMetrics;
  /** ms since epoch when the agent started (uptime). */
  startedAt: number;
  log: (message: string) => void;
  now?: () => number;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bytes queued on a follow stream beyond which flows are skipped (and counted) instead of buffered. */
export const FOLLOW_HIGH_WATER = 1 << 20;
const DEFAULT_LIMIT = 1000;

type Handler = (ctx: ApiContext, params: string[], url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
interface Route { method: 'GET' | 'DELETE'; pattern: RegExp; name: string; handle: Handler; public?: boolean }

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body: ApiErrorBody = { error: { code, message } };
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, status, body);
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function intParam(url: URL, name: string, fallback: number, max: number): number {
  const v = url.searchParams.get(name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v)) throw new ApiError(400, 'bad-request', `query parameter ${name}=${JSON.stringify(v)}: expected a whole number`);
  return Math.min(Number(v), max);
}

function boolParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1' || v === '') return true;
  throw new ApiError(400, 'bad-request', `query parameter ${name}=${JSON.stringify(v)}: expected true or false`);
}

async function status(ctx: ApiContext): Promise<AgentStatus> {
  const core = await ctx.view.status();
  const now = (ctx.now ?? Date.now)();
  return { ...core, flows: ctx.flows.stats(), uptimeSeconds: Math.round((now - ctx.startedAt) / 1000), time: new Date(now).toISOString() };
}

function flows(ctx: ApiContext, url: URL, req: IncomingMessage, res: ServerResponse): void {
  let filter;
  try {
    filter = flowFilterFromQuery(url.searchParams, { now: (ctx.now ?? Date.now)() });
  } catch (err) {
    if (err instanceof FilterError) throw new ApiError(400, 'bad-request', err.message, { cause: err });
    throw err;
  }
  const follow = boolParam(url, 'follow');
  const cap = ctx.flows.capacity;
  if (!follow) {
    const body: FlowList = { items: ctx.flows.query(filter, intParam(url, 'limit', DEFAULT_LIMIT, cap)), lost: ctx.flows.lost };
    sendJson(res, 200, body);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.flushHeaders();
  let skipped = 0;
  let skippedTotal = 0;
  const write = (line: FlowStreamLine): void => {
    if (res.writableLength > FOLLOW_HIGH_WATER) {
      // A slow reader must not make the agent buffer without bound: skip and say so once it catches up.
      if ('flow' in line) {
        skipped++;
        skippedTotal++;
      }
      return;
    }
    if (skipped > 0) {
      const lost: FlowStreamLine = { lost: { reason: 'slow-client', count: skipped, total: skippedTotal, time: new Date().toISOString() } };
      res.write(JSON.stringify(lost) + '\n');
      skipped = 0;
    }
    res.write(JSON.stringify(line) + '\n');
  };
  const stop = ctx.flows.follow(filter, write, { backlog: intParam(url, 'limit', 0, cap) });
  const end = (): void => stop();
  res.on('close', end);
  req.on('close', end);
}

const routes: Route[] = [
  { method: 'GET', pattern: /^\/healthz$/, name: agentApiPaths.healthz, public: true, handle: (ctx, _p, _u, _q, res) => {
    const ok = ctx.view.healthy();
    sendText(res, ok ? 200 : 503, ok ? 'ok\n' : 'unhealthy\n');
  } },
  { method: 'GET', pattern: /^\/readyz$/, name: agentApiPaths.readyz, public: true, handle: (ctx, _p, _u, _q, res) => {
    const r = ctx.view.readiness();
    sendText(res, r.ready ? 200 : 503, r.ready ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
  } },
  { method: 'GET', pattern: /^\/metrics$/, name: agentApiPaths.metrics, handle: async (ctx, _p, _u, _q, res) => {
    sendText(res, 200, await ctx.metrics.registry.render(), PROMETHEUS_CONTENT_TYPE);
  } },
  { method: 'GET', pattern: /^\/v1\/status$/, name: agentApiPaths.status, handle: async (ctx, _p, _u, _q, res) => sendJson(res, 200, await status(ctx)) },
  { method: 'GET', pattern: /^\/v1\/services$/, name: agentApiPaths.services, handle: async (ctx, _p, _u, _q, res) => sendJson(res, 200, { items: await ctx.view.services() }) },
  { method: 'GET', pattern: /^\/v1\/services\/([^/]+)$/, name: '/v1/services/:id', handle: async (ctx, [id], _u, _q, res) => {
    if (!/^\d+$/.test(id!)) throw new ApiError(400, 'bad-request', `service id ${JSON.stringify(id)}: expected a number (see /v1/services)`);
    const entry = await ctx.view.service(Number(id));
    if (!entry) throw new ApiError(404, 'not-found', `no service with id ${id} on this node`);
    sendJson(res, 200, entry);
  } },
  { method: 'GET', pattern: /^\/v1\/endpoints$/, name: agentApiPaths.endpoints, handle: async (ctx, _p, _u, _q, res) => sendJson(res, 200, { items: await ctx.view.endpoints() }) },
  { method: 'GET', pattern: /^\/v1\/identities$/, name: agentApiPaths.identities, handle: async (ctx, _p, _u, _q, res) => sendJson(res, 200, { items: await ctx.view.identities() }) },
  { method: 'GET', pattern: /^\/v1\/policy\/([^/]+(?:\/[^/]+)?)$/, name: '/v1/policy/:endpoint', handle: async (ctx, [ref], _u, _q, res) => {
    let parsed;
    try {
      parsed = parseEndpointRef(decodeURIComponent(ref!));
    } catch (err) {
      throw new ApiError(400, 'bad-request', (err as Error).message, { cause: err });
    }
    const policy = await ctx.view.endpointPolicy(parsed);
    if (!policy) throw new ApiError(404, 'not-found', `no endpoint ${decodeURIComponent(ref!)} on this node`);
    sendJson(res, 200, policy);
  } },
  { method: 'GET', pattern: /^\/v1\/flows$/, name: agentApiPaths.flows, handle: (ctx, _p, url, req, res) => flows(ctx, url, req, res) },
  { method: 'DELETE', pattern: /^\/v1\/bpf\/lb\/backend$/, name: agentApiPaths.lbBackend, handle: async (ctx, _p, url, _q, res) => {
    const fe = url.searchParams.get('frontend');
    const be = url.searchParams.get('backend');
    if (!fe || !be) throw new ApiError(400, 'bad-request', 'query parameters frontend=<ip:port[/proto]> and backend=<ip:port> are required');
    let frontend, backend;
    try {
      frontend = parseL4Addr(fe, 'frontend');
      backend = parseL4Addr(be, 'backend');
    } catch (err) {
      throw new ApiError(400, 'bad-request', (err as Error).message, { cause: err });
    }
    sendJson(res, 200, await ctx.view.deleteLbBackend(frontend, { ip: backend.ip, port: backend.port }));
  } },
];

export interface RequestOptions {
  /** Whether the token was already checked or is not needed (unix socket). */
  authorized: boolean;
}

/** Serves one request; never throws (errors become JSON error bodies and are counted). */
export async function handleRequest(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, opts: RequestOptions): Promise<void> {
  const started = performance.now();
  let routeName = 'other';
  res.on('finish', () => ctx.metrics.recordApiRequest(routeName, res.statusCode, (performance.now() - started) / 1000));
  try {
    const url = new URL(req.url ?? '/', 'http://agent');
    let allowed: string[] = [];
    for (const route of routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      routeName = route.name;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) {
        allowed.push(route.method);
        continue;
      }
      allowed = [];
      if (!opts.authorized && !route.public) {
        sendError(res, 401, 'unauthorized', 'this API needs the install token: Authorization: Bearer <token> or x-lumen-token: <token>', { 'www-authenticate': 'Bearer realm="lumen-agent"' });
        return;
      }
      await route.handle(ctx, m.slice(1), url, req, res);
      return;
    }
    if (allowed.length > 0) {
      sendError(res, 405, 'method-not-allowed', `${req.method} is not allowed on ${url.pathname}`, { allow: allowed.join(', ') });
      return;
    }
    if (!opts.authorized) {
      // Unknown paths answer 401 too, so an unauthenticated client learns nothing about routes.
      sendError(res, 401, 'unauthorized', 'this API needs the install token', { 'www-authenticate': 'Bearer realm="lumen-agent"' });
      return;
    }
    sendError(res, 404, 'not-found', `no route ${url.pathname} (see /v1/status, /v1/services, /v1/endpoints, /v1/identities, /v1/policy/<endpoint>, /v1/flows, /metrics)`);
  } catch (err) {
    if (res.headersSent) {
      ctx.log(`${req.method} ${req.url}: failed after the response started: ${(err as Error).message}`);
      res.destroy();
      return;
    }
    if (err instanceof ApiError) sendError(res, err.status, err.code, err.message);
    else if (err instanceof NotFoundError) sendError(res, 404, 'not-found', err.message);
    else {
      ctx.log(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, 500, 'internal', `${req.method} ${routeName} failed: ${(err as Error).message}`);
    }
  }
}
