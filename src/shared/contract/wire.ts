// The envelope results travel in, and the WebSocket frames of browser mode.
import { z } from 'zod';
import { LumenErrorPayload } from './errors.js';

/** Results cross IPC and WebSocket as data, because thrown errors lose their fields on the way. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: LumenErrorPayload };

export const EnvelopeSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: LumenErrorPayload }),
]);

/** Renderer → main. `id` pairs the answer with the call. */
export const WsRequestFrame = z.strictObject({
  id: z.number().int().nonnegative(),
  channel: z.string(),
  request: z.unknown(),
});
export type WsRequestFrame = z.infer<typeof WsRequestFrame>;

/** Main → renderer: an answer or a pushed event. */
export const WsServerFrame = z.union([
  z.strictObject({ id: z.number().int().nonnegative(), result: EnvelopeSchema }),
  z.strictObject({ event: z.string(), payload: z.unknown() }),
]);
export type WsServerFrame = z.infer<typeof WsServerFrame>;

/** The WebSocket path of browser mode; the token travels as `?token=`. */
export const WS_PATH = '/lumen-ws';
