// Browser mode host: the renderer over HTTP and the contract over a WebSocket, loopback only,
// token and Origin checked, calling the same dispatcher as the IPC host.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH, WsRequestFrame } from '../../shared/contract/index.js';
import { logger } from '../log.js';
import { contentSecurityPolicy } from './csp.js';
import type { Dispatcher } from './dispatch.js';
import { serveStatic } from './static.js';

const log = logger('host:ws');
const HOST = '127.0.0.1';

export interface BrowserHostOptions {
  dispatcher: Dispatcher;
  rendererDir: string;
  /** 0 or undefined: any free port. */
  port?: number;
  /** Fixed token for tests; random per start otherwise. */
  token?: string;
}

export interface BrowserHost {
  origin: string;
  port: number;
  token: string;
  /** What to open: origin + `/#token=`. */
  url: string;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: Duplex, status: 401 | 403 | 404 | 421, reason: string): void {
  const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 421: 'Misdirected Request' }[status];
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  const policy = contentSecurityPolicy({ connect: [`ws://${HOST}:${port}`] });
  // DNS rebinding: a foreign page whose name resolves to 127.0.0.1 sends its own Host.
  const allowedHosts = new Set([`${HOST}:${port}`]);

  server.on('request', (req, res) => {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong host\n');
      return;
    }
    serveStatic(req, res, { rootDir: options.rendererDir, policy }).catch((error) => {
      log.error('static file failed', { error });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    if (!allowedHosts.has(req.headers.host ?? '')) return refuse(socket, 421, 'wrong host');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'no such endpoint');
    if (!sameSecret(url.searchParams.get('token') ?? '', token)) {
      log.warn('refused a WebSocket without the right token');
      return refuse(socket, 401, 'missing or wrong token');
    }
    if (req.headers.origin !== origin) {
      log.warn(`refused a WebSocket from origin ${req.headers.origin ?? '(none)'}`);
      return refuse(socket, 403, 'foreign origin');
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  const sockets = new Set<WebSocket>();
  function accept(ws: WebSocket): void {
    sockets.add(ws);
    let alive = true;
    const peer = options.dispatcher.addPeer('ws', (event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    log.info(`browser connected (${peer.id})`);
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      let frame: WsRequestFrame;
      try {
        if (isBinary) throw new Error('binary frame');
        frame = WsRequestFrame.parse(JSON.parse(data.toString()));
      } catch {
        ws.close(1003, 'frames must be JSON {id, channel, request}');
        return;
      }
      void options.dispatcher.dispatch(frame.channel, frame.request, peer).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, result }));
      });
    });
    ws.on('close', () => {
      clearInterval(ping);
      sockets.delete(ws);
      options.dispatcher.removePeer(peer);
      log.info(`browser disconnected (${peer.id})`);
    });
  }

  return {
    origin,
    port,
    token,
    url: `${origin}/#token=${token}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
