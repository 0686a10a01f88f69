// The Identities view: cluster identities (labels, endpoints, nodes) with reserved ones explained, one's policy view, and the LumenEndpoint list.
import { useCallback } from 'react';
import { Icon } from '../../components/Icon.js';
import { selectIdentityRows, selectVisibleEndpoints, selectVisibleIdentities } from '../../store/identities/selectors.js';
import type { EndpointRow, IdentityRow } from '../../store/identities/model.js';
import { useLumen } from '../../store/react.js';
import { VirtualTable, type Column } from '../services/VirtualTable.js';
import { IdentityDetail } from './IdentityDetail.js';
import '../services/table.css';
import '../services/services.css';
import './identities.css';

const identityColumns: Column<IdentityRow>[] = [
  { id: 'id', title: 'ID', width: '72px', cell: (r) => <span className="mono">{r.id}</span> },
  { id: 'labels', title: 'Security labels', width: 'minmax(240px, 4fr)', cell: (r) => <span className="ellipsis mono" title={r.labelText.join('\n')}>{r.labelText.filter((l) => !l.startsWith('ns:')).join(', ') || '(no pod labels)'}</span> },
  { id: 'ns', title: 'Namespace', width: 'minmax(100px, 1fr)', cell: (r) => r.namespace ?? '—' },
  { id: 'eps', title: 'Endpoints', width: '86px', align: 'right', cell: (r) => r.endpoints },
  { id: 'nodes', title: 'Nodes', width: 'minmax(100px, 1.2fr)', cell: (r) => <span className="ellipsis">{r.nodes.join(', ') || '—'}</span> },
];

const endpointColumns: Column<EndpointRow>[] = [
  { id: 'pod', title: 'Pod', width: 'minmax(180px, 2fr)', cell: (e) => <span><span className="svc-ns">{e.namespace}/</span><strong>{e.pod}</strong></span> },
  { id: 'id', title: 'Endpoint', width: '78px', align: 'right', cell: (e) => <span className="mono">{e.endpointId ?? '—'}</span> },
  { id: 'identity', title: 'Identity', width: '74px', align: 'right', cell: (e) => <span className="mono">{e.identity ?? '—'}</span> },
  { id: 'ips', title: 'IPs', width: 'minmax(110px, 1fr)', cell: (e) => <span className="mono">{e.ips.join(', ') || '—'}</span> },
  { id: 'node', title: 'Node', width: 'minmax(80px, 1fr)', cell: (e) => e.node ?? '—' },
  { id: 'in', title: 'Ingress', width: '80px', cell: (e) => <span className={`enf-${e.ingress}`}>{e.ingress}</span> },
  { id: 'out', title: 'Egress', width: '80px', cell: (e) => <span className={`enf-${e.egress}`}>{e.egress}</span> },
  { id: 'rev', title: 'Policy rev', width: '78px', align: 'right', cell: (e) => e.policyRevision ?? '—' },
  { id: 'health', title: 'Health', width: '96px', cell: (e) => <span className={`health-${e.health}`} title={e.message ?? ''}>{e.health}</span> },
];

export function IdentitiesView() {
  const tab = useLumen((s) => s.identities.tab);
  const search = useLumen((s) => s.identities.search);
  const selected = useLumen((s) => s.identities.selected);
  const setTab = useLumen((s) => s.setIdentitiesTab);
  const setSearch = useLumen((s) => s.setIdentitiesSearch);
  const select = useLumen((s) => s.selectIdentity);
  const rows = useLumen(selectIdentityRows);
  const identities = useLumen(selectVisibleIdentities);
  const endpoints = useLumen(selectVisibleEndpoints);
  const synced = useLumen((s) => s.resources.kinds.identities.synced);
  const failing = useLumen((s) => s.resources.status.identities?.status === 'backoff');
  const onSelect = useCallback((key: string) => select(Number(key)), [select]);
  const selectedRow = selected === null ? undefined : rows.byId.get(selected);

  return (
    <section className="view view-wide" aria-labelledby="identities-title">
      <header className="view-header">
        <div>
          <h1 id="identities-title">Identities</h1>
          <p className="view-subtitle" aria-label="Identity count">
            {synced ? `${rows.cluster.length} cluster identities · ${endpoints.length === 0 && !search ? 0 : endpoints.length} endpoints` : failing ? 'Lumen CRDs not readable (not installed yet?) — retrying' : 'Loading…'}
          </p>
        </div>
        <div className="view-actions svc-filters">
          <div className="seg-tabs" role="tablist" aria-label="Identities view">
            <button type="button" role="tab" className="seg-tab" aria-selected={tab === 'identities'} onClick={() => setTab('identities')}>Identities</button>
            <button type="button" role="tab" className="seg-tab" aria-selected={tab === 'endpoints'} onClick={() => setTab('endpoints')}>Endpoints</button>
          </div>
          <label className="search-box">
            <Icon name="search" size={14} />
            <input type="search" aria-label="Search identities" placeholder="Label, id, pod, IP, node…" value={search} onChange={(e) => setSearch(e.target.value)} spellCheck={false} />
          </label>
        </div>
      </header>
      {tab === 'identities' ? (
        <div className={`svc-layout${selectedRow ? ' with-detail' : ''}`}>
          <div className="ident-left">
            <div className="svc-table-wrap">
              <VirtualTable
                label="Identities"
                items={identities}
                getKey={(r) => String(r.id)}
                columns={identityColumns}
                selected={selected === null ? null : String(selected)}
                onSelect={onSelect}
                empty={synced ? 'No identity matches.' : 'Waiting for Identity objects…'}
              />
            </div>
            <section className="reserved" aria-label="Reserved identities">
              <h3>Reserved identities</h3>
              <ul className="reserved-list">
                {rows.reserved.map((r) => (
                  <li key={r.id}>
                    <button type="button" className="link-button mono" onClick={() => select(r.id)}>{r.id}</button>
                    <span className="mono">{r.labelText.join(', ')}</span>
                    <span className="muted">{r.description}</span>
                  </li>
                ))}
              </ul>
            </section>
          </div>
          {selectedRow && <IdentityDetail key={selectedRow.id} row={selectedRow} />}
        </div>
      ) : (
        <div className="svc-layout">
          <div className="svc-table-wrap">
            <VirtualTable
              label="Endpoints"
              items={endpoints}
              getKey={(e) => e.key}
              columns={endpointColumns}
              selected={null}
              onSelect={(key) => {
                const ep = endpoints.find((e) => e.key === key);
                if (ep?.identity !== null && ep?.identity !== undefined) {
                  select(ep.identity);
                  setTab('identities');
                }
              }}
              empty="No LumenEndpoint objects (pods get one when the agent sets them up)."
            />
          </div>
        </div>
      )}
    </section>
  );
}

