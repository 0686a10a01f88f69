// The selected service: graph, per-node realized state with drift named by node, backends as text, spec vs realized JSON.
import { useEffect, useMemo } from 'react';
import type { Labels } from '../../../shared/k8s/index.js';
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { Icon } from '../../components/Icon.js';
import { realizedByNode, type NodeRealized } from '../../store/agents/drift.js';
import { useActions, useLumen } from '../../store/react.js';
import { describeLook, serviceGraphModel, type BackendView, type IdentityLookup } from './graphModel.js';
import { ServiceGraph } from './ServiceGraph.js';
import { SpecRealized } from './SpecRealized.js';

function NodeStates({ nodes, quiet }: { nodes: readonly NodeRealized[]; quiet: readonly string[] }) {
  if (nodes.length === 0) return <p className="muted">Asking each node's agent what it holds…</p>;
  return (
    <ul className="node-states" aria-label="Realized per node">
      {nodes.map((n) => (
        <li key={n.node} className={`node-state state-${n.state}`} data-node={n.node} data-state={n.state}>
          <div className="node-state-head">
            <span className={`pill ${n.state === 'in-sync' ? 'pill-ok' : n.state === 'drift' ? 'pill-error' : 'pill-unknown'}`}>
              {n.state === 'in-sync' ? 'in sync' : n.state === 'drift' ? `drift · ${n.items.length}` : 'unknown'}
            </span>
            <strong>{n.node}</strong>
            {n.pod && <span className="muted mono">{n.pod}</span>}
          </div>
          {n.items.length > 0 && (
            <ul className="drift-items">
              {n.items.map((d, i) => (
                <li key={i} data-drift={d.drift.kind}>
                  <Icon name="alert" size={12} /> {d.text}
                </li>
              ))}
            </ul>
          )}
          {n.error && <ErrorCallout error={n.error} compact />}
        </li>
      ))}
      {quiet.length > 0 && <li className="muted">{quiet.length} other nodes in sync</li>}
    </ul>
  );
}

function BackendsTable({ backends }: { backends: readonly BackendView[] }) {
  if (backends.length === 0) return <p className="muted">No endpoints: no pod matches the selector, or none is ready.</p>;
  return (
    <table className="table backends" aria-label="Backends">
      <thead>
        <tr>
          <th>Pod</th>
          <th>IP</th>
          <th>Node</th>
          <th>State</th>
          <th>Identity</th>
        </tr>
      </thead>
      <tbody>
        {backends.map((b) => (
          <tr key={b.ip} data-state={b.look}>
            <td>{b.pod ?? <span className="muted">—</span>}</td>
            <td className="mono">{b.ip}:{b.ports.join(',')}</td>
            <td>{b.node ?? <span className="muted">—</span>}</td>
            <td><span className={`state-dot look-${b.look}`} /> {describeLook(b.look)}</td>
            <td className="mono" title={b.identity ? Object.entries(b.identity.labels).map(([k, v]) => `${k}=${v}`).join('\n') : ''}>{b.identity?.id ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ServiceDetail({ serviceKey }: { serviceKey: string }) {
  const actions = useActions();
  const row = useLumen((s) => s.services.rows.get(serviceKey));
  const index = useLumen((s) => s.services.index);
  const service = useLumen((s) => s.resources.kinds.services.items.get(serviceKey));
  const lumenEndpoints = useLumen((s) => s.resources.kinds.lumenendpoints.items);
  const realized = useLumen((s) => s.agents.realized);
  const select = useLumen((s) => s.selectService);

  useEffect(() => actions.watchRealized(serviceKey), [actions, serviceKey]);

  // The row is a new object exactly when this service's Service or EndpointSlices changed.
  const desired = useMemo(() => (row ? index.get(serviceKey) : undefined), [row, index, serviceKey]);
  const identityOf = useMemo<IdentityLookup>(() => (pod) => {
    const le = lumenEndpoints.get(`${pod.namespace}/${pod.name}`) as { status?: { identity?: { id?: number; labels?: Labels } } } | undefined;
    const id = le?.status?.identity?.id;
    return typeof id === 'number' ? { id, labels: le?.status?.identity?.labels ?? {} } : null;
  }, [lumenEndpoints]);
  const nodes = useMemo(
    () => (realized.service === serviceKey ? realizedByNode(desired, realized.response) : []),
    [realized.service, realized.response, serviceKey, desired],
  );
  const model = useMemo(() => (desired ? serviceGraphModel(desired, identityOf, nodes) : null), [desired, identityOf, nodes]);

  if (!row || !desired || !model) {
    return (
      <div className="empty">
        <p>The service {serviceKey} is gone.</p>
        <button type="button" className="button" onClick={() => select(null)}>Close</button>
      </div>
    );
  }
  const drifting = nodes.filter((n) => n.state === 'drift');
  const description = `${serviceKey}: ${model.backends.length} backends on ${new Set(model.backends.map((b) => b.node)).size} nodes; ${drifting.length > 0 ? `drift on ${drifting.map((n) => n.node).join(', ')}` : 'no drift'}`;
  return (
    <section className="panel svc-detail" aria-label="Service details">
      <header className="svc-detail-head">
        <div>
          <h2>
            <span className="svc-ns">{row.summary.namespace}/</span>
            {row.summary.name}
          </h2>
          <p className="muted">
            {row.summary.type}
            {row.summary.clusterIP ? ` · ${row.summary.clusterIP}` : ''} · {row.summary.backends.ready}/{row.summary.backends.total} ready
            {row.summary.sessionAffinity === 'ClientIP' ? ' · affinity ClientIP' : ''}
          </p>
        </div>
        <div className="details-actions">
          {drifting.length > 0 && (
            <span className="pill pill-error" role="status" aria-label="Drift">
              <Icon name="alert" size={12} /> drift on {drifting.map((n) => n.node).join(', ')}
            </span>
          )}
          <button type="button" className="button button-small" onClick={() => actions.refreshRealized()} disabled={realized.loading} aria-label="Refresh realized state">
            <Icon name="refresh" size={13} className={realized.loading ? 'spin' : undefined} />
          </button>
          <button type="button" className="button button-small" onClick={() => select(null)} aria-label="Close details">
            <Icon name="cross" size={13} />
          </button>
        </div>
      </header>
      {realized.error && realized.service === serviceKey && <ErrorCallout error={realized.error} />}
      <ServiceGraph serviceKey={serviceKey} elements={model.elements} description={description} />
      <div className="svc-legend" aria-hidden="true">
        <span><i className="state-dot look-ready" /> ready</span>
        <span><i className="state-dot look-serving" /> serving, not ready</span>
        <span><i className="state-dot look-terminating" /> terminating</span>
        <span><i className="state-dot look-not-ready" /> not ready</span>
      </div>
      <h3>Nodes</h3>
      <NodeStates nodes={nodes} quiet={model.quietNodes} />
      <h3>Backends</h3>
      <BackendsTable backends={model.backends} />
      <SpecRealized service={service} desired={desired} nodes={nodes} />
    </section>
  );
}
