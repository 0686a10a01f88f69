// Step 5: the connectivity check — each path with pass/fail, and the flows the agents recorded for it (always shown on failure).
import type { ConnectivityCheckResult, InstallSessionState } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';
import { CheckPill } from './CheckPill.js';

function FlowList({ check }: { check: ConnectivityCheckResult }) {
  if (check.flows.length === 0 && !check.flowsError) return null;
  return (
    <details className="check-flows" open={check.status === 'fail' || check.id === 'deny-policy'}>
      <summary>Flows the agents recorded ({check.flows.length})</summary>
      {check.flows.length > 0 && (
        <ul className="mono small" aria-label={`Flows of ${check.title}`}>
          {check.flows.map((f, i) => (
            <li key={i} data-verdict={f.verdict}>
              <span className="muted">{f.time.slice(11, 23)} {f.node}</span> {f.text}
            </li>
          ))}
        </ul>
      )}
      {check.flowsError && <p className="muted small">Flows unavailable: {check.flowsError}</p>}
    </details>
  );
}

export function CheckStep({ session }: { session: InstallSessionState }) {
  const actions = useActions();
  const pending = useLumen((s) => s.install.pending);
  const step = session.steps.find((s) => s.id === 'connectivity')!;
  const c = session.connectivity;
  const running = step.status === 'running';
  return (
    <section className="panel step-panel" aria-labelledby="check-title">
      <header className="step-panel-header">
        <div>
          <h2 id="check-title">Connectivity check</h2>
          <p className="muted" aria-live="polite">
            {c ? `${c.phase}${c.cleanedUp ? '' : running ? '' : ` · namespace ${c.namespace} not removed yet`}` : 'Deploys echo servers pinned to nodes, Services and one-shot clients in a temporary namespace, then removes it.'}
          </p>
        </div>
        {running && (
          <button type="button" className="button" onClick={() => void actions.cancelInstall()}>
            <Icon name="cross" size={14} /> Cancel
          </button>
        )}
      </header>
      {c && (
        <ul className="check-results" aria-label="Connectivity checks">
          {c.checks.map((x) => (
            <li key={x.id} className="check-result" data-check={x.id} data-status={x.status}>
              <div className="check-head">
                <CheckPill status={x.status} />
                <span className="check-title">{x.title}</span>
                {x.durationMs !== null && <span className="muted small">{(x.durationMs / 1000).toFixed(1)} s</span>}
              </div>
              {x.path && <p className="mono small muted">{x.path}</p>}
              {x.message && <p className={x.status === 'fail' ? 'error-text' : ''}>{x.message}</p>}
              <FlowList check={x} />
            </li>
          ))}
        </ul>
      )}
      <footer className="step-footer">
        {c?.status === 'passed' && <span className="ok-text"><Icon name="check" size={14} /> Lumen works on this cluster.</span>}
        <button type="button" className={c ? 'button' : 'button button-primary'} disabled={running || pending !== null || session.busy} onClick={() => void actions.runCheck()}>
          {c ? 'Run again' : 'Run the connectivity check'}
        </button>
        {c?.status === 'passed' && <a className="button button-primary" href="#/status">Open Status</a>}
      </footer>
    </section>
  );
}
