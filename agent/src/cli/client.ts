// AgentClient: talks to the agent API over the local unix socket (no token) or HTTPS (token, CA or --insecure), with JSON calls and NDJSON streams.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AGENT_API_SOCKET, AGENT_TOKEN_HEADER, ApiErrorBodySchema } from '../../../src/shared/agent-api/index.js';

export interface ClientOptions {
  /** Unix socket path (default /var/run/lumen/lumen.sock) — used when no server is given. */
  socketPath?: string;
  /** https://host:port of an agent. */
  server?: string;
  token?: string;
  /** PEM of the CA (or the self-signed agent certificate) to verify the server with. */
  ca?: string | Buffer;
  /** Skip certificate verification (the agent's certificate is self-signed). */
  insecure?: boolean;
  timeoutMs?: number;
}

export class AgentRequestError extends Error {
  override readonly name = 'AgentRequestError';
  constructor(message: string, readonly status?: number, readonly code?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class AgentClient {
  constructor(private readonly options: ClientOptions = {}) {
    if (options.server && !/^https:\/\//.test(options.server)) throw new AgentRequestError(`--server ${options.server}: expected https://<host>:<port>`);
  }

  /** Where requests go, for error messages. */
  get target(): string {
    return this.options.server ?? `unix:${this.options.socketPath ?? AGENT_API_SOCKET}`;
  }

  private open(method: string, path: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson, text/plain' };
      let req;
      if (o.server) {
        const url = new URL(path, o.server);
        if (o.token) {
          headers.authorization = `Bearer ${o.token}`;
          headers[AGENT_TOKEN_HEADER] = o.token;
        }
        req = httpsRequest(url, { method, headers, ca: o.ca, rejectUnauthorized: !o.insecure, signal, timeout: o.timeoutMs ?? 15_000 });
      } else {
        const ro: RequestOptions = { socketPath: o.socketPath ?? AGENT_API_SOCKET, path, method, headers, signal, timeout: o.timeoutMs ?? 15_000 };
        req = httpRequest(ro);
      }
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 15_000} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? ' (is the agent running on this node? the socket is created by lumen-agent)'
          : err.code === 'EACCES' ? ' (the socket is root-only: run as root)' : '';
        reject(new AgentRequestError(`cannot reach the agent at ${this.target}: ${err.message}${hint}`, undefined, err.code, { cause: err }));
      });
      req.end();
    });
  }

  private static async body(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private async fail(res: IncomingMessage, method: string, path: string): Promise<never> {
    const text = await AgentClient.body(res);
    let message = text.trim();
    let code: string | undefined;
    try {
      const parsed = ApiErrorBodySchema.safeParse(JSON.parse(text));
      if (parsed.success) [message, code] = [parsed.data.error.message, parsed.data.error.code];
    } catch {
      // not JSON: keep the text
    }
    throw new AgentRequestError(`${method} ${path} on ${this.target}: HTTP ${res.statusCode}: ${message}`, res.statusCode, code);
  }

  /** A request whose answer is text (metrics, healthz); rejects on a non-2xx status. */
  async text(method: string, path: string): Promise<string> {
    const res = await this.open(method, path);
    if ((res.statusCode ?? 0) >= 300) return this.fail(res, method, path);
    return AgentClient.body(res);
  }

  async json<T = unknown>(method: string, path: string): Promise<T> {
    const text = await this.text(method, path);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new AgentRequestError(`${method} ${path} on ${this.target}: the answer is not JSON: ${text.slice(0, 200)}`, undefined, undefined, { cause });
    }
  }

  /** Raw status and body, for callers that handle errors themselves (health checks). */
  async raw(method: string, path: string): Promise<{ status: number; body: string }> {
    const res = await this.open(method, path);
    return { status: res.statusCode ?? 0, body: await AgentClient.body(res) };
  }

  /**
   * Reads an NDJSON stream, calling onLine per parsed line, until the server ends it or
   * `signal` aborts (then resolves normally).
   */
  async stream(path: string, onLine: (line: unknown) => void, signal?: AbortSignal): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.open('GET', path, signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if ((res.statusCode ?? 0) >= 300) return this.fail(res, 'GET', path);
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) onLine(JSON.parse(line));
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw new AgentRequestError(`flow stream from ${this.target} broke: ${(err as Error).message}`, undefined, undefined, { cause: err });
    }
  }
}
