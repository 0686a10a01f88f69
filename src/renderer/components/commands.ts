// Command palette entries built from the state, and their fuzzy filtering (pure, tested).
import type { Route } from '../router/routes.js';
import { selectContextError, selectContexts } from '../store/kubeconfig/selectors.js';
import type { LumenState } from '../store/types.js';

export type CommandAction =
  | { type: 'connect'; context: string }
  | { type: 'navigate'; route: Route }
  | { type: 'disconnect' }
  | { type: 'reload-kubeconfig' };

export interface Command {
  id: string;
  group: 'Contexts' | 'Views' | 'Actions';
  title: string;
  subtitle: string;
  action: CommandAction;
  /** Shown with a warning: the context has a known problem. */
  warning: boolean;
}

export function buildCommands(state: LumenState): Command[] {
  const connected = state.connection.state.status === 'connected' ? state.connection.state.context : null;
  const commands: Command[] = selectContexts(state).map((c) => ({
    id: `context:${c.name}`,
    group: 'Contexts',
    title: `${connected === c.name ? 'Reconnect to' : 'Connect to'} ${c.name}`,
    subtitle: c.server ?? c.cluster,
    action: { type: 'connect', context: c.name },
    warning: selectContextError(state, c.name) !== null,
  }));
  commands.push({ id: 'view:connect', group: 'Views', title: 'Go to Connect', subtitle: 'Contexts and connection', action: { type: 'navigate', route: { view: 'connect', context: state.ui.route.context } }, warning: false });
  commands.push({ id: 'view:install', group: 'Views', title: 'Go to Install', subtitle: 'Install, upgrade or uninstall Lumen on the connected cluster', action: { type: 'navigate', route: { view: 'install', context: state.ui.route.context } }, warning: false });
  commands.push({ id: 'view:status', group: 'Views', title: 'Go to Status', subtitle: 'Agent health, datapath mode, map pressure, flow rate per node', action: { type: 'navigate', route: { view: 'status', context: state.ui.route.context } }, warning: false });
  commands.push({ id: 'view:services', group: 'Views', title: 'Go to Services', subtitle: 'Services, backends, realized datapath state', action: { type: 'navigate', route: { view: 'services', context: state.ui.route.context } }, warning: false });
  commands.push({ id: 'view:identities', group: 'Views', title: 'Go to Identities', subtitle: 'Security identities, endpoints, policies', action: { type: 'navigate', route: { view: 'identities', context: state.ui.route.context } }, warning: false });
  commands.push({ id: 'action:reload', group: 'Actions', title: 'Reload kubeconfig', subtitle: 'Read every KUBECONFIG file again', action: { type: 'reload-kubeconfig' }, warning: false });
  if (state.connection.state.status === 'connected' || state.connection.state.status === 'connecting') {
    commands.push({ id: 'action:disconnect', group: 'Actions', title: 'Disconnect', subtitle: state.connection.state.context ?? '', action: { type: 'disconnect' }, warning: false });
  }
  return commands;
}

/**
 * Subsequence match with a score: a plain substring wins, then consecutive letters and
 * word starts count more, so "cstg" finds "Connect to staging". Null when no match.
 */
export function matchScore(text: string, query: string): number | null {
  const q = query.trim().toLowerCase().replace(/\s+/g, '');
  if (!q) return 0;
  const t = text.toLowerCase();
  let best: number | null = null;
  // Try every place the first letter occurs: the leftmost is often not the best start.
  for (let start = t.indexOf(q[0]!); start >= 0; start = t.indexOf(q[0]!, start + 1)) {
    let score = 0;
    let previous = start - 2;
    let from = start;
    let matched = true;
    for (const ch of q) {
      const at = t.indexOf(ch, from);
      if (at < 0) {
        matched = false;
        break;
      }
      score += at === previous + 1 ? 3 : 1;
      if (at === 0 || /[\s\-_:/.]/.test(t[at - 1]!)) score += 2;
      previous = at;
      from = at + 1;
    }
    if (matched && (best === null || score > best)) best = score;
  }
  if (best === null) return null;
  if (t.includes(q)) best += 10;
  return best - t.length * 0.01;
}

export function filterCommands(commands: readonly Command[], query: string): Command[] {
  if (!query.trim()) return [...commands];
  return commands
    .map((command) => ({ command, score: matchScore(`${command.title} ${command.subtitle}`, query) }))
    .filter((m): m is { command: Command; score: number } => m.score !== null)
    .sort((a, b) => b.score - a.score)
    .map((m) => m.command);
}
