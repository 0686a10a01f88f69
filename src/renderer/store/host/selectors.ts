// Selectors over the link to main.
import type { LumenState } from '../types.js';

export interface LinkSummary {
  tone: 'ok' | 'busy' | 'error';
  label: string;
}

export function selectLinkSummary(state: LumenState): LinkSummary {
  const { link, app, missingToken } = state.host;
  const mode = app?.mode === 'desktop' ? 'Desktop' : 'Browser';
  if (missingToken) return { tone: 'error', label: 'No access token in the URL' };
  if (link.state === 'open') return { tone: 'ok', label: app ? `${mode} · Lumen ${app.version}` : 'Linked' };
  if (link.state === 'connecting') return { tone: 'busy', label: link.failures > 0 ? 'Reconnecting to the console server…' : 'Linking…' };
  return { tone: 'error', label: 'Console server unreachable, retrying' };
}
