// AgentsClient over real HTTP: a local server stands in for the API server (pod list, Secret, pod proxy to per-pod "agents")
// because faults like token rotation, a not-ready pod or a malformed agent answer cannot be produced on demand in a lab;
// the real API server and agents are exercised by test/e2e/services.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceEntry } from '../../shared/agent-api/index.js';
import type { Flow } from '../../shared/flow/index.js';
import { parseFlowFilter } from '../../shared/flow/index.js';
import { ExecCredentials } from '../cluster/exec.js';
import { KubeHttp } from '../cluster/http.js';
import { buildContextTarget } from '../cluster/kubeconfig/clientConfig.js';
import { mergeKubeconfigs } from '../cluster/kubeconfig/merge.js';
import { parseKubeconfigText } from '../cluster/kubeconfig/parse.js';
import { AgentsClient } from './client.js';
import { AgentError } from './errors.js';
import { realizedService } from './realized.js';

const TOKEN_A = 'token-aaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'token-bbbbbbbbbbbbbbbbbbbb';

interface FakePod {
  name: string;
  node: string;
  ready?: boolean;
  phase?: string;
  waiting?: string;
  /** How the proxy answers for this pod: an agent handler, or a proxy failure. */
  proxy?: 'refused';
}

interface World {
  pods: FakePod[];
  nodes: string[];
  secretToken: string | null;
  agentToken: string;
  secretReads: number;
  forbidProxy: boolean;
  services: Record<string, unknown[]>;
  streamLines: Record<string, string[]>;
  seen: { path: string; token: string | undefined; auth: string | undefined }[];
}

let world: World;
let server: http.Server;
let base: string;

function entry(ns: string, name: string, ip: string, backends: string[]): ServiceEntry {
  const flags = { externalTrafficLocal: false, internalTrafficLocal: false };
  return {
    id: 7,
    frontend: { ip, port: 80, protocol: 'TCP' },
    type: 'ClusterIP',
    desired: { service: { namespace: ns, name }, portName: 'http', flags, backends: backends.map((b) => ({ ip: b, port: 8080, state: 'active' as const })) },
    realized: { revNatId: 7, flags, backends: backends.map((b, i) => ({ id: i + 1, slot: i + 1, ip: b, port: 8080, state: 'active' as const })) },
  };
}

function flow(node: string, n: number): Flow {
  const peer = (ip: string) => ({ ip, port: 1000 + n, identity: 256, labels: { app: 'x' } });
  return {
    time: new Date(1_750_000_000_000 + n).toISOString(), node, verdict: 'FORWARDED', observationPoint: 'to-endpoint', protocol: 'TCP',
    ipProtocol: 6, source: peer('10.0.0.1'), destination: peer('10.0.0.2'), isReply: false, tcpFlags: ['SYN'], packets: 1, bytes: 60, endpointId: 3, ifindex: 9,
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function kubeStatus(code: number, reason: string, message: string, details?: object) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(details ? { details } : {}) };
}

function podObject(p: FakePod) {
  return {
    metadata: { name: p.name, namespace: 'lumen-system', creationTimestamp: '2025-06-01T00:00:00Z' },
    spec: { nodeName: p.node, containers: [{ name: 'agent', ports: [{ name: 'api', containerPort: 4244 }] }] },
    status: {
      phase: p.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True', ...(p.ready === false ? { message: 'readiness probe failed: not ready: initial sync' } : {}) }],
      containerStatuses: [{ name: 'agent', restartCount: 0, state: p.waiting ? { waiting: { reason: p.waiting, message: 'back-off 10s restarting' } } : { running: {} } }],
    },
  };
}

/** The agent side of the proxy: what lumen-agent's handler answers. */
function agent(pod: FakePod, path: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.headers['x-lumen-token'] !== world.agentToken) {
    send(res, 401, { error: { code: 'unauthorized', message: 'this API needs the install token' } });
    return;
  }
  const url = new URL(path, 'http://agent');
  if (url.pathname === '/v1/services') {
    send(res, 200, { items: world.services[pod.node] ?? [] });
    return;
  }
  if (url.pathname === '/v1/flows' && url.searchParams.get('follow') === 'true') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const line of world.streamLines[pod.node] ?? []) res.write(`${line}\n`);
    // Stays open like the agent's follow stream until the client goes away.
    return;
  }
  send(res, 404, { error: { code: 'not-found', message: `no route ${url.pathname}` } });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const proxy = /^\/api\/v1\/namespaces\/lumen-system\/pods\/https:([^:/]+):(\d+)\/proxy(\/.*)$/.exec(url.pathname);
    world.seen.push({ path: `${url.pathname}${url.search}`, token: req.headers['x-lumen-token'] as string | undefined, auth: req.headers.authorization });
    if (proxy) {
      const pod = world.pods.find((p) => p.name === proxy[1]);
      if (world.forbidProxy) return send(res, 403, kubeStatus(403, 'Forbidden', `pods "${proxy[1]}" is forbidden: User "dev" cannot get resource "pods/proxy" in API group "" in the namespace "lumen-system"`, { name: proxy[1], kind: 'pods' }));
      if (!pod) return send(res, 404, kubeStatus(404, 'NotFound', `pods "${proxy[1]}" not found`, { name: proxy[1], kind: 'pods' }));
      if (pod.proxy === 'refused') return send(res, 503, kubeStatus(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp 172.28.9.11:4244: connect: connection refused'));
      return agent(pod, `${proxy[3]}${url.search}`, req, res);
    }
    if (url.pathname === '/api/v1/namespaces/lumen-system/pods') {
      expect(url.searchParams.get('labelSelector')).toBe('app.kubernetes.io/name=lumen,app.kubernetes.io/component=agent');
      return send(res, 200, { items: world.pods.map(podObject) });
    }
    if (url.pathname === '/api/v1/nodes') return send(res, 200, { items: world.nodes.map((name) => ({ metadata: { name } })) });
    if (url.pathname === '/api/v1/namespaces/lumen-system/secrets/lumen-agent-token') {
      world.secretReads++;
      if (world.secretToken === null) return send(res, 404, kubeStatus(404, 'NotFound', 'secrets "lumen-agent-token" not found'));
      return send(res, 200, { data: { token: Buffer.from(world.secretToken).toString('base64') } });
    }
    send(res, 404, kubeStatus(404, 'NotFound', 'the server could not find the requested resource'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reset(over: Partial<World> = {}): void {
  world = {
    pods: [{ name: 'lumen-agent-aaaaa', node: 'node-1' }, { name: 'lumen-agent-bbbbb', node: 'node-2' }],
    nodes: ['node-1', 'node-2'],
    secretToken: TOKEN_A,
    agentToken: TOKEN_A,
    secretReads: 0,
    forbidProxy: false,
    services: {},
    streamLines: {},
    seen: [],
    ...over,
  };
}

function client(options: { discoveryTtlMs?: number } = {}): AgentsClient {
  const text = JSON.stringify({
    clusters: [{ name: 'c', cluster: { server: base } }],
    users: [{ name: 'u', user: { token: 'user-token' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  });
  const merged = mergeKubeconfigs([parseKubeconfigText('/virtual/config', text).config!]);
  const kube = new KubeHttp(buildContextTarget(merged, 'ctx', new ExecCredentials({ searchPath: async () => ({ path: '', source: 'process' }) })));
  return new AgentsClient({ http: () => kube, timeoutMs: 3000, ...options });
}

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected a failure');
}

afterEach(() => server.closeAllConnections());

describe('AgentsClient', () => {
  it('reaches each node\'s agent through the pod proxy with the Secret\'s token, validating the answer', async () => {
    reset({ services: { 'node-1': [entry('prod', 'web', '10.96.0.10', ['10.200.0.5'])] } });
    const agents = client();
    expect((await agents.agents()).map((a) => [a.node, a.pod?.name, a.pod?.port])).toEqual([['node-1', 'lumen-agent-aaaaa', 4244], ['node-2', 'lumen-agent-bbbbb', 4244]]);
    const items = await agents.services('node-1');
    expect(items[0]!.frontend).toEqual({ ip: '10.96.0.10', port: 80, protocol: 'TCP' });
    const call = world.seen.find((s) => s.path.includes('/proxy/'))!;
    expect(call.path).toBe('/api/v1/namespaces/lumen-system/pods/https:lumen-agent-aaaaa:4244/proxy/v1/services');
    expect(call.token).toBe(TOKEN_A);
    // The user's own credentials authenticate to the API server; the token is only in its header.
    expect(call.auth).toBe('Bearer user-token');
    // The token and the discovery are cached: one Secret read, one pod list for two calls.
    await agents.services('node-2');
    expect(world.secretReads).toBe(1);
    expect(world.seen.filter((s) => s.path.startsWith('/api/v1/namespaces/lumen-system/pods?')).length).toBe(1);
  });

  it('re-reads a rotated token once after a 401, and names the node and pod when it still does not match', async () => {
    reset({ secretToken: TOKEN_A, agentToken: TOKEN_A });
    const agents = client();
    await agents.services('node-1');
    world.secretToken = TOKEN_B;
    world.agentToken = TOKEN_B;
    await agents.services('node-1');
    expect(world.secretReads).toBe(2);

    world.agentToken = 'token-agent-loaded-something-else';
    const error = await failure(agents.services('node-2'));
    expect(error.failure).toBe('token-mismatch');
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('agent on node "node-2" (pod lumen-system/lumen-agent-bbbbb) rejected the install token (401)');
    expect(error.payload.detail).toContain('Secret lumen-system/lumen-agent-token');
    expect([error.node, error.pod]).toEqual(['node-2', 'lumen-agent-bbbbb']);
  });

  it('types the failures: not installed, forbidden proxy, not running, not ready, unreachable, bad answers', async () => {
    reset({ secretToken: null });
    let error = await failure(client().services('node-1'));
    expect([error.failure, error.code]).toEqual(['not-installed', 'not-found']);
    expect(error.message).toContain('no Secret lumen-system/lumen-agent-token');

    reset({ forbidProxy: true });
    error = await failure(client().services('node-1'));
    expect([error.failure, error.code]).toEqual(['forbidden', 'forbidden']);
    expect(error.message).toContain('agent on node "node-1" (pod lumen-system/lumen-agent-aaaaa)');
    expect(error.payload.detail).toContain('cannot get resource "pods/proxy"');

    reset({ pods: [{ name: 'lumen-agent-aaaaa', node: 'node-1', phase: 'Pending', waiting: 'CrashLoopBackOff' }], nodes: ['node-1', 'node-2'] });
    error = await failure(client().services('node-1'));
    expect(error.failure).toBe('not-running');
    expect(error.message).toBe('agent on node "node-1" (pod lumen-system/lumen-agent-aaaaa) is not running: CrashLoopBackOff: back-off 10s restarting');
    error = await failure(client().services('node-2'));
    expect(error.message).toBe('no Lumen agent runs on node "node-2" (no pod of the agent DaemonSet in lumen-system is scheduled there)');

    reset({ pods: [{ name: 'lumen-agent-aaaaa', node: 'node-1', ready: false, proxy: 'refused' }, { name: 'lumen-agent-bbbbb', node: 'node-2', proxy: 'refused' }] });
    const agents = client();
    error = await failure(agents.services('node-1'));
    expect(error.failure).toBe('not-ready');
    expect(error.message).toContain('is not ready and does not answer (not ready: readiness probe failed: not ready: initial sync)');
    error = await failure(agents.services('node-2'));
    expect(error.failure).toBe('unreachable');
    expect(error.message).toContain('connect: connection refused');

    reset({ services: { 'node-1': [{ ...entry('prod', 'web', '10.96.0.10', []), frontend: { ip: '10.96.0', port: 80, protocol: 'TCP' } }] } });
    error = await failure(client().services('node-1'));
    expect(error.failure).toBe('bad-response');
    expect(error.message).toBe('agent on node "node-1" (pod lumen-system/lumen-agent-aaaaa) answered /v1/services with data Lumen does not understand: items.0.frontend.ip: expected an IPv4 address');
  });

  it('fans out over every node, failures as per-node results', async () => {
    reset({
      pods: [{ name: 'lumen-agent-aaaaa', node: 'node-1' }, { name: 'lumen-agent-ccccc', node: 'node-3', proxy: 'refused' }],
      nodes: ['node-3', 'node-1', 'node-2'],
      services: { 'node-1': [entry('prod', 'web', '10.96.0.10', ['10.200.0.5']), entry('prod', 'other', '10.96.0.11', [])] },
    });
    const answer = await realizedService(client(), { service: { namespace: 'prod', name: 'web' }, frontends: ['10.96.0.10:80/TCP'] });
    expect(answer.nodes.map((n) => [n.node, n.pod, n.ok, n.ok ? n.value.length : n.failure])).toEqual([
      ['node-1', 'lumen-agent-aaaaa', true, 1],
      ['node-2', null, false, 'not-running'],
      ['node-3', 'lumen-agent-ccccc', false, 'unreachable'],
    ]);
  });

  it('follows flows as NDJSON until aborted, and stops with a typed error on a line outside the schema', async () => {
    reset({ streamLines: { 'node-1': [JSON.stringify({ flow: flow('node-1', 1) }), JSON.stringify({ lost: { reason: 'slow-client', count: 3, total: 3, time: '2025-06-01T00:00:00.000Z' } }), JSON.stringify({ flow: flow('node-1', 2) })] } });
    const agents = client();
    const got: Flow[] = [];
    const lost: number[] = [];
    const controller = new AbortController();
    const done = agents.followFlows('node-1', parseFlowFilter('verdict:DROPPED namespace:prod'), (f) => {
      got.push(f);
      if (got.length === 2) controller.abort();
    }, controller.signal, { limit: 10, onLost: (l) => lost.push(l.count) });
    await expect(done).resolves.toBeUndefined();
    expect(got.map((f) => f.source.port)).toEqual([1001, 1002]);
    expect(lost).toEqual([3]);
    const q = new URL(world.seen.find((s) => s.path.includes('/proxy/v1/flows'))!.path, 'http://x').searchParams;
    expect([q.get('follow'), q.get('limit'), q.get('verdict'), q.get('namespace')]).toEqual(['true', '10', 'DROPPED', 'prod']);

    world.streamLines['node-1'] = [JSON.stringify({ flow: { ...flow('node-1', 3), verdict: 'MAYBE' } })];
    const error = await failure(agents.followFlows('node-1', null, () => {}, new AbortController().signal));
    expect(error.failure).toBe('bad-response');
    expect(error.message).toContain('flow.verdict');
  });
});
