// Turns failures of requests to an API server into the contract's typed errors.
import { LumenError } from '../../shared/contract/index.js';

/** A Kubernetes Status object, as the API server sends with error responses. */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; group?: string; kind?: string };
}

/** The API server answered with an HTTP error status. */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly method: string,
    readonly path: string,
    readonly status: KubeStatus | null,
    readonly bodyText: string,
  ) {
    super(`${method} ${path}: HTTP ${statusCode}${status?.message ? `: ${status.message}` : ''}`);
    this.name = 'HttpStatusError';
  }
  /** Read by the shared watch machinery to recognise 410 Gone. */
  get code(): number {
    return this.statusCode;
  }
}

/** The request got no answer in time. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly method: string, readonly url: string, readonly timeoutMs: number) {
    super(`${method} ${url}: no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface Target {
  context: string;
  cluster: string;
  server: string;
}

/** Explains a 401: which credential is past its expiry, if any (checked lazily). */
export type ExpiryCheck = () => string | null;

const unreachableCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
};

const tlsCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Walks `cause` links: node-fetch and friends wrap the socket error. */
function rootCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = codeOf(current);
    if (code) codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

function deniedResource(status: KubeStatus | null, path: string): string {
  const d = status?.details;
  if (d?.kind) return `${d.group ? `${d.kind}.${d.group}` : d.kind}${d.name ? ` "${d.name}"` : ''}`;
  return path;
}

export function classifyClusterError(error: unknown, target: Target, expiry?: ExpiryCheck): LumenError {
  if (error instanceof LumenError) return error;
  const where = { context: target.context, cluster: target.cluster };
  const host = hostOf(target.server);

  if (error instanceof HttpStatusError) {
    const serverSays = error.status?.message ?? (error.bodyText.trim().slice(0, 300) || undefined);
    if (error.statusCode === 401) {
      const expired = expiry?.() ?? null;
      if (expired) {
        return LumenError.of('expired-credentials', `the credentials of context "${target.context}" have expired: ${expired}`, {
          ...where,
          hint: 'Renew them (log in again or get a new kubeconfig), then reconnect.',
          ...(serverSays ? { detail: `server said: ${serverSays}` } : {}),
        }, error);
      }
      return LumenError.of('unauthorized', `${host} rejected the credentials of context "${target.context}" (401 Unauthorized)`, {
        ...where,
        ...(serverSays ? { detail: `server said: ${serverSays}` } : {}),
      }, error);
    }
    if (error.statusCode === 403) {
      return LumenError.of('forbidden', `context "${target.context}" may not ${error.method === 'GET' ? 'read' : 'change'} ${deniedResource(error.status, error.path)} (403 Forbidden)`, {
        ...where,
        ...(serverSays ? { detail: serverSays } : {}),
      }, error);
    }
    if (error.statusCode === 404) {
      return LumenError.of('not-found', `${host} has no ${error.path} (404 Not Found)`, { ...where, ...(serverSays ? { detail: serverSays } : {}) }, error);
    }
    return LumenError.of('server-error', `${host} answered ${error.method} ${error.path} with HTTP ${error.statusCode}`, {
      ...where,
      ...(serverSays ? { detail: serverSays } : {}),
    }, error);
  }

  if (error instanceof RequestTimeoutError) {
    return LumenError.of('unreachable', `cannot reach ${target.server}: no answer within ${Math.round(error.timeoutMs / 1000)} s`, {
      ...where,
      detail: `address ${host}`,
    }, error);
  }

  const codes = rootCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  const tls = codes.find((c) => tlsCodes.has(c) || c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'));
  if (tls) {
    return LumenError.of('tls', `TLS verification of ${host} failed: ${message}`, {
      ...where,
      detail: `${tls}; check certificate-authority(-data) and tls-server-name of cluster "${target.cluster}"`,
    }, error);
  }
  const net = codes.find((c) => c in unreachableCodes);
  if (net) {
    return LumenError.of('unreachable', `cannot reach ${target.server}: ${unreachableCodes[net]} (${net})`, {
      ...where,
      detail: `address ${host}`,
    }, error);
  }
  if (codes.some((c) => c.startsWith('ERR_OSSL') || c === 'ERR_INVALID_ARG_TYPE')) {
    return LumenError.of('kubeconfig', `the client certificate or key of context "${target.context}" cannot be used: ${message}`, where, error);
  }
  return LumenError.of('internal', `request to ${host} failed: ${message}`, where, error);
}
