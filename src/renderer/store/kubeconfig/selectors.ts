// Selectors over kubeconfig contexts: lists, lookups and which context is selected.
import type { ContextSummary, KubeconfigFileError, LumenErrorPayload } from '../../../shared/contract/index.js';
import type { LumenState } from '../types.js';

const none: readonly ContextSummary[] = [];
const noErrors: readonly KubeconfigFileError[] = [];

export function selectContexts(state: LumenState): readonly ContextSummary[] {
  return state.kubeconfig.state?.contexts ?? none;
}

export function selectFileErrors(state: LumenState): readonly KubeconfigFileError[] {
  return state.kubeconfig.state?.errors ?? noErrors;
}

export function selectContext(state: LumenState, name: string | null): ContextSummary | undefined {
  if (!name) return undefined;
  return selectContexts(state).find((c) => c.name === name);
}

/** The route's context if it exists, else the connected one, else current-context, else the first. */
export function selectSelectedContextName(state: LumenState): string | null {
  const contexts = selectContexts(state);
  const wanted = state.ui.route.context;
  if (wanted && contexts.some((c) => c.name === wanted)) return wanted;
  const connected = state.connection.state.context;
  if (connected && contexts.some((c) => c.name === connected)) return connected;
  return contexts.find((c) => c.current)?.name ?? contexts[0]?.name ?? null;
}

/** The error to show for a context: its kubeconfig problem, else its last failed connect. */
export function selectContextError(state: LumenState, name: string): LumenErrorPayload | null {
  return selectContext(state, name)?.error ?? state.connection.lastErrors.get(name) ?? null;
}

export interface ContextCounts {
  total: number;
  broken: number;
}

export function selectContextCounts(state: LumenState): ContextCounts {
  const contexts = selectContexts(state);
  return { total: contexts.length, broken: contexts.filter((c) => selectContextError(state, c.name) !== null).length };
}

/** "~/.kube/config" style display of the files that were read. */
export function selectKubeconfigSource(state: LumenState): string {
  const k = state.kubeconfig.state;
  if (!k) return '';
  const existing = k.files.filter((f) => f.exists).map((f) => f.path);
  const label = existing.length > 0 ? existing.join(', ') : k.files.map((f) => f.path).join(', ');
  return k.source === 'KUBECONFIG' ? `KUBECONFIG=${label}` : label;
}
