// A small Kubernetes REST client for the agent: in-cluster or kubeconfig credentials,
// JSON requests, streaming watches (newline-delimited JSON) cancelled by AbortSignal.
// Small on purpose: the agent uses a dozen calls and needs full control of watch streams.
import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { request as httpRequest } from 'node:http';
import { parse as parseYaml } from 'yaml';

export interface KubeCredentials {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Re-read per request so a rotated projected token is picked up. */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * In-cluster credentials. The agent replaces kube-proxy, so the `kubernetes` ClusterIP is
 * not usable while it starts: KUBERNETES_SERVICE_HOST/PORT must name the real apiserver
 * (the manifests set them) — `server` overrides both.
 */
export function inClusterCredentials(server?: string): KubeCredentials {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const url = server ?? (host ? `https://${host.includes(':') ? `[${host}]` : host}:${port}` : undefined);
  if (!url) throw new Error('no API server: set KUBERNETES_SERVICE_HOST/PORT or the apiServer config key');
  return { server: url, ca: readFileSync(`${SA_DIR}/ca.crt`), tokenFile: `${SA_DIR}/token` };
}

function b64OrFile(data: unknown, file: unknown, base: string): Buffer | undefined {
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  if (typeof file === 'string') return readFileSync(file.startsWith('/') ? file : `${base}/${file}`);
  return undefined;
}

/** Credentials of the current (or named) context of a kubeconfig file. */
export function kubeconfigCredentials(path: string, context?: string): KubeCredentials {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${path}`, { cause: err });
  }
  const named = <T>(list: unknown, name: unknown, what: string): T => {
    const found = (list as { name: string }[] | undefined)?.find((x) => x.name === name);
    if (!found) throw new Error(`kubeconfig ${path}: ${what} "${String(name)}" not found`);
    return (found as unknown as Record<string, T>)[what]!;
  };
  const ctx = named<{ cluster: string; user: string }>(doc.contexts, context ?? doc['current-context'], 'context');
  const cluster = named<Record<string, unknown>>(doc.clusters, ctx.cluster, 'cluster');
  const user = named<Record<string, unknown>>(doc.users, ctx.user, 'user');
  const base = path.slice(0, path.lastIndexOf('/')) || '.';
  return {
    server: String(cluster.server),
    ca: b64OrFile(cluster['certificate-authority-data'], cluster['certificate-authority'], base),
    cert: b64OrFile(user['client-certificate-data'], user['client-certificate'], base),
    key: b64OrFile(user['client-key-data'], user['client-key'], base),
    token: typeof user.token === 'string' ? user.token : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

/** An API error with the status, the apiserver's reason and what was being accessed. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly method: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`, options);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.status === 410;

export interface WatchEvent<T = unknown> { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: T }

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class KubeClient {
  private readonly agent: Agent | undefined;
  private readonly url: URL;

  constructor(readonly creds: KubeCredentials) {
    this.url = new URL(creds.server);
    this.agent = this.url.protocol === 'https:'
      ? new Agent({ keepAlive: true, maxSockets: 16, ca: creds.ca, cert: creds.cert, key: creds.key, rejectUnauthorized: !creds.insecureSkipTlsVerify })
      : undefined;
  }

  private headers(contentType?: string): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': 'lumen-agent' };
    if (contentType) h['content-type'] = contentType;
    const token = this.creds.tokenFile ? readFileSync(this.creds.tokenFile, 'utf8').trim() : this.creds.token;
    if (token) h.authorization = `Bearer ${token}`;
    return h;
  }

  private open(method: string, path: string, opts: RequestOptions) {
    const u = new URL(path, this.url);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers = this.headers(body === undefined ? undefined : (opts.contentType ?? 'application/json'));
    // Node sends DELETE bodies without chunked framing: an explicit length keeps the
    // keep-alive connection in sync (else the body is read as the next request).
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method,
      agent: this.agent,
      headers,
      signal: opts.signal,
      timeout: opts.timeoutMs,
    });
    if (body !== undefined) req.write(body);
    req.end();
    return req;
  }

  /**
   * One JSON request; non-2xx becomes a KubeApiError carrying the apiserver's Status.
   * 429 (the apiserver's "try later", e.g. while a new CRD's storage initialises) is
   * retried a few times: the server rejected the request before acting on it.
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce<T>(method, path, opts);
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.status !== 429 || attempt >= 8 || opts.signal?.aborted) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  private requestOnce<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = this.open(method, path, { timeoutMs: 30_000, ...opts });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => reject(new Error(`${method} ${path} against ${this.creds.server} failed: ${err.message}`, { cause: err })));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(err));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch (err) {
            if (status >= 200 && status < 300) return reject(new Error(`${method} ${path}: response is not JSON`, { cause: err }));
          }
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const st = (parsed ?? {}) as { reason?: string; message?: string };
          reject(new KubeApiError(status, st.reason ?? res.statusMessage ?? 'Error', method, path, st.message ?? text.slice(0, 200)));
        });
      });
    });
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> { return this.request<T>('GET', path, { signal }); }
  create<T>(path: string, body: unknown): Promise<T> { return this.request<T>('POST', path, { body }); }
  replace<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, { body }); }
  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body: patch, contentType: 'application/merge-patch+json' });
  }
  delete<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('DELETE', path, { body }); }

  /**
   * Streams a watch from `resourceVersion`; resolves when the server closes the stream,
   * rejects on transport errors or an ERROR event (410 Gone → KubeApiError status 410).
   */
  watch<T>(path: string, resourceVersion: string, signal: AbortSignal, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    const full = `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${240 + Math.floor(Math.random() * 120)}`;
    return new Promise<void>((resolve, reject) => {
      const req = this.open('GET', full, { signal });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(new Error(`watch ${path} failed: ${err.message}`, { cause: err }))));
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          let text = '';
          res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
          res.on('end', () => {
            let st: { reason?: string; message?: string } = {};
            try { st = JSON.parse(text); } catch { /* keep the raw text */ }
            reject(new KubeApiError(res.statusCode ?? 0, st.reason ?? 'Error', 'WATCH', path, st.message ?? text.slice(0, 200)));
          });
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as WatchEvent<T>;
            if (ev.type === 'ERROR') {
              const st = ev.object as { code?: number; reason?: string; message?: string };
              req.destroy();
              reject(new KubeApiError(st.code ?? 500, st.reason ?? 'Error', 'WATCH', path, st.message ?? 'watch error'));
              return;
            }
            onEvent(ev);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      });
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}
