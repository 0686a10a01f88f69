// Minimal JSON and watch-stream requests to an API server, authenticated by client-node's KubeConfig.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { HttpStatusError, RequestTimeoutError, classifyClusterError, type KubeStatus } from './errors.js';
import type { ContextTarget } from './kubeconfig/clientConfig.js';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Until the response headers arrive (watch) or the whole body (JSON). */
  timeoutMs?: number;
  /** Extra request headers (the agent client's x-lumen-token through the pod proxy). */
  headers?: Record<string, string>;
  /** Content type of a JSON body (apply-patch, merge-patch); application/json by default. */
  contentType?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/**
 * Requests go through node:http(s) with the agent and headers client-node derives from
 * the kubeconfig (CA, client certificate, token, exec plugin), so TLS and socket errors
 * keep their codes and every request has a timeout and an AbortSignal.
 */
export class KubeHttp {
  constructor(readonly target: ContextTarget) {}

  async getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('GET', path, undefined, options);
  }

  async postJson<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', path, body, options);
  }

  /** Streams newline-delimited JSON (a watch) until the server ends it or `signal` aborts. */
  async stream(path: string, onObject: (value: unknown) => void, options: RequestOptions = {}): Promise<void> {
    const res = await this.open('GET', path, undefined, options);
    if (res.statusCode !== 200) throw await this.statusError(res, 'GET', path);
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      const onAbort = () => {
        res.destroy();
        reject(abortError());
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      lines.on('line', (line) => {
        if (!line.trim()) return;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          res.destroy();
          reject(new Error(`GET ${path}: the watch stream carried a line that is not JSON`, { cause: error }));
          return;
        }
        onObject(value);
      });
      res.on('error', (error) => reject(error));
      lines.on('close', () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Classifies any failure of this target's requests into the contract's errors. */
  classify(error: unknown) {
    return classifyClusterError(error, this.target, () => this.target.expired());
  }

  /** One request with a JSON body (or none); the status and the whole answer as text, whatever the status. */
  async request(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<{ status: number; text: string }> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = Date.now();
    const res = await this.open(method, path, body, options);
    // The body shares the request's time budget: a server that sends headers and then stalls is as dead.
    const timer = setTimeout(
      () => res.destroy(new RequestTimeoutError(method, this.target.server + path, timeoutMs)),
      Math.max(0, timeoutMs - (Date.now() - started)),
    );
    const text = await this.readBody(res, options).finally(() => clearTimeout(timer));
    return { status: res.statusCode ?? 0, text };
  }

  private async json<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const { status, text } = await this.request(method, path, body, options);
    if (status >= 400) throw new HttpStatusError(status, method, path, parseStatus(text), text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HttpStatusError(status, method, path, { message: 'the answer is not JSON (is this a Kubernetes API server?)' }, text.slice(0, 200));
    }
  }

  private async open(method: string, path: string, body: unknown, options: RequestOptions): Promise<http.IncomingMessage> {
    if (options.signal?.aborted) throw abortError();
    const auth: https.RequestOptions = {};
    await this.target.kubeConfig.applyToHTTPSOptions(auth);
    const url = new URL(this.target.server + path);
    const transport = url.protocol === 'http:' ? http : https;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, {
        method,
        agent: auth.agent,
        auth: auth.auth,
        headers: {
          ...(auth.headers as Record<string, string>),
          Accept: 'application/json',
          'User-Agent': 'lumen-console',
          ...options.headers,
          ...(payload ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': String(payload.length) } : {}),
        },
      });
      const timer = setTimeout(() => req.destroy(new RequestTimeoutError(method, url.origin + path, timeoutMs)), timeoutMs);
      const onAbort = () => req.destroy(abortError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(res);
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        reject(error);
      });
      req.end(payload);
    });
  }

  private readBody(res: http.IncomingMessage, options: RequestOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onAbort = () => res.destroy(abortError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
  }

  private async statusError(res: http.IncomingMessage, method: string, path: string): Promise<HttpStatusError> {
    const text = await this.readBody(res, {}).catch(() => '');
    return new HttpStatusError(res.statusCode ?? 0, method, path, parseStatus(text), text);
  }
}

/** The Status object of an error answer, if it is one. */
export function parseStatus(text: string): KubeStatus | null {
  try {
    const value = JSON.parse(text) as KubeStatus;
    return typeof value === 'object' && value !== null && value.kind === 'Status' ? value : null;
  } catch {
    return null;
  }
}
