// Step 1: the preflight checks, each with pass/warn/fail, why it matters and what to do; the nodes it saw.
import type { InstallSessionState, PreflightCheck } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';
import { CheckPill } from './CheckPill.js';

function CheckCard({ check }: { check: PreflightCheck }) {
  const many = check.details.length > 4;
  return (
    <li className="check-card" data-check={check.id} data-status={check.status}>
      <div className="check-head">
        <CheckPill status={check.status} />
        <span className="check-title">{check.title}</span>
      </div>
      <p className="check-summary">{check.summary}</p>
      {check.status !== 'pass' && <p className="check-why"><span className="muted">Why it matters:</span> {check.why}</p>}
      {check.action && <p className="check-action"><span className="muted">What to do:</span> {check.action}</p>}
      {check.details.length > 0 && (
        <details className="check-details" open={!many && check.status !== 'pass'}>
          <summary>{check.details.length} detail{check.details.length === 1 ? '' : 's'}</summary>
          <ul className="mono">
            {check.details.map((d, i) => <li key={i}>{d}</li>)}
          </ul>
        </details>
      )}
    </li>
  );
}

export function PreflightStep({ session }: { session: InstallSessionState }) {
  const actions = useActions();
  const pending = useLumen((s) => s.install.pending);
  const step = session.steps.find((s) => s.id === 'preflight')!;
  const report = session.preflight;
  const running = step.status === 'running';
  return (
    <section className="panel step-panel" aria-labelledby="preflight-title">
      <header className="step-panel-header">
        <div>
          <h2 id="preflight-title">Preflight</h2>
          <p className="muted">
            {running ? step.message ?? 'reading the cluster…' : report ? `${report.serverVersion} · ${report.nodes.length} node(s) · flavour: ${report.flavour} · ${report.durationMs} ms` : step.message}
          </p>
        </div>
        {running && <Icon name="refresh" size={18} className="spin muted" />}
      </header>
      {report && (
        <>
          <ul className="check-list" aria-label="Preflight checks">
            {report.checks.map((c) => <CheckCard key={c.id} check={c} />)}
          </ul>
          <table className="table nodes-table" aria-label="Nodes">
            <thead>
              <tr><th>Node</th><th>Address</th><th>Kernel</th><th>Kubelet</th><th>Ready</th></tr>
            </thead>
            <tbody>
              {report.nodes.map((n) => (
                <tr key={n.name}>
                  <td>{n.name}</td>
                  <td className="mono">{n.internalIP ?? '—'}</td>
                  <td className="mono">{n.kernel}</td>
                  <td className="mono">{n.kubeletVersion}</td>
                  <td>{n.ready ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <footer className="step-footer">
        <button type="button" className="button" disabled={running || pending !== null} onClick={() => void actions.startInstall(session.context)}>
          <Icon name="refresh" size={14} /> Run again
        </button>
        {report?.blocking && <span className="error-text">A check failed: fix it before installing.</span>}
        <button type="button" className="button button-primary" disabled={running || !report || report.blocking} onClick={() => actions.showInstallStep('options')}>
          Next: options
        </button>
      </footer>
    </section>
  );
}
