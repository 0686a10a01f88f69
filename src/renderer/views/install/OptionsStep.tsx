// Step 2: the install options with defaults from preflight and a sentence each; errors from main name the option.
import { useState, type ReactNode } from 'react';
import { installOptionDocs, type InstallOptionName, type InstallOptions, type InstallSessionState } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';

function Field({ name, error, children, wide, span2 }: { name: InstallOptionName; error: string | undefined; children: ReactNode; wide?: boolean; span2?: boolean }) {
  const doc = installOptionDocs[name];
  return (
    <div className={`option-field${wide ? ' wide' : ''}${span2 ? ' span2' : ''}${error ? ' invalid' : ''}`} data-option={name}>
      <label htmlFor={`opt-${name}`} className="option-label">{doc.label}</label>
      {children}
      <p className="option-doc">{doc.doc}</p>
      {error && <p className="option-error" role="alert">{error}</p>}
    </div>
  );
}

const extraText = (o: Record<string, string>): string => Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n');

export function OptionsStep({ session }: { session: InstallSessionState }) {
  const actions = useActions();
  const draft = useLumen((s) => s.install.draft);
  const pending = useLumen((s) => s.install.pending);
  const [extra, setExtra] = useState<string | null>(null);
  const [extraError, setExtraError] = useState<string | null>(null);
  const [audit, setAudit] = useState<string | null>(null);
  if (!draft || !session.preflight) return <section className="panel step-panel"><p className="muted">Run the preflight first: the options start from what it finds.</p></section>;
  const errors = session.optionErrors as Partial<Record<InstallOptionName, string>>;
  const set = (patch: Partial<InstallOptions>) => actions.editOptions(patch);
  const text = (name: 'namespace' | 'image' | 'apiServer' | 'checkEchoImage' | 'checkClientImage') => (
    <input id={`opt-${name}`} className="input mono" value={draft[name]} spellCheck={false} onChange={(e) => set({ [name]: e.target.value })} />
  );
  const kubeProxy = session.preflight.kubeProxyPresent;

  const onExtra = (value: string) => {
    setExtra(value);
    const out: Record<string, string> = {};
    const lines = value.split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      const at = line.indexOf('=');
      if (at <= 0) {
        setExtraError(`line ${i + 1}: expected key=value`);
        return;
      }
      out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    setExtraError(null);
    set({ extraConfig: out });
  };

  return (
    <section className="panel step-panel" aria-labelledby="options-title">
      <header className="step-panel-header">
        <div>
          <h2 id="options-title">Options</h2>
          <p className="muted">Defaults for {session.preflight.flavour === 'lab' ? 'the Lumen lab' : `a ${session.preflight.flavour} cluster`}{session.preflight.existing ? `, starting from the install in ${session.preflight.existing.namespace}` : ''}.</p>
        </div>
        <button type="button" className="button" onClick={() => { setExtra(null); setAudit(null); set(session.preflight!.defaults); }}>Reset to defaults</button>
      </header>
      <form className="options-form" onSubmit={(e) => { e.preventDefault(); void actions.submitOptions(); }}>
        <fieldset className="option-field wide kube-proxy-choice" data-option="kubeProxyReplacement">
          <legend className="option-label">kube-proxy</legend>
          <p className="option-doc">{kubeProxy ? 'kube-proxy runs on this cluster.' : 'kube-proxy does not run on this cluster.'} {installOptionDocs.kubeProxyReplacement.doc}</p>
          <label className="radio">
            <input type="radio" name="kube-proxy" checked={draft.kubeProxyReplacement} onChange={() => set({ kubeProxyReplacement: true, socketLB: true })} />
            <span><strong>Replace kube-proxy</strong> — Lumen serves ClusterIP and NodePort in eBPF.{kubeProxy ? ' Afterwards delete the kube-proxy DaemonSet and run `kube-proxy --cleanup` on each node to remove its rules.' : ''}</span>
          </label>
          <label className="radio">
            <input type="radio" name="kube-proxy" checked={!draft.kubeProxyReplacement} onChange={() => set({ kubeProxyReplacement: false, socketLB: false })} />
            <span><strong>Keep kube-proxy</strong> — it keeps serving Services; Lumen does networking, identities, policy and flows.{!kubeProxy ? ' Nothing serves Services then on this cluster.' : ''}</span>
          </label>
          {errors.kubeProxyReplacement && <p className="option-error" role="alert">{errors.kubeProxyReplacement}</p>}
        </fieldset>
        <Field name="socketLB" error={errors.socketLB}>
          <label className="checkbox"><input id="opt-socketLB" type="checkbox" checked={draft.socketLB} onChange={(e) => set({ socketLB: e.target.checked })} /> enabled</label>
        </Field>
        <Field name="policyEnforcement" error={errors.policyEnforcement}>
          <select id="opt-policyEnforcement" className="input" value={draft.policyEnforcement} onChange={(e) => set({ policyEnforcement: e.target.value as InstallOptions['policyEnforcement'] })}>
            <option value="default">default</option>
            <option value="always">always</option>
            <option value="never">never</option>
          </select>
        </Field>
        <Field name="auditNamespaces" error={errors.auditNamespaces}>
          <input id="opt-auditNamespaces" className="input mono" placeholder="dev, qa" value={audit ?? draft.auditNamespaces.join(', ')} spellCheck={false}
            onChange={(e) => { setAudit(e.target.value); set({ auditNamespaces: e.target.value.split(/[\s,]+/).filter(Boolean) }); }} />
        </Field>
        <Field name="flowBufferSize" error={errors.flowBufferSize}>
          <input id="opt-flowBufferSize" className="input mono" type="number" min={16} value={draft.flowBufferSize} onChange={(e) => set({ flowBufferSize: Number(e.target.value) })} />
        </Field>
        <Field name="image" error={errors.image} span2>{text('image')}</Field>
        <Field name="imagePullPolicy" error={errors.imagePullPolicy}>
          <select id="opt-imagePullPolicy" className="input" value={draft.imagePullPolicy} onChange={(e) => set({ imagePullPolicy: e.target.value as InstallOptions['imagePullPolicy'] })}>
            <option>IfNotPresent</option>
            <option>Always</option>
            <option>Never</option>
          </select>
        </Field>
        <Field name="namespace" error={errors.namespace}>{text('namespace')}</Field>
        <Field name="apiServer" error={errors.apiServer}>{text('apiServer')}</Field>
        <Field name="rolloutTimeoutSeconds" error={errors.rolloutTimeoutSeconds}>
          <input id="opt-rolloutTimeoutSeconds" className="input mono" type="number" min={10} value={draft.rolloutTimeoutSeconds} onChange={(e) => set({ rolloutTimeoutSeconds: Number(e.target.value) })} />
        </Field>
        <Field name="checkEchoImage" error={errors.checkEchoImage}>{text('checkEchoImage')}</Field>
        <Field name="checkClientImage" error={errors.checkClientImage}>{text('checkClientImage')}</Field>
        <Field name="extraConfig" error={extraError ?? errors.extraConfig} wide>
          <textarea id="opt-extraConfig" className="input mono" rows={Math.max(3, Object.keys(draft.extraConfig).length + 1)} spellCheck={false}
            value={extra ?? extraText(draft.extraConfig)} onChange={(e) => onExtra(e.target.value)} />
        </Field>
        <footer className="step-footer wide">
          <button type="button" className="button" onClick={() => actions.showInstallStep('preflight')}>Back</button>
          {Object.keys(errors).length > 0 && <span className="error-text">{Object.keys(errors).length} option(s) to fix</span>}
          <button type="submit" className="button button-primary" disabled={pending !== null || session.busy || extraError !== null}>
            {pending === 'options' && <Icon name="refresh" size={14} className="spin" />}
            Review the plan
          </button>
        </footer>
      </form>
    </section>
  );
}
