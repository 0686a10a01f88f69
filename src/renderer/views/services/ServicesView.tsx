// The Services view: every Service in a virtualised table (namespace filter, search, sort); a selected one opens its graph and realized-vs-desired details.
import { Icon } from '../../components/Icon.js';
import { useLumen, useLumenShallow } from '../../store/react.js';
import { selectServiceNamespaces } from '../../store/services/selectors.js';
import { ServiceDetail } from './ServiceDetail.js';
import { ServicesTable } from './ServicesTable.js';
import './table.css';
import './services.css';

export function ServicesView() {
  const total = useLumen((s) => s.services.rows.size);
  const shown = useLumen((s) => s.services.visible.length);
  const syncing = useLumen((s) => s.services.syncing);
  const query = useLumen((s) => s.services.query);
  const selected = useLumen((s) => s.services.selected);
  const setQuery = useLumen((s) => s.setServiceQuery);
  const namespaces = useLumenShallow(selectServiceNamespaces);
  const connected = useLumen((s) => s.connection.state.status === 'connected');

  return (
    <section className="view view-wide" aria-labelledby="services-title">
      <header className="view-header">
        <div>
          <h1 id="services-title">Services</h1>
          <p className="view-subtitle" aria-live="polite" aria-label="Service count">
            {connected ? (
              <>
                {shown === total ? `${total} services` : `${shown} of ${total} services`}
                {syncing && <span className="muted"> · updating…</span>}
              </>
            ) : (
              'Not connected: connect to a context to see its services.'
            )}
          </p>
        </div>
        <div className="view-actions svc-filters">
          <label className="select-wrap">
            <span className="visually-hidden">Namespace</span>
            <select aria-label="Namespace" value={query.namespace ?? ''} onChange={(e) => setQuery({ namespace: e.target.value || null })}>
              <option value="">All namespaces</option>
              {namespaces.map((n) => (
                <option key={n.namespace} value={n.namespace}>
                  {n.namespace} ({n.count})
                </option>
              ))}
            </select>
          </label>
          <label className="search-box">
            <Icon name="search" size={14} />
            <input
              type="search"
              aria-label="Search services"
              placeholder="Name, namespace, IP, port…"
              value={query.search}
              onChange={(e) => setQuery({ search: e.target.value })}
              spellCheck={false}
            />
          </label>
        </div>
      </header>
      <div className={`svc-layout${selected ? ' with-detail' : ''}`}>
        <div className="svc-table-wrap">
          <ServicesTable compact={selected !== null} />
        </div>
        {selected && <ServiceDetail key={selected} serviceKey={selected} />}
      </div>
    </section>
  );
}
