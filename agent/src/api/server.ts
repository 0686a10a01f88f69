// Starts the agent API: HTTPS on the node address (TLS from the mounted Secret, install token required) and the same routes on a 0600 unix socket for the local CLI.
import { chmodSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { TokenAuth } from './auth.js';
import { handleRequest, type ApiContext } from './handler.js';

export interface AgentApiOptions extends ApiContext {
  /** HTTPS listener; omit to serve only the unix socket. */
  https?: {
    address: string;
    port: number;
    certFile: string;
    keyFile: string;
    tokenFile: string;
  };
  /** Unix socket path (config api-socket); omit to serve only HTTPS. */
  socketPath?: string;
}

export interface AgentApi {
  /** Bound HTTPS address (port resolved when 0 was asked). */
  httpsAddress?: { address: string; port: number };
  socketPath?: string;
  /** Stops accepting, ends follow streams, closes every connection. */
  close(): Promise<void>;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new Error(`cannot read the API TLS ${what} ${file}: ${(cause as Error).message}`, { cause });
  }
}

function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(target, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Removes a leftover socket from a previous agent, but never a regular file someone put there. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
    else throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function startAgentApi(options: AgentApiOptions): Promise<AgentApi> {
  const ctx: ApiContext = options;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (server: Server): void => {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    // Follow streams are long-lived by design; only idle keep-alive sockets time out.
    server.requestTimeout = 0;
  };
  const api: AgentApi = {
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
      for (const s of sockets) s.destroy();
      if (api.socketPath) removeStaleSocket(api.socketPath);
    },
  };
  try {
    if (options.https) {
      const h = options.https;
      const auth = new TokenAuth(h.tokenFile, ctx.log);
      const server = createHttpsServer(
        { cert: readPem(h.certFile, 'certificate'), key: readPem(h.keyFile, 'key'), minVersion: 'TLSv1.2' },
        (req: IncomingMessage, res: ServerResponse) => void handleRequest(ctx, req, res, { authorized: auth.check(req.headers) }),
      );
      track(server);
      try {
        await listen(server, { host: h.address, port: h.port });
      } catch (cause) {
        throw new Error(`cannot listen on https://${h.address}:${h.port}: ${(cause as Error).message}`, { cause });
      }
      servers.push(server);
      const addr = server.address() as AddressInfo;
      api.httpsAddress = { address: addr.address, port: addr.port };
    }
    if (options.socketPath) {
      const path = options.socketPath;
      mkdirSync(dirname(path), { recursive: true });
      removeStaleSocket(path);
      const server = createHttpServer((req, res) => void handleRequest(ctx, req, res, { authorized: true }));
      track(server);
      // The socket is root-only (0600): whoever can open it is already root on the node.
      const oldMask = process.umask(0o177);
      try {
        await listen(server, { path });
      } catch (cause) {
        throw new Error(`cannot listen on unix socket ${path}: ${(cause as Error).message}`, { cause });
      } finally {
        process.umask(oldMask);
      }
      chmodSync(path, 0o600);
      servers.push(server);
      api.socketPath = path;
    }
  } catch (err) {
    await api.close();
    throw err;
  }
  return api;
}
