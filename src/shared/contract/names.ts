// Channel and event names alone, without schemas: what the preload needs to build its bridge.

export const requestChannels = [
  'app:info',
  'kubeconfig:get',
  'kubeconfig:reload',
  'cluster:connect',
  'cluster:disconnect',
  'cluster:state',
  'watch:subscribe',
  'watch:unsubscribe',
  'watch:status',
  'services:realized',
  'install:start',
  'install:state',
  'install:options',
  'install:plan',
  'install:apply',
  'install:rollback',
  'install:check',
  'install:cancel',
  'install:uninstall',
  'install:save',
  'status:get',
] as const;

export const eventChannels = [
  'kubeconfig:changed',
  'cluster:state',
  'watch:delta',
  'watch:status',
  'install:state',
] as const;

export type RequestChannel = (typeof requestChannels)[number];
export type EventChannel = (typeof eventChannels)[number];

export function isRequestChannel(name: unknown): name is RequestChannel {
  return typeof name === 'string' && (requestChannels as readonly string[]).includes(name);
}

export function isEventChannel(name: unknown): name is EventChannel {
  return typeof name === 'string' && (eventChannels as readonly string[]).includes(name);
}
