// The agent's end of the CNI socket: accepts one request per connection from the C
// plugin, runs it through the handler and answers with "<exit code>\n<json>".
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { log } from '../log.js';
import { CNI_VERSION, CniCode, CniError, encodeAnswer, encodeError, parseRequest, type CniRequest, type CniResult } from './codec.js';

export interface CniHandler {
  add(req: CniRequest): Promise<CniResult>;
  del(req: CniRequest): Promise<void>;
  check(req: CniRequest): Promise<void>;
  /** STATUS: throws CniError (code 50, "not ready") while the agent cannot serve ADD. */
  status(): Promise<void>;
}

const MAX_REQUEST = 1 << 20;

export async function dispatch(handler: CniHandler, raw: string): Promise<string> {
  let req: CniRequest | undefined;
  try {
    req = parseRequest(raw);
    const who = `${req.args.K8S_POD_NAMESPACE ?? '?'}/${req.args.K8S_POD_NAME ?? '?'} (${req.containerId.slice(0, 12)})`;
    const t0 = Date.now();
    switch (req.command) {
      case 'ADD': {
        const result = await handler.add(req);
        log.info('cni', `ADD ${who}: ${result.ips.map((i) => i.address).join(', ')} in ${Date.now() - t0} ms`);
        return encodeAnswer(0, { ...result, cniVersion: req.config.cniVersion });
      }
      case 'DEL':
        await handler.del(req);
        log.info('cni', `DEL ${who} in ${Date.now() - t0} ms`);
        return encodeAnswer(0, undefined);
      case 'CHECK':
        await handler.check(req);
        return encodeAnswer(0, undefined);
      case 'STATUS':
        await handler.status();
        return encodeAnswer(0, undefined);
      case 'GC':
        return encodeAnswer(0, undefined);
    }
  } catch (err) {
    log.warn('cni', `${req?.command ?? 'request'} ${req?.args.K8S_POD_NAMESPACE ?? ''}/${req?.args.K8S_POD_NAME ?? ''} failed`, err);
    return encodeError(err, req?.config.cniVersion ?? CNI_VERSION);
  }
}

/** Listens on `path` (mode 0600: only root on the node may drive pod networking). */
export async function startCniServer(path: string, handler: CniHandler): Promise<Server> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  // Half-open: the plugin shuts down its write side after the request and waits for the answer.
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    let raw = '';
    let tooBig = false;
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      raw += d;
      if (raw.length > MAX_REQUEST && !tooBig) {
        tooBig = true;
        conn.end(encodeError(new CniError(CniCode.decodeFailure, `request larger than ${MAX_REQUEST} bytes`)));
      }
    });
    conn.on('error', (err) => log.warn('cni', 'connection error', err));
    conn.on('end', () => {
      if (tooBig) return;
      void dispatch(handler, raw).then((answer) => conn.end(answer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  return server;
}
