// The always-visible status line: connection state, context, server, version, and the link to main.
import { selectConnectionBadge } from '../store/connection/selectors.js';
import { selectLinkSummary } from '../store/host/selectors.js';
import { useActions, useLumenShallow } from '../store/react.js';

const isMac = typeof navigator !== 'undefined' && /Mac/i.test(navigator.platform);

export function StatusBar() {
  const badge = useLumenShallow(selectConnectionBadge);
  const link = useLumenShallow(selectLinkSummary);
  const actions = useActions();
  return (
    <footer className="statusbar" aria-label="Status bar">
      <div className="statusbar-left" role="status" aria-label="Connection status" data-state={badge.tone}>
        <span className={`dot dot-${badge.tone}`} aria-hidden="true" />
        <span className="statusbar-state">{badge.label}</span>
        {badge.context && (
          <span className="statusbar-item" title="Context">
            {badge.context}
          </span>
        )}
        {badge.server && (
          <span className="statusbar-item mono" title="Server">
            {badge.server}
          </span>
        )}
        {badge.version && (
          <span className="statusbar-item mono" title="Server version">
            {badge.version}
          </span>
        )}
      </div>
      <div className="statusbar-right">
        <span className={`statusbar-item link-${link.tone}`} aria-label="Console link">
          {link.label}
        </span>
        <button type="button" className="statusbar-button" onClick={() => actions.setPaletteOpen(true)} aria-label="Open command palette">
          <kbd>{isMac ? '⌘K' : 'Ctrl+K'}</kbd>
        </button>
      </div>
    </footer>
  );
}
