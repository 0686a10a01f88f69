// The Connect view: kubeconfig contexts with their errors, and the selected context's connection.
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { Icon } from '../../components/Icon.js';
import { selectContextCounts, selectFileErrors, selectKubeconfigSource, selectSelectedContextName } from '../../store/kubeconfig/selectors.js';
import { useActions, useLumen, useLumenShallow } from '../../store/react.js';
import { ContextDetails } from './ContextDetails.js';
import { ContextList } from './ContextList.js';
import { FileErrors } from './FileErrors.js';

export function ConnectView() {
  const actions = useActions();
  const source = useLumen(selectKubeconfigSource);
  const counts = useLumenShallow(selectContextCounts);
  const loading = useLumen((s) => s.kubeconfig.loading);
  const loadError = useLumen((s) => s.kubeconfig.error);
  const missingToken = useLumen((s) => s.host.missingToken);
  const fileErrors = useLumen(selectFileErrors);
  const selected = useLumen(selectSelectedContextName);

  return (
    <section className="view" aria-labelledby="connect-title">
      <header className="view-header">
        <div>
          <h1 id="connect-title">Connect</h1>
          <p className="view-subtitle">
            {source ? (
              <>
                <Icon name="file" size={13} /> <span className="mono source">{source}</span>
                <span className="nowrap">
                  <span className="sep">·</span>
                  {counts.total} {counts.total === 1 ? 'context' : 'contexts'}
                  {counts.broken > 0 && <span className="warn-text"> · {counts.broken} with problems</span>}
                </span>
              </>
            ) : (
              'Reading kubeconfig…'
            )}
          </p>
        </div>
        <div className="view-actions">
          <button type="button" className="button" onClick={() => void actions.reloadKubeconfig()} disabled={loading}>
            <Icon name="refresh" size={14} className={loading ? 'spin' : undefined} />
            Reload
          </button>
        </div>
      </header>

      {missingToken && (
        <ErrorCallout
          error={{
            code: 'transport',
            message: 'This page was opened without its access token, so it cannot reach the console server.',
            hint: 'Open the full URL that `npm run serve` printed (it ends in #token=…).',
          }}
        />
      )}
      {loadError && !missingToken && <ErrorCallout error={loadError} />}
      {fileErrors.length > 0 && <FileErrors errors={fileErrors} />}

      <div className="connect-grid">
        <section className="panel" aria-label="Context list">
          <div className="panel-header">
            <h2>Contexts</h2>
          </div>
          <ContextList selected={selected} />
        </section>
        <section className="panel" aria-label="Context details">
          {selected ? <ContextDetails name={selected} /> : <EmptyDetails />}
        </section>
      </div>
    </section>
  );
}

function EmptyDetails() {
  return (
    <div className="empty">
      <Icon name="key" size={28} />
      <p>No context to show.</p>
      <p className="muted">
        Add a context with <code>kubectl config set-context</code>, or point <code>KUBECONFIG</code> at a kubeconfig file and reload.
      </p>
    </div>
  );
}
