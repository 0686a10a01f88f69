// A small Kubernetes REST client for the lab (kubelets, control-plane checks, tests):
// JSON requests with client-certificate auth, list, and list+watch with relist on 410.
import { Agent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface KubeCredentials {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export class KubeError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`, options);
    this.name = 'KubeError';
  }
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: Array<{ kind: string; name: string; uid: string; apiVersion: string }>;
  creationTimestamp?: string;
  generateName?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Reads the first user/cluster of a kubeconfig with embedded certificate data (as the lab writes them). */
export function credentialsFromKubeconfig(path: string): KubeCredentials {
  let doc: {
    clusters?: Array<{ cluster?: Record<string, string> }>;
    users?: Array<{ user?: Record<string, string> }>;
  };
  try {
    doc = parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path}`, { cause: e });
  }
  const cluster = doc.clusters?.[0]?.cluster;
  const user = doc.users?.[0]?.user;
  const field = (o: Record<string, string> | undefined, k: string): string => {
    const v = o?.[k];
    if (!v) throw new Error(`kubeconfig ${path}: missing ${k} (the lab client needs embedded certificate data)`);
    return v;
  };
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
  return {
    server: field(cluster, 'server'),
    ca: b64(field(cluster, 'certificate-authority-data')),
    cert: b64(field(user, 'client-certificate-data')),
    key: b64(field(user, 'client-key-data')),
  };
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export class KubeClient {
  readonly server: URL;
  private readonly agent: Agent;

  constructor(readonly creds: KubeCredentials) {
    this.server = new URL(creds.server);
    this.agent = new Agent({ keepAlive: true, maxSockets: 32, ca: creds.ca, cert: creds.cert, key: creds.key });
  }

  static fromKubeconfig(path: string): KubeClient {
    return new KubeClient(credentialsFromKubeconfig(path));
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends one request; resolves with the parsed JSON body (or the raw text when it is not JSON). */
  request<T = unknown>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const fullPath = `${path}${queryString(opts.query)}`;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest({
        host: this.server.hostname,
        port: this.server.port || 443,
        method,
        path: fullPath,
        agent: this.agent,
        signal: opts.signal,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new Error(`${method} ${path}: response failed`, { cause: e })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Non-JSON bodies (e.g. /readyz) are returned as text.
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else {
            const st = (typeof parsed === 'object' && parsed ? parsed : {}) as { reason?: string; message?: string };
            reject(new KubeError(method, path, status, st.reason ?? res.statusMessage ?? 'Error', st.message ?? text.slice(0, 500)));
          }
        });
      });
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof KubeError ? e : new Error(`${method} ${path}: ${e.message}`, { cause: e })));
      req.end(payload);
    });
  }

  get<T = KubeObject>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, { query });
  }

  /** GET that resolves undefined on 404. */
  async getOptional<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  create<T = KubeObject>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, body, { query });
  }

  /** JSON merge patch (RFC 7386). */
  mergePatch<T = KubeObject>(path: string, patch: unknown, query?: Query): Promise<T> {
    return this.request<T>('PATCH', path, patch, { query, contentType: 'application/merge-patch+json' });
  }

  strategicPatch<T = KubeObject>(path: string, patch: unknown, query?: Query): Promise<T> {
    return this.request<T>('PATCH', path, patch, { query, contentType: 'application/strategic-merge-patch+json' });
  }

  /** Server-side apply with the given field manager. */
  apply<T = KubeObject>(path: string, obj: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', path, obj, { query: { fieldManager, force: true }, contentType: 'application/apply-patch+yaml' });
  }

  delete<T = unknown>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, body, { query });
  }

  list<T = KubeObject>(path: string, query?: Query): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    return this.request('GET', path, undefined, { query });
  }

  /**
   * Lists then watches `path` and calls `onEvent` for every change (the initial list
   * arrives as ADDED events, `onSync` after it). Relists on 410 Gone and reconnects on
   * errors with backoff until the signal aborts.
   */
  listWatch<T extends KubeObject>(path: string, handlers: {
    onEvent: (ev: WatchEvent<T>) => void | Promise<void>;
    onSync?: (items: T[]) => void | Promise<void>;
    onError?: (e: unknown) => void;
    query?: Query;
    signal: AbortSignal;
  }): Promise<void> {
    const { signal } = handlers;
    const loop = async (): Promise<void> => {
      let backoff = 200;
      while (!signal.aborted) {
        try {
          const list = await this.list<T>(path, handlers.query);
          for (const item of list.items) await handlers.onEvent({ type: 'ADDED', object: item });
          await handlers.onSync?.(list.items);
          let rv = list.metadata.resourceVersion;
          for (;;) {
            const result = await this.watchOnce<T>(path, rv, handlers.query, signal, async (ev) => {
              const meta = (ev.object as KubeObject).metadata;
              if (meta?.resourceVersion) rv = meta.resourceVersion;
              if (ev.type !== 'BOOKMARK') await handlers.onEvent(ev);
            });
            backoff = 200;
            if (result === 'gone' || signal.aborted) break;
          }
        } catch (e) {
          if (signal.aborted) return;
          handlers.onError?.(e);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    };
    return loop();
  }

  /** One watch request; resolves 'gone' on a 410 ERROR event, 'closed' when the server ends it. */
  private watchOnce<T>(path: string, rv: string, query: Query | undefined, signal: AbortSignal, onEvent: (ev: WatchEvent<T>) => Promise<void>): Promise<'gone' | 'closed'> {
    const fullPath = `${path}${queryString({ ...query, watch: 1, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 })}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: this.server.hostname,
        port: this.server.port || 443,
        method: 'GET',
        path: fullPath,
        agent: this.agent,
        signal,
        headers: { accept: 'application/json' },
      }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode === 410) resolve('gone');
            else reject(new KubeError('WATCH', path, res.statusCode ?? 0, res.statusMessage ?? 'Error', Buffer.concat(chunks).toString().slice(0, 300)));
          });
          return;
        }
        let buf = '';
        let chain = Promise.resolve();
        let gone = false;
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as WatchEvent<T>;
            if (ev.type === 'ERROR') {
              const code = (ev.object as { code?: number }).code;
              if (code === 410) gone = true;
              else chain = chain.then(() => Promise.reject(new KubeError('WATCH', path, code ?? 0, 'WatchError', JSON.stringify(ev.object))));
              continue;
            }
            // Events are handled strictly in order, one at a time.
            chain = chain.then(() => onEvent(ev));
          }
        });
        res.on('end', () => {
          chain.then(() => resolve(gone ? 'gone' : 'closed'), reject);
        });
        res.on('error', (e) => reject(e));
      });
      req.on('error', (e) => reject(signal.aborted ? new Error('aborted') : new Error(`WATCH ${path}: ${e.message}`, { cause: e })));
      req.end();
    });
  }
}
