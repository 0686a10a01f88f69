// Recognising the watch failures that change what the cache does next (410 Gone, aborts).
import type { WatchStatus } from './types.js';

/** The watch asked for a resourceVersion the server no longer has: relist. */
export class WatchGoneError extends Error {
  readonly code = 410;
  constructor(kind: string, status?: WatchStatus, options?: { cause?: unknown }) {
    super(`watch ${kind}: resourceVersion expired (410 Gone)${status?.message ? `: ${status.message}` : ''}`, options);
    this.name = 'WatchGoneError';
  }
}

/** A watch ERROR event other than 410: the stream is unusable, reconnect with backoff. */
export class WatchStatusError extends Error {
  readonly code: number | undefined;
  constructor(kind: string, readonly status: WatchStatus) {
    super(`watch ${kind}: server sent error ${status.code ?? '?'} ${status.reason ?? ''}${status.message ? `: ${status.message}` : ''}`.trim());
    this.name = 'WatchStatusError';
    this.code = status.code;
  }
}

/** The watch saw no event (not even a bookmark) for too long: treat the connection as dead. */
export class WatchIdleError extends Error {
  constructor(kind: string, idleMs: number) {
    super(`watch ${kind}: no event for ${idleMs} ms, reconnecting`);
    this.name = 'WatchIdleError';
  }
}

function numericCode(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** HTTP-ish status of an error from any transport: `code`, `statusCode`, `status.code` or `body.code`. */
export function errorStatusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  return numericCode(e.statusCode) ?? numericCode(e.code)
    ?? (typeof e.status === 'object' && e.status !== null ? numericCode((e.status as Record<string, unknown>).code) : numericCode(e.status))
    ?? (typeof e.body === 'object' && e.body !== null ? numericCode((e.body as Record<string, unknown>).code) : undefined);
}

export function isGoneError(error: unknown): boolean {
  return errorStatusCode(error) === 410;
}
