// AgentsClient: calls each node's agent through the API server's pod proxy with the install token, validates answers, follows flows, fans out over nodes.
import type { z } from 'zod';
import {
  AGENT_NAMESPACE, AGENT_TOKEN_HEADER, AgentStatusSchema, EndpointListSchema, EndpointPolicySchema, IdentityListSchema,
  ServiceEntrySchema, ServiceListSchema, agentApiPaths,
  type AgentStatus, type EndpointInfo, type EndpointPolicy, type IdentityInfo, type ServiceEntry,
} from '../../shared/agent-api/index.js';
import { FlowListSchema, FlowStreamLineSchema, flowFilterToQuery, type Flow, type FlowFilter, type FlowList, type FlowStreamLine } from '../../shared/flow/index.js';
import { TOKEN_SECRET_KEY, names } from '../../../resources/manifests.js';
import { HttpStatusError } from '../cluster/errors.js';
import type { KubeHttp } from '../cluster/http.js';
import { logger } from '../log.js';
import { AGENT_POD_SELECTOR, agentPodsByNode, callable, type AgentPod, type AgentPodObject } from './discovery.js';
import { AgentError, agentError, badResponse, classifyAgentError, describeAgent, type AgentWhere } from './errors.js';
import { mapLimited } from '../../shared/async/index.js';

const log = logger('agents');

/** Secret of an install holding the token agents require, and its key. */
export const TOKEN_SECRET: string = names.tokenSecret;
export { TOKEN_SECRET_KEY };

export interface AgentsClientOptions {
  /** The connected cluster's client; throws (not-connected) when there is none. */
  http(): KubeHttp | Promise<KubeHttp>;
  /** Install namespace (default lumen-system). */
  namespace?: string;
  /** Where the token comes from; default: the install's token Secret. Tests inject a wrong one. */
  readToken?(http: KubeHttp, signal?: AbortSignal): Promise<string>;
  /** How long a discovery (nodes + agent pods) is reused; errors drop it early. Default 3 s. */
  discoveryTtlMs?: number;
  /** Per request (JSON calls; streams: until the headers). Default 10 s. */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A node and the agent pod chosen for it (null: none scheduled there). */
export interface AgentNode {
  node: string;
  pod: AgentPod | null;
}

export type AgentResult<T> =
  | { node: string; pod: string | null; ok: true; value: T }
  | { node: string; pod: string | null; ok: false; error: AgentError };

export interface FollowOptions {
  /** Backlog flows sent first (the agent's default is none). */
  limit?: number;
  onLost?(lost: Extract<FlowStreamLine, { lost: unknown }>['lost']): void;
}

interface Discovery {
  at: number;
  http: KubeHttp;
  byNode: Map<string, AgentPod[]>;
  /** Every node of the cluster (or, without the right to list nodes, those with an agent pod). */
  nodes: string[];
}

interface NodeList {
  items?: { metadata?: { name?: string } }[];
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

export class AgentsClient {
  readonly namespace: string;
  private discovery: { http: KubeHttp; promise: Promise<Discovery> } | null = null;
  private token: { http: KubeHttp; promise: Promise<string> } | null = null;

  constructor(private readonly options: AgentsClientOptions) {
    this.namespace = options.namespace ?? AGENT_NAMESPACE;
  }

  /** Drops the cached discovery and token (after a reconnect, an install, an uninstall). */
  invalidate(): void {
    this.discovery = null;
    this.token = null;
  }

  /** Every node with the agent pod chosen for it, sorted by node name. */
  async agents(options: CallOptions = {}): Promise<AgentNode[]> {
    const d = await this.discover(options);
    return d.nodes.map((node) => ({ node, pod: d.byNode.get(node)?.[0] ?? null }));
  }

  /** The agent pod to call on `node`; throws not-running when there is none that runs. */
  async agentFor(node: string, options: CallOptions = {}): Promise<AgentPod> {
    const d = await this.discover(options);
    const pods = d.byNode.get(node) ?? [];
    const pod = pods.find(callable);
    if (pod) return pod;
    const where: AgentWhere = { node, pod: pods[0]?.name ?? null };
    // It may start any moment: look again on the next call.
    this.discovery = null;
    if (pods[0]) {
      throw agentError('not-running', where, `${describeAgent(where, this.namespace)} is not running: ${pods[0].state ?? pods[0].phase}`, {
        hint: `See the pod's events: kubectl -n ${this.namespace} describe pod ${pods[0].name}`,
      });
    }
    const known = d.nodes.includes(node);
    throw agentError('not-running', where, known
      ? `no Lumen agent runs on node "${node}" (no pod of the agent DaemonSet in ${this.namespace} is scheduled there)`
      : `no node "${node}" in the cluster has a Lumen agent`,
    known ? { hint: `Check the DaemonSet: kubectl -n ${this.namespace} get ds,pods -l ${AGENT_POD_SELECTOR} -o wide` } : {});
  }

  /** GET an agent API path on `node` and validate the answer with `schema`. */
  async get<S extends z.ZodType>(node: string, path: string, schema: S, options: CallOptions = {}): Promise<z.output<S>> {
    const value = await this.call(node, path, options, (http, pod, headers) =>
      http.getJson<unknown>(this.proxyPath(pod, path), { headers, timeoutMs: options.timeoutMs ?? this.options.timeoutMs ?? 10_000, ...(options.signal ? { signal: options.signal } : {}) }));
    const parsed = schema.safeParse(value.result);
    if (!parsed.success) throw badResponse({ node, pod: value.pod.name, path }, this.namespace, parsed.error.issues);
    return parsed.data;
  }

  status(node: string, options?: CallOptions): Promise<AgentStatus> {
    return this.get(node, agentApiPaths.status, AgentStatusSchema, options);
  }

  async services(node: string, options?: CallOptions): Promise<ServiceEntry[]> {
    return (await this.get(node, agentApiPaths.services, ServiceListSchema, options)).items;
  }

  service(node: string, id: number, options?: CallOptions): Promise<ServiceEntry> {
    return this.get(node, agentApiPaths.service(id), ServiceEntrySchema, options);
  }

  async endpoints(node: string, options?: CallOptions): Promise<EndpointInfo[]> {
    return (await this.get(node, agentApiPaths.endpoints, EndpointListSchema, options)).items;
  }

  async identities(node: string, options?: CallOptions): Promise<IdentityInfo[]> {
    return (await this.get(node, agentApiPaths.identities, IdentityListSchema, options)).items;
  }

  /** endpoint: numeric id or "namespace/pod". */
  policy(node: string, endpoint: string, options?: CallOptions): Promise<EndpointPolicy> {
    return this.get(node, agentApiPaths.policy(endpoint), EndpointPolicySchema, options);
  }

  /** The newest `limit` flows matching `filter` that the agent holds, oldest first. */
  flows(node: string, filter: FlowFilter | null, limit?: number, options?: CallOptions): Promise<FlowList> {
    const query = filter ? flowFilterToQuery(filter) : new URLSearchParams();
    if (limit !== undefined) query.set('limit', String(limit));
    const q = query.toString();
    return this.get(node, `${agentApiPaths.flows}${q ? `?${q}` : ''}`, FlowListSchema, options);
  }

  /**
   * Follows `node`'s flows (NDJSON) until `signal` aborts (resolves) or the stream ends
   * (resolves: the agent restarted or the API server closed it; callers reconnect). Rejects
   * with an AgentError when the call fails or a line does not match the Flow schema.
   */
  async followFlows(node: string, filter: FlowFilter | null, onFlow: (flow: Flow) => void, signal: AbortSignal, options: FollowOptions = {}): Promise<void> {
    const query = filter ? flowFilterToQuery(filter) : new URLSearchParams();
    query.set('follow', 'true');
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const path = `${agentApiPaths.flows}?${query}`;
    // Errors inside the line callback must not escape as exceptions of the stream's emitter:
    // they stop the stream through this controller and are rethrown after it ends.
    const inner = new AbortController();
    const stop = () => inner.abort();
    signal.addEventListener('abort', stop, { once: true });
    let failure: unknown;
    try {
      await this.call(node, path, { signal }, (http, pod, headers) =>
        http.stream(this.proxyPath(pod, path), (value) => {
          if (failure !== undefined) return;
          const line = FlowStreamLineSchema.safeParse(value);
          if (!line.success) {
            failure = badResponse({ node, pod: pod.name, path: agentApiPaths.flows }, this.namespace, line.error.issues);
            inner.abort();
            return;
          }
          try {
            if ('flow' in line.data) onFlow(line.data.flow);
            else options.onLost?.(line.data.lost);
          } catch (error) {
            failure = error;
            inner.abort();
          }
        }, { signal: inner.signal, headers, timeoutMs: this.options.timeoutMs ?? 10_000 }));
    } catch (error) {
      if (failure !== undefined) throw failure;
      if (signal.aborted) return;
      throw error;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Runs `fn` for every node (or `nodes`) at once, at most `concurrency` in flight; one
   * result per node, sorted by node, failures as typed errors instead of rejections.
   */
  async forEachAgent<T>(fn: (node: string, signal?: AbortSignal) => Promise<T>, options: CallOptions & { nodes?: readonly string[]; concurrency?: number } = {}): Promise<AgentResult<T>[]> {
    const d = await this.discover(options);
    const nodes = [...(options.nodes ?? d.nodes)].sort();
    return mapLimited(nodes, options.concurrency ?? 8, async (node): Promise<AgentResult<T>> => {
      try {
        const value = await fn(node, options.signal);
        return { node, pod: d.byNode.get(node)?.find(callable)?.name ?? null, ok: true, value };
      } catch (error) {
        const typed = error instanceof AgentError ? error : classifyAgentError(error, this.classifyContext(d.http, { node, pod: null }, true));
        return { node, pod: typed.pod, ok: false, error: typed };
      }
    });
  }

  // ---- internals ----

  private proxyPath(pod: AgentPod, path: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/https:${encodeURIComponent(pod.name)}:${pod.port}/proxy${path}`;
  }

  private classifyContext(http: KubeHttp, where: AgentWhere, podReady: boolean, podState?: string | null) {
    return {
      where,
      namespace: this.namespace,
      podReady,
      ...(podState ? { podState } : {}),
      classifyCluster: (error: unknown) => http.classify(error),
      tokenSecret: TOKEN_SECRET,
    };
  }

  /** One proxied request with the token; a 401 from the agent re-reads the Secret and retries once (rotation). */
  private async call<R>(node: string, path: string, options: CallOptions, run: (http: KubeHttp, pod: AgentPod, headers: Record<string, string>) => Promise<R>): Promise<{ result: R; pod: AgentPod }> {
    const pod = await this.agentFor(node, options);
    const http = await this.options.http();
    const where: AgentWhere = { node, pod: pod.name, path: path.split('?')[0]! };
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokenFor(http, options.signal);
      try {
        return { result: await run(http, pod, { [AGENT_TOKEN_HEADER]: token }), pod };
      } catch (error) {
        if ((error as { name?: string }).name === 'AbortError' && options.signal?.aborted) throw error;
        const typed = classifyAgentError(error, this.classifyContext(http, where, pod.ready, pod.state));
        if (typed.failure === 'token-mismatch' && attempt === 0) {
          log.info(`${describeAgent(where, this.namespace)} rejected the token; reading Secret ${this.namespace}/${TOKEN_SECRET} again`);
          this.token = null;
          continue;
        }
        if (typed.failure === 'not-running' || typed.failure === 'unreachable' || typed.failure === 'not-ready') this.discovery = null;
        throw typed;
      }
    }
  }

  private async tokenFor(http: KubeHttp, signal?: AbortSignal): Promise<string> {
    if (!this.token || this.token.http !== http) {
      const promise = (this.options.readToken ?? ((h, s) => this.readTokenSecret(h, s)))(http, signal);
      this.token = { http, promise };
      // A failed read is not cached: the next call tries again.
      promise.catch(() => {
        if (this.token?.promise === promise) this.token = null;
      });
    }
    return this.token.promise;
  }

  private async readTokenSecret(http: KubeHttp, signal?: AbortSignal): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets/${TOKEN_SECRET}`;
    const where: AgentWhere = { node: null, pod: null };
    let secret: { data?: Record<string, string> };
    try {
      secret = await http.getJson<{ data?: Record<string, string> }>(path, { ...(signal ? { signal } : {}), timeoutMs: this.options.timeoutMs ?? 10_000 });
    } catch (error) {
      if (error instanceof HttpStatusError && error.statusCode === 404) {
        throw agentError('not-installed', where, `Lumen is not installed: there is no Secret ${this.namespace}/${TOKEN_SECRET} (the agents' install token)`, {
          hint: 'Install Lumen from the Install view, then try again.',
        }, error);
      }
      if (error instanceof HttpStatusError && error.statusCode === 403) {
        throw agentError('forbidden', where, `you may not read Secret ${this.namespace}/${TOKEN_SECRET}, which holds the token the agents require (403 Forbidden)`, {
          detail: error.status?.message,
          hint: `Ask for "get" on secrets named ${TOKEN_SECRET} in namespace ${this.namespace}.`,
        }, error);
      }
      const cluster = http.classify(error);
      throw agentError('cluster', where, `reading Secret ${this.namespace}/${TOKEN_SECRET} failed: ${cluster.message}`, { code: cluster.code, detail: cluster.payload.detail }, error);
    }
    const encoded = secret.data?.[TOKEN_SECRET_KEY];
    if (!encoded) {
      throw agentError('not-installed', where, `Secret ${this.namespace}/${TOKEN_SECRET} has no "${TOKEN_SECRET_KEY}" key: the install is incomplete`, { hint: 'Re-run the install.' });
    }
    const token = Buffer.from(encoded, 'base64').toString('utf8').trim();
    if (token.length < 16) throw agentError('not-installed', where, `Secret ${this.namespace}/${TOKEN_SECRET}: the token is too short (${token.length} characters)`, { hint: 'Re-run the install.' });
    return token;
  }

  private async discover(options: CallOptions): Promise<Discovery> {
    if (options.signal?.aborted) throw abortError();
    const http = await this.options.http();
    const ttl = this.options.discoveryTtlMs ?? 3_000;
    const cached = this.discovery;
    if (cached && cached.http === http) {
      const d = await cached.promise.catch(() => null);
      if (d && Date.now() - d.at < ttl) return d;
      if (this.discovery !== cached) return this.discover(options);
    }
    const promise = this.list(http, options);
    this.discovery = { http, promise };
    promise.catch(() => {
      if (this.discovery?.promise === promise) this.discovery = null;
    });
    return promise;
  }

  private async list(http: KubeHttp, options: CallOptions): Promise<Discovery> {
    const request = { timeoutMs: this.options.timeoutMs ?? 10_000, ...(options.signal ? { signal: options.signal } : {}) };
    const podsPath = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods?labelSelector=${encodeURIComponent(AGENT_POD_SELECTOR)}`;
    const where: AgentWhere = { node: null, pod: null };
    const [pods, nodes] = await Promise.all([
      http.getJson<{ items?: AgentPodObject[] }>(podsPath, request).catch((error: unknown) => {
        if (error instanceof HttpStatusError && error.statusCode === 403) {
          throw agentError('forbidden', where, `you may not list pods in ${this.namespace}, which the console needs to find the agents (403 Forbidden)`, { detail: error.status?.message }, error);
        }
        const cluster = http.classify(error);
        throw agentError('cluster', where, `finding the agent pods failed: ${cluster.message}`, { code: cluster.code, detail: cluster.payload.detail }, error);
      }),
      // Without the right to list nodes, the nodes that have agent pods are all we can know.
      http.getJson<NodeList>('/api/v1/nodes', request).catch((error: unknown) => {
        log.debug('listing nodes failed; using the agent pods\' nodes only', { error });
        return { items: [] } as NodeList;
      }),
    ]);
    const byNode = agentPodsByNode(pods.items ?? []);
    const names = new Set<string>(byNode.keys());
    for (const n of nodes.items ?? []) if (n.metadata?.name) names.add(n.metadata.name);
    return { at: Date.now(), http, byNode, nodes: [...names].sort() };
  }
}
