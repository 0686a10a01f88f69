// The Install view: a six-step wizard (preflight, options, review, apply & rollout, connectivity check, uninstall) over main's install session.
import { useEffect } from 'react';
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { Icon } from '../../components/Icon.js';
import { selectConnectedContext, selectInstallStep } from '../../store/install/selectors.js';
import { useActions, useLumen } from '../../store/react.js';
import { ActivityLog } from './ActivityLog.js';
import { ApplyStep } from './ApplyStep.js';
import { CheckStep } from './CheckStep.js';
import { OptionsStep } from './OptionsStep.js';
import { PreflightStep } from './PreflightStep.js';
import { ReviewStep } from './ReviewStep.js';
import { Stepper } from './Stepper.js';
import { UninstallStep } from './UninstallStep.js';
import './install.css';
import './steps.css';

export function InstallView() {
  const actions = useActions();
  const context = useLumen(selectConnectedContext);
  const server = useLumen((s) => s.connection.state.server);
  const session = useLumen((s) => s.install.session);
  const step = useLumen(selectInstallStep);
  const error = useLumen((s) => s.install.error);
  const pending = useLumen((s) => s.install.pending);

  useEffect(() => actions.watchInstall(), [actions]);

  const current = session && session.context === context ? session : null;
  return (
    <section className="view install-view" aria-labelledby="install-title">
      <header className="view-header">
        <div>
          <h1 id="install-title">Install</h1>
          <p className="view-subtitle">
            {context ? (
              <>
                Lumen on <strong>{context}</strong>
                {server && <span className="mono muted"> · {server}</span>}
              </>
            ) : (
              'Not connected: connect to the cluster you want to install Lumen on.'
            )}
          </p>
        </div>
        {context && current && (
          <div className="view-actions">
            <button type="button" className="button" disabled={current.busy || pending !== null} onClick={() => void actions.startInstall(context)}>
              <Icon name="refresh" size={14} />
              Start over
            </button>
          </div>
        )}
      </header>

      {error && <ErrorCallout error={error} />}

      {!context && (
        <div className="panel empty">
          <Icon name="plug" size={28} />
          <p>The wizard works on the connected cluster.</p>
          <a className="button" href="#/connect">Go to Connect</a>
        </div>
      )}

      {context && !current && <Intro context={context} />}

      {context && current && (
        <>
          <Stepper session={current} active={step} />
          <div className="install-step" data-step={step}>
            {step === 'preflight' && <PreflightStep session={current} />}
            {step === 'options' && <OptionsStep session={current} />}
            {step === 'review' && <ReviewStep session={current} />}
            {step === 'apply' && <ApplyStep session={current} />}
            {step === 'connectivity' && <CheckStep session={current} />}
            {step === 'uninstall' && <UninstallStep session={current} context={context} />}
          </div>
          <ActivityLog lines={current.log} />
        </>
      )}
    </section>
  );
}

function Intro({ context }: { context: string }) {
  const actions = useActions();
  const pending = useLumen((s) => s.install.pending);
  return (
    <div className="panel install-intro">
      <div className="install-intro-body">
        <h2>Put Lumen on {context}</h2>
        <ol className="intro-steps">
          <li><strong>Preflight</strong> reads the cluster: version, your permissions, node kernels, other CNIs, kube-proxy, the flavour and an existing install. Nothing is changed.</li>
          <li><strong>Options</strong> start from what preflight found, with a sentence each.</li>
          <li><strong>Review</strong> every object as YAML, with a diff for an upgrade; copy or save it for GitOps.</li>
          <li><strong>Apply</strong> with server-side apply, then follow the agents' rollout per node live.</li>
          <li><strong>Connectivity check</strong> in a temporary namespace: pod↔pod, Services, NodePort and a deny policy.</li>
          <li><strong>Uninstall</strong> removes everything, BPF state on the nodes included.</li>
        </ol>
      </div>
      <div className="install-intro-actions">
        <button type="button" className="button button-primary" disabled={pending !== null} onClick={() => void actions.startInstall(context)}>
          {pending === 'start' ? <Icon name="refresh" size={14} className="spin" /> : <Icon name="check" size={14} />}
          Run preflight
        </button>
        <button type="button" className="button" disabled={pending !== null} onClick={() => actions.showInstallStep('uninstall')}>
          Uninstall…
        </button>
      </div>
      <UninstallFromIntro context={context} />
    </div>
  );
}

/** The uninstall step is reachable before any install session (a cluster installed from the CLI). */
function UninstallFromIntro({ context }: { context: string }) {
  const wanted = useLumen((s) => s.install.viewStep === 'uninstall');
  if (!wanted) return null;
  return (
    <div className="install-intro-uninstall">
      <UninstallStep session={null} context={context} />
    </div>
  );
}
