// The contract: every request channel's request/response schema and every event's payload.
import { z } from 'zod';
import { ConnectionInfo, ConnectionState } from './cluster.js';
import { KubeconfigState } from './kubeconfig.js';
import type { EventChannel, RequestChannel } from './names.js';
import { WatchDelta, WatchKindStatus, WatchSubscribeRequest, WatchSubscription } from './watch.js';

const Empty = z.strictObject({});

export const AppInfo = z.strictObject({
  name: z.literal('Lumen'),
  version: z.string(),
  /** desktop: Electron window over IPC; browser: `npm run serve` over WebSocket. */
  mode: z.enum(['desktop', 'browser']),
  platform: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

interface ChannelSchema {
  request: z.ZodType;
  response: z.ZodType;
}

export const channels = {
  'app:info': { request: Empty, response: AppInfo },
  'kubeconfig:get': { request: Empty, response: KubeconfigState },
  /** Re-reads every file now (the file watcher does this on its own too). */
  'kubeconfig:reload': { request: Empty, response: KubeconfigState },
  /** Connects (replacing any current connection) and starts the watch caches. */
  'cluster:connect': { request: z.strictObject({ context: z.string().min(1) }), response: ConnectionInfo },
  'cluster:disconnect': { request: Empty, response: ConnectionState },
  'cluster:state': { request: Empty, response: ConnectionState },
  /** Deltas follow as `watch:delta` events, starting with a reset per kind. */
  'watch:subscribe': { request: WatchSubscribeRequest, response: WatchSubscription },
  'watch:unsubscribe': { request: WatchSubscription, response: Empty },
  'watch:status': { request: Empty, response: z.array(WatchKindStatus) },
} as const satisfies Record<RequestChannel, ChannelSchema>;

export const events = {
  'kubeconfig:changed': KubeconfigState,
  'cluster:state': ConnectionState,
  'watch:delta': WatchDelta,
  'watch:status': WatchKindStatus,
} as const satisfies Record<EventChannel, z.ZodType>;

export type Channels = typeof channels;
/** What a caller passes (schema input: defaults may be omitted). */
export type RequestOf<C extends RequestChannel> = z.input<Channels[C]['request']>;
/** What a handler receives after validation. */
export type ParsedRequestOf<C extends RequestChannel> = z.output<Channels[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<Channels[C]['response']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]>;
