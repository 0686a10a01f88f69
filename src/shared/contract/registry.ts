// The contract: every request channel's request/response schema and every event's payload.
import { z } from 'zod';
import { ConnectionInfo, ConnectionState } from './cluster.js';
import { KubeconfigState } from './kubeconfig.js';
import type { EventChannel, RequestChannel } from './names.js';
import { WatchDelta, WatchKindStatus, WatchSubscribeRequest, WatchSubscription } from './watch.js';
import { RealizedServiceRequest, RealizedServiceResponse } from './agents.js';
import { InstallApplyRequest, InstallOptionsRequest, InstallSessionState, InstallStartRequest, Plan, SaveRequest, SaveResult } from './install.js';
import { ClusterStatus } from './status.js';

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
  /** What each node's agent holds for one Service (desired next to realized), per node. */
  'services:realized': { request: RealizedServiceRequest, response: RealizedServiceResponse },
  /** Install wizard (src/main/install): each call answers at once; progress follows as `install:state` events. */
  'install:start': { request: InstallStartRequest, response: InstallSessionState },
  'install:state': { request: Empty, response: InstallSessionState.nullable() },
  'install:options': { request: InstallOptionsRequest, response: InstallSessionState },
  'install:plan': { request: Empty, response: Plan.nullable() },
  'install:apply': { request: InstallApplyRequest, response: InstallSessionState },
  'install:rollback': { request: Empty, response: InstallSessionState },
  'install:check': { request: Empty, response: InstallSessionState },
  'install:cancel': { request: Empty, response: InstallSessionState },
  'install:uninstall': { request: InstallStartRequest, response: InstallSessionState },
  /** Desktop only: a save dialog in main writes the file (browser mode downloads instead). */
  'install:save': { request: SaveRequest, response: SaveResult },
  'status:get': { request: Empty, response: ClusterStatus },
} as const satisfies Record<RequestChannel, ChannelSchema>;

export const events = {
  'kubeconfig:changed': KubeconfigState,
  'cluster:state': ConnectionState,
  'watch:delta': WatchDelta,
  'watch:status': WatchKindStatus,
  'install:state': InstallSessionState,
} as const satisfies Record<EventChannel, z.ZodType>;

export type Channels = typeof channels;
/** What a caller passes (schema input: defaults may be omitted). */
export type RequestOf<C extends RequestChannel> = z.input<Channels[C]['request']>;
/** What a handler receives after validation. */
export type ParsedRequestOf<C extends RequestChannel> = z.output<Channels[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<Channels[C]['response']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]>;
