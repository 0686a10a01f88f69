// The list of kubeconfig contexts: keyboard-navigable, each with its server, auth and error.
import { useRef, type KeyboardEvent } from 'react';
import type { ContextSummary } from '../../../shared/contract/index.js';
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { selectContextError, selectContexts } from '../../store/kubeconfig/selectors.js';
import { useActions, useLumen } from '../../store/react.js';

const authLabels: Record<ContextSummary['auth'], string> = {
  token: 'token',
  'token-file': 'token file',
  'client-certificate': 'client certificate',
  exec: 'exec plugin',
  basic: 'basic auth',
  'auth-provider': 'auth provider',
  none: 'anonymous',
};

export function ContextList({ selected }: { selected: string | null }) {
  const contexts = useLumen(selectContexts);
  const actions = useActions();
  const listRef = useRef<HTMLUListElement>(null);

  if (contexts.length === 0) {
    return <p className="empty muted">No contexts found.</p>;
  }

  const move = (delta: number) => {
    const index = Math.max(0, contexts.findIndex((c) => c.name === selected));
    const next = contexts[Math.min(contexts.length - 1, Math.max(0, index + delta))];
    if (next) {
      actions.selectContext(next.name);
      listRef.current?.querySelector<HTMLElement>(`[data-context="${CSS.escape(next.name)}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      move(1);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      move(-1);
    } else if (event.key === 'Enter' && selected) {
      event.preventDefault();
      void actions.connect(selected);
    }
  };

  return (
    <ul
      ref={listRef}
      className="context-list"
      role="listbox"
      aria-label="Contexts"
      tabIndex={0}
      aria-activedescendant={selected ? `context-${selected}` : undefined}
      onKeyDown={onKeyDown}
    >
      {contexts.map((c) => (
        <ContextRow key={c.name} context={c} selected={c.name === selected} />
      ))}
    </ul>
  );
}

function ContextRow({ context, selected }: { context: ContextSummary; selected: boolean }) {
  const actions = useActions();
  const error = useLumen((s) => selectContextError(s, context.name));
  const connection = useLumen((s) => (s.connection.state.context === context.name ? s.connection.state.status : null));
  return (
    <li
      id={`context-${context.name}`}
      data-context={context.name}
      role="option"
      aria-selected={selected}
      aria-label={context.name}
      className={`context-row${selected ? ' selected' : ''}${error ? ' has-error' : ''}`}
      onClick={() => actions.selectContext(context.name)}
      onDoubleClick={() => void actions.connect(context.name)}
    >
      <div className="context-row-top">
        <span className={`dot dot-${connection === 'connected' ? 'ok' : connection === 'connecting' ? 'busy' : error ? 'error' : 'idle'}`} aria-hidden="true" />
        <span className="context-name">{context.name}</span>
        {context.current && <span className="badge">current</span>}
        {connection === 'connected' && <span className="badge badge-ok">connected</span>}
      </div>
      <div className="context-row-meta">
        <span className="mono">{context.server ?? '(no server)'}</span>
      </div>
      <div className="context-row-meta muted">
        {context.cluster} · {context.user || 'no user'} · {authLabels[context.auth]}
        {context.namespace ? ` · ns ${context.namespace}` : ''}
      </div>
      {error && (
        <div className="context-row-error">
          <ErrorCallout error={error} compact />
        </div>
      )}
    </li>
  );
}
