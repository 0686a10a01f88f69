// One node of the rollout: pod phase, container states, restarts, waiting reasons, last events, the logs tail and the agent's own readiness.
import type { NodeRollout } from '../../../shared/contract/index.js';
import { CheckPill } from './CheckPill.js';

export function NodeRolloutCard({ node }: { node: NodeRollout }) {
  const failed = node.state === 'failed';
  return (
    <li className="node-card" data-node={node.node} data-state={node.state}>
      <div className="node-card-head">
        <span className="node-name">{node.node}</span>
        <CheckPill status={node.state} label={node.state} />
        {node.pod && <span className="muted mono small">{node.pod}{node.phase ? ` · ${node.phase}` : ''}</span>}
      </div>
      {node.reason && <p className={failed ? 'node-reason error-text' : 'node-reason'}>{node.reason}</p>}
      {node.containers.length > 0 && (
        <table className="table compact" aria-label={`Containers on ${node.node}`}>
          <thead>
            <tr><th>Container</th><th>State</th><th>Reason</th><th>Restarts</th><th>Last exit</th></tr>
          </thead>
          <tbody>
            {node.containers.map((c) => (
              <tr key={`${c.init ? 'init-' : ''}${c.name}`}>
                <td className="mono">{c.init ? `${c.name} (init)` : c.name}</td>
                <td>{c.state}{c.ready ? ', ready' : ''}</td>
                <td title={c.message ?? ''}>{c.reason ?? ''}</td>
                <td>{c.restarts}</td>
                <td>{c.lastExitCode === null ? '' : `${c.lastExitCode}${c.lastReason ? ` (${c.lastReason})` : ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {node.agent && (
        <p className="small">
          <span className="muted">Agent API:</span>{' '}
          {node.agent.error ? <span className="warn-text">{node.agent.error}</span> : `${node.agent.ready ? 'ready' : 'not ready'}${node.agent.version ? `, version ${node.agent.version}` : ''}${node.agent.health ? `, health ${node.agent.health}` : ''}${node.agent.problems.length ? ` — ${node.agent.problems.join('; ')}` : ''}`}
        </p>
      )}
      {node.events.length > 0 && (
        <details className="node-events" open={failed}>
          <summary>Last events ({node.events.length})</summary>
          <ul className="small">
            {node.events.map((e, i) => (
              <li key={i} data-type={e.type}>
                <span className={e.type === 'Warning' ? 'warn-text' : 'muted'}>{e.reason}</span>
                {e.count > 1 ? <span className="muted"> ×{e.count}</span> : null}: {e.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      {(node.logsTail || node.logsError) && (
        <details className="node-logs" open={failed}>
          <summary>Logs tail</summary>
          {node.logsTail ? <pre className="code small" aria-label={`Logs of ${node.node}`}>{node.logsTail.join('\n')}</pre> : <p className="muted small">{node.logsError}</p>}
        </details>
      )}
    </li>
  );
}
