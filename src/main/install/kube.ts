// The install engine's REST access to one context: JSON get/list/apply/delete, text (logs), list+watch streams; errors classified per target.
import { HttpStatusError } from '../cluster/errors.js';
import { KubeHttp, parseStatus } from '../cluster/http.js';
import type { ContextTarget } from '../cluster/kubeconfig/clientConfig.js';

export const FIELD_MANAGER = 'lumen-console';

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

export interface KubeList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

export function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

export function statusCode(error: unknown): number | undefined {
  return error instanceof HttpStatusError ? error.statusCode : undefined;
}

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;

/**
 * One context's API server. Credentials come from client-node's KubeConfig (the same
 * authenticators as the rest of the console); `http` is the console's KubeHttp for the
 * same target, which the agents client needs.
 */
export class KubeApi {
  readonly http: KubeHttp;

  constructor(readonly target: ContextTarget) {
    this.http = new KubeHttp(target);
  }

  get context(): string {
    return this.target.context;
  }

  /** Turns any failure into the contract's typed error (context, cluster, cause chain). */
  classify(error: unknown) {
    return this.http.classify(error);
  }

  async get<T>(path: string, options: KubeRequest = {}): Promise<T> {
    return this.json<T>(path, { ...options, method: 'GET' });
  }

  /** GET that answers null on 404. */
  async getOptional<T>(path: string, options: KubeRequest = {}): Promise<T | null> {
    try {
      return await this.get<T>(path, options);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Every page of a list. */
  async list<T>(path: string, options: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (options.labelSelector) q.set('labelSelector', options.labelSelector);
      if (options.fieldSelector) q.set('fieldSelector', options.fieldSelector);
      if (cont) q.set('continue', cont);
      const page = await this.get<KubeList<T>>(`${path}?${q}`, options.signal ? { signal: options.signal } : {});
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { metadata: resourceVersion ? { resourceVersion } : {}, items };
  }

  /** Server-side apply with the console's one field manager; `force` only after the user saw the conflicts. */
  async apply<T>(path: string, object: unknown, options: { force?: boolean; dryRun?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const q = new URLSearchParams({ fieldManager: FIELD_MANAGER });
    if (options.force) q.set('force', 'true');
    if (options.dryRun) q.set('dryRun', 'All');
    return this.json<T>(`${path}?${q}`, {
      method: 'PATCH',
      body: object,
      contentType: 'application/apply-patch+yaml',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** JSON merge patch (`path` may carry ?fieldManager=...). */
  async patchMerge<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.json<T>(path, { method: 'PATCH', body, contentType: 'application/merge-patch+json', ...(signal ? { signal } : {}) });
  }

  async create<T>(path: string, object: unknown, options: KubeRequest = {}): Promise<T> {
    return this.json<T>(path, { ...options, method: 'POST', body: object });
  }

  /** DELETE; resolves false when the object was already gone. */
  async delete(path: string, options: { propagation?: 'Background' | 'Foreground' | 'Orphan'; gracePeriodSeconds?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      await this.json(path, {
        method: 'DELETE',
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: options.propagation ?? 'Background',
          ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** A text answer (pods/log). */
  async text(path: string, options: KubeRequest = {}): Promise<string> {
    const { status, body } = await this.raw(path, { ...options, method: 'GET', headers: { Accept: '*/*', ...options.headers } });
    if (status >= 400) throw new HttpStatusError(status, 'GET', path, parseStatus(body), body);
    return body;
  }

  /**
   * Streams watch events of `path` from `resourceVersion` until the server ends the stream
   * (resolves) or `signal` aborts (rejects with AbortError).
   */
  async watch(path: string, query: URLSearchParams, onEvent: (event: { type: string; object: unknown }) => void, signal: AbortSignal): Promise<void> {
    const q = new URLSearchParams(query);
    q.set('watch', '1');
    q.set('allowWatchBookmarks', 'true');
    q.set('timeoutSeconds', '120');
    await this.http.stream(`${path}?${q}`, (value) => {
      const e = value as { type?: unknown; object?: unknown };
      if (e && typeof e.type === 'string') onEvent({ type: e.type, object: e.object });
    }, { signal, timeoutMs: 30_000 });
  }

  private async json<T>(path: string, options: KubeRequest): Promise<T> {
    const method = options.method ?? 'GET';
    const { status, body } = await this.raw(path, options);
    if (status >= 400) throw new HttpStatusError(status, method, path, parseStatus(body), body);
    if (!body) return undefined as T;
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new HttpStatusError(status, method, path, { message: 'the answer is not JSON (is this a Kubernetes API server?)' }, body.slice(0, 200));
    }
  }

  /** Through the console's KubeHttp (same credentials, timeouts and abort handling); 30 s budget by default. */
  private async raw(path: string, options: KubeRequest): Promise<{ status: number; body: string }> {
    const { method = 'GET', body, timeoutMs = 30_000, ...rest } = options;
    const r = await this.http.request(method, path, body, { ...rest, timeoutMs });
    return { status: r.status, body: r.text };
  }
}
