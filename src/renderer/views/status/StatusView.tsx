// The Status view: a cluster summary on top, then per node the agent's version and health, datapath mode, map pressure, flow rate and problems; refreshed live.
import { useEffect } from 'react';
import { ErrorCallout } from '../../components/ErrorCallout.js';
import { Icon } from '../../components/Icon.js';
import { useActions, useLumen } from '../../store/react.js';
import { summaryLine } from '../../store/status/selectors.js';
import { NodeCard } from './NodeCard.js';
import './status.css';

export function StatusView() {
  const actions = useActions();
  const connected = useLumen((s) => s.connection.state.status === 'connected');
  const data = useLumen((s) => s.clusterStatus.data);
  const loading = useLumen((s) => s.clusterStatus.loading);
  const error = useLumen((s) => s.clusterStatus.error);

  useEffect(() => (connected ? actions.watchStatus() : undefined), [actions, connected]);

  return (
    <section className="view status-view" aria-labelledby="status-title">
      <header className="view-header">
        <div>
          <h1 id="status-title">Status</h1>
          <p className="view-subtitle" aria-label="Cluster summary">
            {!connected ? 'Not connected: connect to a context to see its agents.' : data ? summaryLine(data) : 'Asking the agents…'}
            {data && <span className="muted"> · updated {new Date(data.fetchedAt).toLocaleTimeString()}</span>}
          </p>
        </div>
        {connected && (
          <div className="view-actions">
            <button type="button" className="button" onClick={() => void actions.refreshStatus()} disabled={loading}>
              <Icon name="refresh" size={14} className={loading ? 'spin' : undefined} /> Refresh
            </button>
          </div>
        )}
      </header>
      {error && <ErrorCallout error={error} />}
      {connected && data && !data.installed && (
        <div className="panel empty">
          <Icon name="file" size={28} />
          <p>Lumen is not installed on {data.context}.</p>
          <a className="button button-primary" href="#/install">Install it</a>
        </div>
      )}
      {connected && data?.installed && (
        <>
          <div className="summary-cards" aria-label="Summary">
            <Card label="Agents ready" value={`${data.summary.agentsReady}/${data.summary.nodes}`} tone={data.summary.agentsReady === data.summary.nodes ? 'ok' : 'error'} />
            <Card label="Nodes with problems" value={String(data.summary.nodesWithProblems)} tone={data.summary.nodesWithProblems === 0 ? 'ok' : 'warn'} />
            <Card label="Flows per second" value={data.summary.flowsPerSecond.toFixed(1)} />
            <Card label="Lost events" value={String(data.summary.lost)} tone={data.summary.lost === 0 ? 'ok' : 'warn'} />
            <Card label="Version" value={data.version ?? '—'} detail={`namespace ${data.namespace}`} />
            {data.daemonSet && <Card label="DaemonSet" value={`${data.daemonSet.ready}/${data.daemonSet.desired} ready`} detail={`${data.daemonSet.updated} updated · ${data.daemonSet.available} available`} />}
          </div>
          {data.notes.length > 0 && <ul className="status-notes muted">{data.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
          <ul className="status-nodes" aria-label="Nodes">
            {data.nodes.map((n) => <NodeCard key={n.node} node={n} now={data.fetchedAt} />)}
          </ul>
        </>
      )}
    </section>
  );
}

function Card({ label, value, detail, tone }: { label: string; value: string; detail?: string; tone?: 'ok' | 'warn' | 'error' }) {
  return (
    <div className="summary-card" data-tone={tone ?? 'idle'}>
      <span className="summary-label">{label}</span>
      <span className="summary-value">{value}</span>
      {detail && <span className="summary-detail muted">{detail}</span>}
    </div>
  );
}
