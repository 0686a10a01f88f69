// What the caches keep of an object: everything but metadata.managedFields, which is large,
// changes on every write and is read by neither the console's views nor the agent.
import type { KubeObject, WatchEvent } from './types.js';

export function withoutManagedFields<T>(object: T): T {
  const meta = (object as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (meta && 'managedFields' in meta) {
    const { managedFields: _dropped, ...rest } = meta;
    return { ...object, metadata: rest } as T;
  }
  return object;
}

/** The same for a watch event's object (bookmarks and errors pass unchanged). */
export function slimWatchEvent<T extends KubeObject>(event: WatchEvent<T>): WatchEvent<T> {
  return event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED'
    ? { type: event.type, object: withoutManagedFields(event.object) }
    : event;
}
