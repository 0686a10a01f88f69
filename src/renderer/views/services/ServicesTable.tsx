// The services table: one virtualised row per Service with frontends, backend counts by state, affinity and traffic policies.
import { useCallback, useMemo } from 'react';
import { useLumen } from '../../store/react.js';
import type { ServiceRow, SortKey } from '../../store/services/rows.js';
import { VirtualTable, type Column } from './VirtualTable.js';

function Counts({ row }: { row: ServiceRow }) {
  const b = row.summary.backends;
  const servingOnly = b.serving - b.ready - b.terminating > 0 ? b.serving - b.ready - b.terminating : 0;
  return (
    <span className="counts-inline" aria-label={`${b.ready} ready, ${servingOnly} serving, ${b.terminating} terminating of ${b.total}`}>
      <span className="count-ready" title="ready">{b.ready}</span>
      {servingOnly > 0 && <span className="count-serving" title="serving, not ready"> +{servingOnly}</span>}
      {b.terminating > 0 && <span className="count-terminating" title="terminating"> ↘{b.terminating}</span>}
      <span className="muted"> / {b.total}</span>
    </span>
  );
}

const columns: Column<ServiceRow>[] = [
  {
    id: 'name', title: 'Service', width: 'minmax(180px, 2fr)', sort: 'name',
    cell: (r) => (
      <span className="svc-name">
        <span className="svc-ns">{r.summary.namespace}/</span>
        <strong>{r.summary.name}</strong>
      </span>
    ),
  },
  { id: 'type', title: 'Type', width: '96px', sort: 'type', cell: (r) => <span className={`type-tag type-${r.summary.type}`}>{r.summary.headless ? 'Headless' : r.summary.type}</span> },
  { id: 'ip', title: 'Cluster IP', width: '112px', sort: 'clusterIP', cell: (r) => <span className="mono">{r.summary.clusterIP ?? '—'}</span> },
  {
    id: 'frontends', title: 'Frontends', width: 'minmax(160px, 2fr)',
    cell: (r) => <span className="mono ellipsis" title={[...r.summary.frontends, ...r.summary.ports].join('\n')}>{r.summary.frontends.length > 0 ? r.summary.frontends.join(', ') : r.summary.ports.join(', ') || '—'}</span>,
  },
  { id: 'backends', title: 'Backends', width: '110px', sort: 'ready', align: 'right', cell: (r) => <Counts row={r} /> },
  { id: 'affinity', title: 'Affinity', width: '78px', cell: (r) => (r.summary.sessionAffinity === 'ClientIP' ? <span title={`${r.summary.affinityTimeoutSeconds ?? 10800} s`}>ClientIP</span> : <span className="muted">None</span>) },
  {
    id: 'traffic', title: 'Traffic', width: '92px',
    cell: (r) => (
      <span title={`external: ${r.summary.externalTrafficPolicy}, internal: ${r.summary.internalTrafficPolicy}`}>
        {r.summary.externalTrafficPolicy === 'Local' || r.summary.internalTrafficPolicy === 'Local' ? (
          <span className="local-tag">{r.summary.internalTrafficPolicy === 'Local' ? 'int Local' : 'ext Local'}</span>
        ) : (
          <span className="muted">Cluster</span>
        )}
      </span>
    ),
  },
];

/** With the details open the table is narrow: name, type and backends only. */
const compactColumns = columns.filter((c) => c.id === 'name' || c.id === 'type' || c.id === 'backends');

export function ServicesTable({ compact = false }: { compact?: boolean }) {
  const visible = useLumen((s) => s.services.visible);
  const rows = useLumen((s) => s.services.rows);
  const query = useLumen((s) => s.services.query);
  const selected = useLumen((s) => s.services.selected);
  const setQuery = useLumen((s) => s.setServiceQuery);
  const select = useLumen((s) => s.selectService);
  const items = useMemo(() => visible.map((k) => rows.get(k)!).filter(Boolean), [visible, rows]);
  const onSort = useCallback((key: string) => setQuery({ sort: key as SortKey, desc: query.sort === key ? !query.desc : false }), [setQuery, query]);
  const onSelect = useCallback((key: string) => select(key), [select]);
  return (
    <VirtualTable
      label="Services"
      items={items}
      getKey={(r) => r.key}
      columns={compact ? compactColumns : columns}
      selected={selected}
      onSelect={onSelect}
      sort={{ key: query.sort, desc: query.desc }}
      onSort={onSort}
      empty={rows.size === 0 ? 'No services in the cache yet.' : 'No service matches the filter.'}
    />
  );
}
