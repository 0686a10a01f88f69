// The lab kubelet's prober: runs in a node's network namespace and answers tcpSocket and
// httpGet probe requests (one JSON object per line on stdin, one result per line out).
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';

interface Req {
  id: number;
  type: 'tcp' | 'http';
  host: string;
  port: number;
  path?: string;
  scheme?: 'HTTP' | 'HTTPS';
  headers?: Record<string, string>;
  timeoutMs: number;
}

function reply(id: number, ok: boolean, message: string): void {
  process.stdout.write(`${JSON.stringify({ id, ok, message })}\n`);
}

function tcp(req: Req): void {
  const sock = connect({ host: req.host, port: req.port });
  const timer = setTimeout(() => {
    sock.destroy();
    reply(req.id, false, `dial tcp ${req.host}:${req.port}: i/o timeout`);
  }, req.timeoutMs);
  sock.once('connect', () => {
    clearTimeout(timer);
    sock.destroy();
    reply(req.id, true, 'connected');
  });
  sock.once('error', (e) => {
    clearTimeout(timer);
    reply(req.id, false, `dial tcp ${req.host}:${req.port}: ${e.message}`);
  });
}

function http(req: Req): void {
  const doRequest = req.scheme === 'HTTPS' ? httpsRequest : httpRequest;
  const r = doRequest({
    host: req.host,
    port: req.port,
    path: req.path ?? '/',
    method: 'GET',
    headers: { 'user-agent': 'kube-probe/1.36', ...req.headers },
    rejectUnauthorized: false,
    timeout: req.timeoutMs,
  }, (res) => {
    res.resume();
    const code = res.statusCode ?? 0;
    reply(req.id, code >= 200 && code < 400, `HTTP probe returned ${code}`);
  });
  r.on('timeout', () => r.destroy(new Error('context deadline exceeded')));
  r.on('error', (e) => reply(req.id, false, `Get "${req.scheme === 'HTTPS' ? 'https' : 'http'}://${req.host}:${req.port}${req.path ?? '/'}": ${e.message}`));
  r.end();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let req: Req;
  try {
    req = JSON.parse(line) as Req;
  } catch {
    return;
  }
  if (req.type === 'tcp') tcp(req);
  else if (req.type === 'http') http(req);
  else reply(req.id, false, `unknown probe type ${String(req.type)}`);
});
process.stdin.on('end', () => process.exit(0));
