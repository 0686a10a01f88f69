// The wizard's stepper: six steps with their status, running progress and one line each; reachable steps can be opened.
import { installStepIds, type InstallSessionState, type InstallStepId, type StepState } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { stepReachable } from '../../store/install/selectors.js';
import { useActions } from '../../store/react.js';

const titles: Record<InstallStepId, string> = {
  preflight: 'Preflight', options: 'Options', review: 'Review', apply: 'Apply & roll out', connectivity: 'Connectivity check', uninstall: 'Uninstall',
};

function StatusIcon({ status, index }: { status: StepState['status']; index: number }) {
  if (status === 'done') return <span className="step-icon done"><Icon name="check" size={13} /></span>;
  if (status === 'failed') return <span className="step-icon failed"><Icon name="cross" size={13} /></span>;
  if (status === 'cancelled') return <span className="step-icon failed"><Icon name="alert" size={13} /></span>;
  if (status === 'running') return <span className="step-icon running"><Icon name="refresh" size={13} className="spin" /></span>;
  return <span className="step-icon">{index + 1}</span>;
}

export function Stepper({ session, active }: { session: InstallSessionState; active: InstallStepId }) {
  const actions = useActions();
  return (
    <nav aria-label="Install steps">
      <ol className="stepper">
        {installStepIds.map((id, index) => {
          const state = session.steps.find((s) => s.id === id);
          const status = state?.status ?? 'pending';
          // The uninstall step starts its own session; it is always there to open.
          const reachable = id === 'uninstall' ? !session.busy || session.mode === 'uninstall' : stepReachable(session, id);
          const progress = state?.progress && status === 'running' && state.progress.total > 0 ? state.progress.done / state.progress.total : null;
          return (
            <li key={id} className={`step${id === active ? ' active' : ''}`} data-status={status} data-step={id}>
              <button type="button" className="step-button" disabled={!reachable} aria-current={id === active ? 'step' : undefined} onClick={() => actions.showInstallStep(id)}>
                <StatusIcon status={status} index={index} />
                <span className="step-text">
                  <span className="step-title">{titles[id]}</span>
                  <span className="step-message" title={state?.message ?? ''}>{state?.message ?? (status === 'pending' ? 'not started' : status)}</span>
                </span>
              </button>
              {progress !== null && (
                <div className="step-progress" role="progressbar" aria-label={`${titles[id]} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
                  <div style={{ width: `${Math.round(progress * 100)}%` }} />
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
