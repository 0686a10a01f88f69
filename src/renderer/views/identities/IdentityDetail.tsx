// One identity: its labels, endpoints, the policies selecting it per direction and the identities it may talk to (shared evaluator).
import { describeRule, type IdentityDirectionView, type IdentityRuleView, type PortSummary } from '../../../shared/policy/index.js';
import { useLumen } from '../../store/react.js';
import { selectIdentityDetail, selectIdentityRows } from '../../store/identities/selectors.js';
import { identityName, type IdentityRow } from '../../store/identities/model.js';

export function LabelChips({ labels }: { labels: readonly string[] }) {
  return (
    <ul className="label-list" aria-label="Labels">
      {labels.map((l) => (
        <li key={l} className={`label-chip${l.startsWith('ns:') ? ' ns' : ''}`}>{l}</li>
      ))}
    </ul>
  );
}

function portText(p: PortSummary): string {
  const port = p.name !== undefined ? `${p.name}${p.resolved?.length ? `→${p.resolved.join('/')}` : ''}` : p.port === undefined ? 'any port' : p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port);
  return `${p.protocol} ${port}`;
}

function ruleText(r: IdentityRuleView, byId: ReadonlyMap<number, IdentityRow>): string {
  const peers = r.peers === 'any'
    ? 'any peer'
    : [...r.peers.identities.map((id) => `${id} (${identityName(id, byId)})`), ...r.peers.reserved.map((id) => identityName(id, byId)), ...r.peers.ipBlocks.map((b) => `${b.cidr}${b.except.length ? ` except ${b.except.join(', ')}` : ''}`)].join(', ') || 'no peer';
  const ports = r.ports === 'any' ? 'any port' : r.ports.map(portText).join(', ');
  return `${describeRule(r.ref)}: ${peers} · ${ports}`;
}

function Direction({ title, view, byId }: { title: string; view: IdentityDirectionView; byId: ReadonlyMap<number, IdentityRow> }) {
  const peers = view.peers;
  return (
    <section className="policy-box" aria-label={`${title} policy`}>
      <h4>{title}</h4>
      <p className="muted">
        {view.enforced ? 'isolated: only what a rule allows' : 'not isolated: everything allowed'}
      </p>
      <div>
        <strong>Selected by</strong>
        {view.selectedBy.length === 0 ? (
          <p className="muted">no policy</p>
        ) : (
          <ul className="peer-list" aria-label={`${title} selecting policies`}>
            {view.selectedBy.map((p) => <li key={p} className="mono">{p}</li>)}
          </ul>
        )}
      </div>
      <div>
        <strong>{title === 'Ingress' ? 'May receive from' : 'May send to'}</strong>
        {peers === 'any' ? (
          <p>any identity</p>
        ) : (
          <ul className="peer-list" aria-label={`${title} peers`}>
            {peers.identities.map((id) => (
              <li key={id}>
                <span className="mono">{id}</span> <span className="muted">{identityName(id, byId)}</span>
              </li>
            ))}
            {peers.reserved.map((id) => (
              <li key={`r${id}`}>
                <span className="mono">{id}</span> <span className="muted">{identityName(id, byId)}</span>
              </li>
            ))}
            {peers.cidrs.map((c) => <li key={c} className="mono">{c}</li>)}
          </ul>
        )}
      </div>
      {view.rules.length > 0 && (
        <div>
          <strong>Rules</strong>
          <ul className="peer-list" aria-label={`${title} rules`}>
            {view.rules.map((r) => <li key={r.ruleId}>{ruleText(r, byId)}</li>)}
          </ul>
        </div>
      )}
    </section>
  );
}

export function IdentityDetail({ row }: { row: IdentityRow }) {
  const detail = useLumen(selectIdentityDetail);
  const { byId } = useLumen(selectIdentityRows);
  return (
    <section className="panel svc-detail" aria-label="Identity details">
      <header className="svc-detail-head">
        <div>
          <h2>Identity {row.id}</h2>
          <p className="muted">{row.source === 'reserved' ? 'reserved' : `namespace ${row.namespace ?? '?'}`} · {row.endpoints} endpoints{row.nodes.length ? ` on ${row.nodes.join(', ')}` : ''}</p>
        </div>
      </header>
      {row.description && <p>{row.description}</p>}
      <LabelChips labels={row.labelText} />
      <h3>Endpoints</h3>
      {detail && detail.endpoints.length > 0 ? (
        <table className="table backends" aria-label="Identity endpoints">
          <thead>
            <tr><th>Pod</th><th>Namespace</th><th>Node</th><th>IPs</th></tr>
          </thead>
          <tbody>
            {detail.endpoints.map((e) => (
              <tr key={e.key}>
                <td>{e.pod}</td>
                <td>{e.namespace}</td>
                <td>{e.node ?? '—'}</td>
                <td className="mono">{e.ips.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No endpoint carries this identity now.</p>
      )}
      <h3>Policy</h3>
      {row.source === 'reserved' ? (
        <p className="muted">NetworkPolicies select pods, not reserved identities; peers that match this identity are shown in each pod identity's view.</p>
      ) : detail?.policyError ? (
        <p className="warn-text">{detail.policyError}</p>
      ) : detail?.policy ? (
        <div className="policy-dir">
          <Direction title="Ingress" view={detail.policy.ingress} byId={byId} />
          <Direction title="Egress" view={detail.policy.egress} byId={byId} />
        </div>
      ) : null}
    </section>
  );
}
