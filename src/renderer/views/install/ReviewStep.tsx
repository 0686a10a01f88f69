// Step 3: every object that will be applied as YAML, a coloured diff against the cluster for an upgrade, copy and save-as for GitOps, then apply.
import { useMemo, useState } from 'react';
import type { InstallSessionState, Plan, PlanObject } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { selectCanApply } from '../../store/install/selectors.js';
import { useActions, useLumen, useLumenShallow } from '../../store/react.js';
import { DiffView, YamlView } from './DiffView.js';

/** The saved/copied document: what the review shows (Secret values redacted), with a note on them. */
export function planDocument(plan: Plan): string {
  const head = [
    `# Lumen ${plan.toVersion} for context "${plan.context}", namespace ${plan.options.namespace}.`,
    '# Apply: kubectl apply --server-side --field-manager=lumen-console -f <file>',
    '# Secret values are redacted (the console never hands them out): create lumen-agent-tls and',
    '# lumen-agent-token with your secret tooling, or print full manifests with `npm run manifests`.',
    '',
  ].join('\n');
  return head + plan.objects.filter((o) => o.action !== 'extra').map((o) => o.yaml).join('---\n');
}

const actionLabel: Record<PlanObject['action'], string> = { create: 'create', update: 'update', unchanged: 'unchanged', extra: 'not in this version' };

export function ReviewStep({ session }: { session: InstallSessionState }) {
  const actions = useActions();
  const plan = useLumen((s) => s.install.plan);
  const notice = useLumen((s) => s.install.notice);
  const pending = useLumen((s) => s.install.pending);
  const can = useLumenShallow(selectCanApply);
  const first = useMemo(() => plan?.objects.find((o) => o.action === 'update')?.key ?? plan?.objects[0]?.key ?? null, [plan]);
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<'diff' | 'yaml'>('diff');
  const step = session.steps.find((s) => s.id === 'review')!;
  if (!plan) {
    return (
      <section className="panel step-panel">
        <p className="muted">{step.status === 'running' ? `Computing the plan… ${step.message ?? ''}` : 'Choose the options first: the plan is rendered from them.'}</p>
      </section>
    );
  }
  const object = plan.objects.find((o) => o.key === (selected ?? first)) ?? plan.objects[0]!;
  const showDiff = tab === 'diff' && object.diff !== null;
  const conflicts = session.apply?.conflicts ?? [];
  const doc = planDocument(plan);
  const fileName = `lumen-${plan.toVersion}-${plan.context.replace(/[^\w.-]+/g, '_')}.yaml`;
  const c = plan.counts;
  return (
    <section className="panel step-panel" aria-labelledby="review-title">
      <header className="step-panel-header">
        <div>
          <h2 id="review-title">{!plan.upgrade ? `Install Lumen ${plan.toVersion}` : plan.fromVersion === plan.toVersion ? `Update the Lumen ${plan.toVersion} install` : `Upgrade ${plan.fromVersion ?? '(unknown)'} → ${plan.toVersion}`}</h2>
          <p className="muted" aria-label="Plan summary">
            {c.create} to create · {c.update} to update · {c.unchanged} unchanged{c.extra ? ` · ${c.extra} not in this version (left as is)` : ''}
            {plan.diffSource === 'server-dry-run' && ' · diffs from a server-side dry run'}
            {plan.diffSource === 'local' && ' · diffs compared locally (the server refused a dry run)'}
          </p>
        </div>
        <div className="view-actions">
          <button type="button" className="button" onClick={() => void actions.copyText(doc, 'YAML')}><Icon name="file" size={14} /> Copy YAML</button>
          <button type="button" className="button" onClick={() => void actions.saveText(fileName, doc)}><Icon name="file" size={14} /> Save as…</button>
        </div>
      </header>
      {notice && <p className="notice" role="status">{notice}</p>}
      <div className="review-layout">
        <ul className="object-list" aria-label="Objects">
          {plan.objects.map((o) => (
            <li key={o.key}>
              <button type="button" className={`object-row${o.key === object.key ? ' selected' : ''}`} data-action={o.action} onClick={() => setSelected(o.key)}>
                <span className={`action-badge action-${o.action}`}>{actionLabel[o.action]}</span>
                <span className="object-kind">{o.kind}</span>
                <span className="object-name mono">{o.namespace ? `${o.namespace}/` : ''}{o.name}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="object-view">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={showDiff} disabled={!object.diff} onClick={() => setTab('diff')}>Diff</button>
            <button type="button" role="tab" aria-selected={!showDiff} onClick={() => setTab('yaml')}>YAML</button>
            <span className="muted object-view-title mono">{object.key}</span>
          </div>
          {showDiff ? <DiffView lines={object.diff!} label={`Diff of ${object.key}`} /> : <YamlView text={object.yaml} label={`YAML of ${object.key}`} />}
          {!object.diff && object.action === 'create' && <p className="muted small">New object: nothing to compare with.</p>}
          {object.action === 'unchanged' && <p className="muted small">Applying it changes nothing.</p>}
        </div>
      </div>
      {conflicts.length > 0 && (
        <div className="callout callout-warning" role="alert">
          <Icon name="alert" size={18} className="callout-icon" />
          <div className="callout-body">
            <div className="callout-title">Another field manager owns fields Lumen would set</div>
            <ul className="mono">
              {conflicts.map((x, i) => <li key={i}>{x.key}: {x.field} (managed by {x.manager})</li>)}
            </ul>
            <p>Applying with force makes Lumen the owner of these fields; the other tool may set them back.</p>
            <div><button type="button" className="button" disabled={!can.allowed} onClick={() => void actions.applyInstall(true)}>Apply with force</button></div>
          </div>
        </div>
      )}
      <footer className="step-footer">
        <button type="button" className="button" onClick={() => actions.showInstallStep('options')}>Back</button>
        {!can.allowed && can.why && <span className="muted">{can.why}</span>}
        <button type="button" className="button button-primary" disabled={!can.allowed || pending !== null} onClick={() => void actions.applyInstall(false)}>
          {plan.upgrade ? 'Apply the upgrade' : 'Install'}
        </button>
      </footer>
    </section>
  );
}
