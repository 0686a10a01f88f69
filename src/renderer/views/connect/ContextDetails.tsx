// One context in detail: where it points, connect/disconnect, and once connected the server
// version, the permission checks and the live resource counts from the watch caches.
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { Icon } from '../../components/Icon.js';
import { selectInfoFor, summarizePermissions } from '../../store/connection/selectors.js';
import { selectContext, selectContextError } from '../../store/kubeconfig/selectors.js';
import { useActions, useLumen } from '../../store/react.js';
import { PermissionTable } from './PermissionTable.js';
import { ResourceCounts } from './ResourceCounts.js';

export function ContextDetails({ name }: { name: string }) {
  const actions = useActions();
  const context = useLumen((s) => selectContext(s, name));
  const error = useLumen((s) => selectContextError(s, name));
  const status = useLumen((s) => (s.connection.state.context === name ? s.connection.state.status : 'disconnected'));
  const info = useLumen((s) => selectInfoFor(s, name));
  if (!context) return null;

  const connecting = status === 'connecting';
  const connected = status === 'connected';
  const summary = info ? summarizePermissions(info.permissions) : null;

  return (
    <div className="details">
      <div className="details-header">
        <div>
          <h2 className="details-title">{context.name}</h2>
          <p className="muted mono">{context.server ?? 'no server'}</p>
        </div>
        <div className="details-actions">
          {connected ? (
            <>
              <button type="button" className="button" onClick={() => void actions.connect(name)} aria-label={`Reconnect to ${name}`}>
                <Icon name="refresh" size={14} /> Reconnect
              </button>
              <button type="button" className="button" onClick={() => void actions.disconnect()}>
                <Icon name="unplug" size={14} /> Disconnect
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button button-primary"
              onClick={() => void actions.connect(name)}
              disabled={connecting}
              aria-label={`Connect to ${name}`}
            >
              <Icon name={connecting ? 'refresh' : 'plug'} size={14} className={connecting ? 'spin' : undefined} />
              {connecting ? 'Connecting…' : 'Connect'}
            </button>
          )}
        </div>
      </div>

      <dl className="facts">
        <dt>Cluster</dt>
        <dd>{context.cluster || '—'}</dd>
        <dt>User</dt>
        <dd>
          {context.user || 'none (anonymous)'}
          {context.execCommand && (
            <span className="muted">
              {' '}
              · exec <code>{context.execCommand}</code>
            </span>
          )}
        </dd>
        <dt>Namespace</dt>
        <dd>{context.namespace ?? 'default'}</dd>
        <dt>Defined in</dt>
        <dd className="mono">{context.file}</dd>
      </dl>

      {error && status !== 'connected' && <ErrorCallout error={error} />}

      {info && connected && summary && (
        <>
          <div className="cards">
            <div className="card">
              <div className="card-label">Server version</div>
              <div className="card-value mono" aria-label="Server version">
                {info.version.gitVersion}
              </div>
              <div className="card-sub muted">{info.version.platform}</div>
            </div>
            <div className="card">
              <div className="card-label">Permissions</div>
              <div className="card-value" aria-label="Permission summary">
                {summary.allowed}/{summary.total} allowed
              </div>
              <div className="card-sub muted">{summary.denied > 0 ? `${summary.denied} denied` : 'everything the console needs'}</div>
            </div>
            <div className="card">
              <div className="card-label">Connect time</div>
              <div className="card-value">{info.latencyMs} ms</div>
              <div className="card-sub muted">version + access reviews</div>
            </div>
          </div>
          <ResourceCounts />
          <PermissionTable permissions={info.permissions} />
        </>
      )}
    </div>
  );
}
