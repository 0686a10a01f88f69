// Live object counts from the watch caches: proof the list+watch pipeline is flowing.
import { kindLabels, selectPodReadiness, selectResourceCounts } from '../../store/resources/selectors.js';
import { useLumen, useLumenShallow } from '../../store/react.js';

export function ResourceCounts() {
  const counts = useLumen(selectResourceCounts);
  const pods = useLumenShallow(selectPodReadiness);
  return (
    <section className="subsection">
      <h3>Cluster objects (live)</h3>
      <ul className="counts" aria-label="Cluster objects">
        {counts.map((c) => (
          <li key={c.kind} className="count" data-kind={c.kind} data-synced={c.synced}>
            <span className="count-value" aria-label={`${kindLabels[c.kind]} count`}>
              {c.synced ? c.count : '…'}
            </span>
            <span className="count-label">
              {kindLabels[c.kind]}
              {c.kind === 'pods' && c.synced && pods.total > 0 ? <span className="muted"> · {pods.ready} ready</span> : null}
              {c.failing && <span className="warn-text"> · retrying</span>}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
