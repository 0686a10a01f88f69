// One node on the Status view: problems first, then agent facts, datapath mode, flow-rate sparkline and map pressure bars.
import type { NodeStatus } from '../../../shared/contract/index.js';
import { ago, nodeTone, pressureTone, sparklinePoints, uptime } from '../../store/status/selectors.js';

function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  const w = 160;
  const h = 32;
  const points = sparklinePoints(values, w, h);
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <line x1={0} y1={h - 1} x2={w} y2={h - 1} stroke="currentColor" strokeOpacity={0.25} />
      {points && <polyline points={points} fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinejoin="round" />}
    </svg>
  );
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function Chip({ on, label }: { on: boolean; label: string }) {
  return <span className={`chip${on ? ' on' : ''}`}>{label}: {on ? 'on' : 'off'}</span>;
}

export function NodeCard({ node, now }: { node: NodeStatus; now: number }) {
  const a = node.agent;
  const tone = nodeTone(node);
  const rates = node.history.map((s) => s.rate);
  return (
    <li className="panel status-node" data-node={node.node} data-tone={tone}>
      <header className="status-node-head">
        <span className={`dot dot-${tone === 'warn' ? 'busy' : tone}`} aria-hidden="true" />
        <h2>{node.node}</h2>
        {a && <span className="muted small">agent {a.version} · {a.health} · up {uptime(a.uptimeSeconds)}</span>}
        {!a && node.pod && <span className="muted small">pod {node.pod.name} · {node.pod.phase}</span>}
      </header>
      {node.problems.length > 0 && (
        <ul className="node-problems" aria-label={`Problems on ${node.node}`}>
          {node.problems.map((p, i) => (
            <li key={i} data-kind={p.kind} data-severity={p.severity} className={p.severity === 'error' ? 'error-text' : 'warn-text'}>{p.text}</li>
          ))}
        </ul>
      )}
      {a ? (
        <>
          <div className="chips" aria-label="Datapath mode">
            <Chip on={a.datapath.kubeProxyReplacement} label="kube-proxy replacement" />
            <Chip on={a.datapath.socketLB} label="socket LB" />
            <Chip on={a.datapath.nodePort} label="NodePort" />
            <span className="chip on">policy: {a.datapath.policyEnforcement}</span>
            {a.datapath.auditNamespaces.length > 0 && <span className="chip">audit: {a.datapath.auditNamespaces.join(', ')}</span>}
          </div>
          <div className="status-metrics">
            <div className="metric">
              <span className="metric-label">Flows/s</span>
              <span className="metric-value" aria-label={`Flows per second on ${node.node}`}>{a.flowsPerSecond.toFixed(1)}</span>
              <Sparkline values={rates} label={`Flow rate of ${node.node} over the last minutes`} />
            </div>
            <div className="metric">
              <span className="metric-label">Lost events</span>
              <span className="metric-value">{a.lost}</span>
              <span className="muted small">{a.flowsTotal} flows total</span>
            </div>
            <div className="metric">
              <span className="metric-label">Last sync</span>
              <span className="metric-value small">{ago(a.lastEventAt, now)}</span>
              <span className="muted small">maps written {ago(a.lastSyncAt, now)}</span>
            </div>
            <div className="metric">
              <span className="metric-label">Objects</span>
              <span className="small">{count(a.counts.endpoints, 'endpoint')} · {count(a.counts.identities, 'identity', 'identities')}</span>
              <span className="small">{count(a.counts.services, 'service')} · {count(a.counts.policies, 'policy', 'policies')}</span>
            </div>
          </div>
          <table className="map-bars" aria-label={`Map pressure on ${node.node}`}>
            <tbody>
              {a.maps.map((m) => (
                <tr key={m.name} data-map={m.name}>
                  <th scope="row" className="mono small">{m.name.replace(/^lumen_/, '')}</th>
                  <td className="bar-cell">
                    <div className="bar" data-tone={pressureTone(m.pressure)}>
                      <div style={{ width: `${Math.min(100, Math.max(m.pressure === null ? 0 : 1, Math.round((m.pressure ?? 0) * 100)))}%` }} />
                    </div>
                  </td>
                  <td className="small mono nowrap">{m.pressure === null ? 'not counted' : `${(m.pressure * 100).toFixed(m.pressure < 0.01 ? 2 : 0)}% · ${m.entries}/${m.maxEntries}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p className="muted small">{node.agentError ?? (node.pod ? 'the agent does not answer' : 'no agent on this node')}</p>
      )}
      <p className="muted small mono">kernel {node.kernel}{node.nodeReady ? '' : ' · node NotReady'}</p>
    </li>
  );
}
