// Selectors over the connection: the status line and permission summaries.
import type { ConnectionInfo, Permission } from '../../../shared/contract/index.js';
import type { LumenState } from '../types.js';

export type Tone = 'ok' | 'busy' | 'error' | 'idle';

export interface ConnectionBadge {
  tone: Tone;
  label: string;
  context: string | null;
  server: string | null;
  version: string | null;
}

export function selectConnectionBadge(state: LumenState): ConnectionBadge {
  const c = state.connection.state;
  const base = { context: c.context, server: c.server, version: c.info?.version.gitVersion ?? null };
  switch (c.status) {
    case 'connected':
      return { ...base, tone: 'ok', label: 'Connected' };
    case 'connecting':
      return { ...base, tone: 'busy', label: 'Connecting' };
    case 'failed':
      return { ...base, tone: 'error', label: 'Connection failed' };
    default:
      return { ...base, tone: 'idle', label: 'Not connected' };
  }
}

export function selectIsConnectedTo(state: LumenState, context: string | null): boolean {
  const c = state.connection.state;
  return context !== null && c.status === 'connected' && c.context === context;
}

/** The connection info if it belongs to `context`. */
export function selectInfoFor(state: LumenState, context: string | null): ConnectionInfo | null {
  const c = state.connection.state;
  return context !== null && c.context === context ? c.info : null;
}

export interface PermissionSummary {
  allowed: number;
  denied: number;
  total: number;
  /** Denied permissions, for a "some views will be empty" notice. */
  missing: readonly Permission[];
}

export function summarizePermissions(permissions: readonly Permission[]): PermissionSummary {
  const missing = permissions.filter((p) => !p.allowed);
  return { allowed: permissions.length - missing.length, denied: missing.length, total: permissions.length, missing };
}

/** "list pods", "get pods/proxy in lumen-system", "watch endpointslices.discovery.k8s.io". */
export function permissionLabel(p: Permission): string {
  const resource = `${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.group ? `.${p.group}` : ''}`;
  return `${p.verb} ${resource}${p.namespace ? ` in ${p.namespace}` : ''}`;
}
