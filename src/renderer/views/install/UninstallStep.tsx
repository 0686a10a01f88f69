// Step 6: uninstall — agents restart with cleanup-on-exit and remove their BPF state, every Lumen object is deleted, and the console proves nothing is left.
import { useState } from 'react';
import type { InstallSessionState } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';
import { CheckPill } from './CheckPill.js';

export function UninstallStep({ session, context }: { session: InstallSessionState | null; context: string }) {
  const actions = useActions();
  const pending = useLumen((s) => s.install.pending);
  const [confirming, setConfirming] = useState(false);
  const u = session?.uninstall ?? null;
  const step = session?.steps.find((s) => s.id === 'uninstall') ?? session?.steps.find((s) => s.id === 'apply' && session.uninstall) ?? null;
  const running = session?.busy ?? false;
  return (
    <section className="panel step-panel" aria-labelledby="uninstall-title">
      <header className="step-panel-header">
        <div>
          <h2 id="uninstall-title">Uninstall</h2>
          <p className="muted">
            {step?.message ?? 'Restarts the agents with cleanup-on-exit (they detach their programs, remove pinned maps and the CNI config as they stop), deletes every object labelled app.kubernetes.io/part-of=lumen with the CRDs and the namespace, then lists every kind to confirm nothing is left.'}
          </p>
        </div>
      </header>
      {u && (
        <>
          <ol className="uninstall-phases" aria-label="Uninstall phases">
            {u.phases.map((p) => (
              <li key={p.id} data-status={p.status}>
                <CheckPill status={p.status} label={p.status} />
                <span>{p.title}</span>
                {p.message && <span className="muted small">{p.message}</span>}
              </li>
            ))}
          </ol>
          {u.status !== 'running' && (
            <p className={u.leftovers.length === 0 ? 'ok-text' : 'error-text'} role="status" aria-label="Leftovers">
              {u.leftovers.length === 0 ? 'Nothing of Lumen is left in the cluster.' : `Still present: ${u.leftovers.join(', ')}`}
            </p>
          )}
          {u.nodesNotCleaned.length > 0 && (
            <p className="warn-text">BPF state may remain on {u.nodesNotCleaned.join(', ')} (no agent ran there with cleanup-on-exit): remove /sys/fs/bpf/lumen and /etc/cni/net.d/05-lumen.conflist on those nodes.</p>
          )}
        </>
      )}
      <footer className="step-footer">
        {running && <button type="button" className="button" onClick={() => void actions.cancelInstall()}><Icon name="cross" size={14} /> Cancel</button>}
        {!confirming ? (
          <button type="button" className="button button-danger" disabled={running || pending !== null} onClick={() => setConfirming(true)}>
            Uninstall Lumen from {context}…
          </button>
        ) : (
          <>
            <span className="warn-text">This deletes every Lumen object, its CRDs (and every Identity and LumenEndpoint) and its namespace.</span>
            <button type="button" className="button" onClick={() => setConfirming(false)}>Keep it</button>
            <button type="button" className="button button-danger" onClick={() => { setConfirming(false); void actions.startUninstall(context); }}>
              Confirm uninstall
            </button>
          </>
        )}
      </footer>
    </section>
  );
}
