// Serves the built renderer files for browser mode: no directory escapes, CSP on every page.
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { withCspMeta } from './csp.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticOptions {
  rootDir: string;
  policy: string;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** Security headers for every response; the CSP is the same one Electron sets. */
export function securityHeaders(policy: string): Record<string, string> {
  return {
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, options: StaticOptions): Promise<void> {
  const headers = securityHeaders(options.policy);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { ...headers, Allow: 'GET, HEAD' });
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, 'bad path\n', headers);
  }
  if (pathname.includes('\0')) return send(res, 400, 'bad path\n', headers);
  const root = path.resolve(options.rootDir);
  const file = path.resolve(root, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
  if (file !== root && !file.startsWith(root + path.sep)) return send(res, 403, 'forbidden\n', headers);
  let body: Buffer;
  try {
    const s = await stat(file);
    if (!s.isFile()) return send(res, 404, 'not found\n', headers);
    body = await readFile(file);
  } catch {
    return send(res, 404, 'not found\n', headers);
  }
  const ext = path.extname(file);
  const isHtml = ext === '.html';
  const out = isHtml ? Buffer.from(withCspMeta(body.toString('utf8'), options.policy)) : body;
  res.writeHead(200, {
    ...headers,
    'Content-Type': contentTypes[ext] ?? 'application/octet-stream',
    'Content-Length': String(out.length),
    // Hashed asset names can be cached; the page itself must always be fresh.
    'Cache-Control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  res.end(req.method === 'HEAD' ? undefined : out);
}
