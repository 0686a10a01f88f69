// Connecting to a context: server version, what the user may do, connection state.
import { z } from 'zod';
import { LumenErrorPayload } from './errors.js';

export const ServerVersion = z.strictObject({
  gitVersion: z.string(),
  major: z.string(),
  minor: z.string(),
  platform: z.string(),
});
export type ServerVersion = z.infer<typeof ServerVersion>;

/** One access check: may the user `verb` the `resource` (in `namespace`, if set)? */
export const Permission = z.strictObject({
  verb: z.string(),
  group: z.string(),
  resource: z.string(),
  subresource: z.string().nullable(),
  namespace: z.string().nullable(),
  allowed: z.boolean(),
  /** The authorizer's explanation, or why the check itself failed. */
  reason: z.string().nullable(),
});
export type Permission = z.infer<typeof Permission>;

export const ConnectionInfo = z.strictObject({
  context: z.string(),
  server: z.string(),
  version: ServerVersion,
  permissions: z.array(Permission),
  /** Milliseconds the connect took (version + access reviews). */
  latencyMs: z.number(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

export const ConnectionStatus = z.enum(['disconnected', 'connecting', 'connected', 'failed']);
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

export const ConnectionState = z.strictObject({
  status: ConnectionStatus,
  context: z.string().nullable(),
  server: z.string().nullable(),
  info: ConnectionInfo.nullable(),
  error: LumenErrorPayload.nullable(),
  /** Milliseconds since the epoch of the last status change. */
  since: z.number(),
});
export type ConnectionState = z.infer<typeof ConnectionState>;
