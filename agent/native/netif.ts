// Interface lookups, optionally inside another network namespace.
import { loadBinding } from './binding';
import { native } from './errors';

/** ifindex of `name` (in the namespace at `netns`, e.g. /run/netns/x, if given). */
export function ifIndex(name: string, netns?: string): number {
  if (!name || name.length > 15) throw new Error(`[lumen-bpf] interface name "${name}" must be 1..15 characters`);
  return native(`ifindex of ${name}`, () => loadBinding().ifIndex(name, netns));
}
