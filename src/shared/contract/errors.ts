// The typed error union every channel can fail with, identical over IPC and WebSocket.
import { z } from 'zod';

export const errorCodes = [
  'invalid-request', // the request did not match the channel's schema
  'unknown-channel', // no such channel
  'unreachable', // connection refused, no route, DNS, timeout
  'tls', // certificate verification failed
  'unauthorized', // 401: credentials rejected
  'forbidden', // 403: authenticated but not allowed
  'expired-credentials', // token, exec credential or client certificate past its expiry
  'exec-plugin', // credential plugin missing, failing or printing garbage
  'kubeconfig', // kubeconfig file unreadable, not YAML, or a context referring to nothing
  'server-error', // the API server answered 5xx or something that is not Kubernetes
  'not-found', // a named thing (context, subscription) does not exist
  'not-connected', // the call needs a connected cluster
  'transport', // the renderer lost its connection to main (browser mode)
  'internal', // a bug: a handler threw something unexpected or answered out of contract
] as const;

export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const LumenErrorPayload = z.object({
  code: ErrorCode,
  /** One readable sentence naming what is wrong and where. */
  message: z.string(),
  /** More context: the address tried, the verification error, the denied resource... */
  detail: z.string().optional(),
  /** What the user can do about it (an exec plugin's installHint, for instance). */
  hint: z.string().optional(),
  /** Kubeconfig context (and so cluster) the error concerns. */
  context: z.string().optional(),
  cluster: z.string().optional(),
  /** Messages of the underlying causes, outermost first. */
  cause: z.array(z.string()).optional(),
});
export type LumenErrorPayload = z.infer<typeof LumenErrorPayload>;

/** An Error carrying a payload; what handlers throw and what clients rethrow. */
export class LumenError extends Error {
  readonly code: ErrorCode;
  readonly payload: LumenErrorPayload;

  constructor(payload: LumenErrorPayload, options?: { cause?: unknown }) {
    super(payload.message, options);
    this.name = 'LumenError';
    this.code = payload.code;
    this.payload = payload;
  }

  static of(code: ErrorCode, message: string, extra: Omit<LumenErrorPayload, 'code' | 'message'> = {}, cause?: unknown): LumenError {
    return new LumenError({ code, message, ...extra }, cause === undefined ? undefined : { cause });
  }
}

export function isLumenError(error: unknown): error is LumenError {
  return error instanceof LumenError;
}

/** The messages of an error's `cause` chain (excluding the error itself), bounded. */
export function causeChain(error: unknown, limit = 5): string[] {
  const out: string[] = [];
  let current = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && current !== null && out.length < limit) {
    out.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

/** The wire form of any thrown value: LumenErrors keep their payload, anything else is 'internal'. */
export function toErrorPayload(error: unknown): LumenErrorPayload {
  if (error instanceof LumenError) {
    const chain = causeChain(error);
    return chain.length > 0 && !error.payload.cause ? { ...error.payload, cause: chain } : error.payload;
  }
  const message = error instanceof Error ? error.message : String(error);
  const chain = causeChain(error);
  return { code: 'internal', message: `internal error: ${message}`, ...(chain.length > 0 ? { cause: chain } : {}) };
}
