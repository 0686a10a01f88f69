// Step 4: server-side apply object by object, then the DaemonSet rollout per node live; a failure says what and where and offers retry or roll back.
import { useEffect, useState } from 'react';
import type { InstallSessionState } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';
import { CheckPill } from './CheckPill.js';
import { NodeRolloutCard } from './NodeRolloutCard.js';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function ApplyStep({ session }: { session: InstallSessionState }) {
  const actions = useActions();
  const pending = useLumen((s) => s.install.pending);
  const plan = useLumen((s) => s.install.plan);
  const step = session.steps.find((s) => s.id === 'apply')!;
  const running = step.status === 'running';
  const now = useNow(running);
  const apply = session.apply;
  const rollout = session.rollout;
  const failed = step.status === 'failed' || step.status === 'cancelled';
  const left = rollout ? Math.max(0, Math.round((rollout.deadlineAt - now) / 1000)) : null;
  return (
    <section className="panel step-panel" aria-labelledby="apply-title">
      <header className="step-panel-header">
        <div>
          <h2 id="apply-title">Apply &amp; roll out</h2>
          <p className="muted" aria-live="polite">{step.message ?? (step.status === 'pending' ? 'not started' : step.status)}</p>
        </div>
        {running && (
          <button type="button" className="button" onClick={() => void actions.cancelInstall()}>
            <Icon name="cross" size={14} /> Cancel
          </button>
        )}
      </header>

      {apply && (
        <ol className="apply-objects" aria-label="Applied objects">
          {apply.objects.map((o) => (
            <li key={o.key} data-status={o.status}>
              <CheckPill status={o.status} label={o.status} />
              <span className="mono">{o.key}</span>
              {o.message && <span className="muted small">{o.message}</span>}
            </li>
          ))}
        </ol>
      )}

      {rollout && (
        <section className="rollout" aria-label="Rollout">
          <div className="rollout-head">
            <h3>Rollout</h3>
            <CheckPill status={rollout.status} label={rollout.status} />
            <span className="muted small">
              {rollout.ready}/{rollout.desired} ready · {rollout.updated}/{rollout.desired} updated
              {rollout.status === 'running' && left !== null ? ` · reports what each node waits for in ${left} s` : ''}
            </span>
          </div>
          {rollout.reason && <p className={rollout.status === 'complete' ? '' : 'error-text'} role={rollout.status === 'running' ? undefined : 'alert'}>{rollout.reason}</p>}
          {rollout.daemonSetEvents.length > 0 && (
            <ul className="small warn-text">{rollout.daemonSetEvents.map((e, i) => <li key={i}>DaemonSet {e.reason}: {e.message}</li>)}</ul>
          )}
          <ul className="node-cards">{rollout.nodes.map((n) => <NodeRolloutCard key={n.node} node={n} />)}</ul>
        </section>
      )}

      {session.apply?.rolledBack && (
        <p className="notice" role="status">Rolled back: {step.message?.replace(/^rolled back: /, '')}</p>
      )}
      {failed && session.error && !session.apply?.rolledBack && !session.apply?.conflicts.length && (!rollout || rollout.status === 'running') && (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" size={18} className="callout-icon" />
          <div className="callout-body">
            <div className="callout-title">{step.status === 'cancelled' ? 'Cancelled' : 'The install did not finish'}</div>
            <p>{session.error.message}</p>
            {session.error.hint && <p className="callout-hint">{session.error.hint}</p>}
          </div>
        </div>
      )}

      <footer className="step-footer">
        {failed && (
          <>
            {!session.apply?.rolledBack && <span className="muted small">Fix the cause and retry, or roll back.</span>}
            <button type="button" className="button" onClick={() => actions.showInstallStep('options')}>Change options</button>
            <button type="button" className="button" disabled={pending !== null || session.busy} onClick={() => void actions.applyInstall(false)}>
              <Icon name="refresh" size={14} /> Retry
            </button>
            <button type="button" className="button" disabled={pending !== null || session.busy || session.apply?.rolledBack} onClick={() => void actions.rollbackInstall()}>
              {plan?.upgrade ? 'Roll back to the previous version' : 'Roll back (uninstall)'}
            </button>
          </>
        )}
        <button type="button" className="button button-primary" disabled={step.status !== 'done' || session.busy || session.apply?.rolledBack} onClick={() => void actions.runCheck()}>
          Next: connectivity check
        </button>
      </footer>
    </section>
  );
}
