// The part of the kubelet API the lab serves: container logs, so that `kubectl logs` and
// the pods/log subresource work through the API server as on a real node. TLS with the
// node's certificate; a client must present a certificate of the lab CA (the API server's
// kubelet-client identity). Served on a unix socket; the node's kubelet-port program
// relays <node address>:10250 to it from the node's network namespace.
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { containerLogFile, LogLookupError, tailLines } from './logs';

export interface KubeletApiOptions {
  instance: number;
  socketPath: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** How often a followed log is checked for new output. */
  followPollMs?: number;
}

const LOGS = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/;

export class KubeletApi {
  private server: Server | undefined;
  private readonly follows = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: KubeletApiOptions) {}

  async start(): Promise<void> {
    rmSync(this.opts.socketPath, { force: true });
    const server = createServer({
      cert: readFileSync(this.opts.certFile),
      key: readFileSync(this.opts.keyFile),
      ca: readFileSync(this.opts.caFile),
      requestCert: true,
      rejectUnauthorized: true,
    }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const t of this.follows) clearInterval(t);
    this.follows.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(this.opts.socketPath, { force: true });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const m = LOGS.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      text(res, 404, `the lab kubelet serves only GET /containerLogs/<namespace>/<pod>/<container> (asked: ${req.method} ${url.pathname})\n`);
      return;
    }
    const [namespace, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
    const q = url.searchParams;
    const previous = q.get('previous') === 'true';
    const follow = q.get('follow') === 'true' && !previous;
    const tail = q.has('tailLines') ? Number(q.get('tailLines')) : undefined;
    const limit = q.has('limitBytes') ? Number(q.get('limitBytes')) : undefined;
    if ((tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) || (limit !== undefined && !(Number.isInteger(limit) && limit > 0))) {
      text(res, 400, `tailLines must be an integer >= 0 and limitBytes > 0 (got tailLines=${q.get('tailLines')}, limitBytes=${q.get('limitBytes')})\n`);
      return;
    }
    let found;
    try {
      found = containerLogFile(this.opts.instance, namespace, pod, container, previous);
    } catch (e) {
      text(res, e instanceof LogLookupError ? e.status : 500, `${(e as Error).message}\n`);
      return;
    }
    let body = found.exists ? readFileSync(found.file, 'utf8') : '';
    let offset = Buffer.byteLength(body);
    if (tail !== undefined) body = tailLines(body, tail);
    if (limit !== undefined && Buffer.byteLength(body) > limit) body = Buffer.from(body).subarray(0, limit).toString('utf8');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    if (!follow) {
      res.end(body);
      return;
    }
    // Follow: new output of this run as it is written, until the client goes away or the
    // container starts another run (as a kubelet ends a follow when its container exits).
    res.write(body);
    const { file, nextRun } = found;
    const timer = setInterval(() => {
      if (existsSync(file)) {
        const size = statSync(file).size;
        if (size > offset) {
          const fd = openSync(file, 'r');
          try {
            const buf = Buffer.alloc(size - offset);
            readSync(fd, buf, 0, buf.length, offset);
            offset = size;
            res.write(buf);
          } finally {
            closeSync(fd);
          }
        }
      }
      if (existsSync(nextRun)) end();
    }, this.opts.followPollMs ?? 250);
    this.follows.add(timer);
    const end = () => {
      clearInterval(timer);
      this.follows.delete(timer);
      res.end();
    };
    req.on('close', end);
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
