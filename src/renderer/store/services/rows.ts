// Services table rows (from ServiceIndex summaries) with precomputed search text and sort keys, and the query (namespace, search, sort) over them.
import type { ServiceSummary } from '../../../shared/services/index.js';

export interface ServiceRow {
  key: string;
  summary: ServiceSummary;
  /** Lower-case haystack: name, namespace, type, IPs, ports, node ports. */
  search: string;
  /** Numeric cluster IP for sorting (headless/none sort last). */
  ipOrder: number;
}

export const sortKeys = ['name', 'namespace', 'type', 'clusterIP', 'backends', 'ready'] as const;
export type SortKey = (typeof sortKeys)[number];

export interface ServiceQuery {
  namespace: string | null;
  search: string;
  sort: SortKey;
  desc: boolean;
}

export const defaultServiceQuery: ServiceQuery = { namespace: null, search: '', sort: 'name', desc: false };

function ipNumber(ip: string | undefined): number {
  if (!ip) return Number.MAX_SAFE_INTEGER;
  const parts = ip.split('.');
  if (parts.length !== 4) return Number.MAX_SAFE_INTEGER;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function serviceRow(summary: ServiceSummary): ServiceRow {
  const search = [
    summary.namespace, summary.name, `${summary.namespace}/${summary.name}`, summary.type, summary.clusterIP ?? '',
    ...summary.frontends, ...summary.ports, ...summary.externalIPs, ...summary.nodePorts.map(String),
    summary.headless ? 'headless' : '',
  ].join(' ').toLowerCase();
  return { key: summary.key, summary, search, ipOrder: ipNumber(summary.clusterIP) };
}

/** Plain code-unit comparison: an order of magnitude faster than localeCompare at 5,000 rows. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const comparators: Record<SortKey, (a: ServiceRow, b: ServiceRow) => number> = {
  name: (a, b) => cmp(a.summary.name, b.summary.name) || cmp(a.summary.namespace, b.summary.namespace),
  namespace: (a, b) => cmp(a.summary.namespace, b.summary.namespace) || cmp(a.summary.name, b.summary.name),
  type: (a, b) => cmp(a.summary.type, b.summary.type) || cmp(a.key, b.key),
  clusterIP: (a, b) => a.ipOrder - b.ipOrder || cmp(a.key, b.key),
  backends: (a, b) => a.summary.backends.total - b.summary.backends.total || cmp(a.key, b.key),
  ready: (a, b) => a.summary.backends.ready - b.summary.backends.ready || cmp(a.key, b.key),
};

/** Index of the first row of `order` not before `row` (binary search). */
function lowerBound(order: readonly ServiceRow[], row: ServiceRow, compare: (a: ServiceRow, b: ServiceRow) => number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(order[mid]!, row) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sorted orders per sort key, built on first use: typing a filter then only walks one sorted
 * array (O(n)), a sort change sorts once, and a delta touching k services patches each
 * cached order in O(n + k log n) instead of sorting 5,000 rows again.
 */
export class SortedOrders {
  private readonly orders = new Map<SortKey, ServiceRow[]>();
  private source: ReadonlyMap<string, ServiceRow> | null = null;

  get(rows: ReadonlyMap<string, ServiceRow>, key: SortKey): ServiceRow[] {
    if (rows !== this.source) {
      this.orders.clear();
      this.source = rows;
    }
    let order = this.orders.get(key);
    if (!order) {
      order = [...rows.values()].sort(comparators[key]);
      this.orders.set(key, order);
    }
    return order;
  }

  /** `rows` differs from the previous rows only at `changed` keys (upserted or deleted). */
  patch(rows: ReadonlyMap<string, ServiceRow>, changed: ReadonlySet<string>): void {
    if (this.source === null || changed.size > 256) {
      this.orders.clear();
      this.source = rows;
      return;
    }
    for (const [key, order] of this.orders) {
      const compare = comparators[key];
      const kept = order.filter((r) => !changed.has(r.key));
      for (const k of changed) {
        const row = rows.get(k);
        if (row) kept.splice(lowerBound(kept, row, compare), 0, row);
      }
      this.orders.set(key, kept);
    }
    this.source = rows;
  }
}

/** Whitespace-separated terms, all of which must appear (case-insensitive). */
export function searchTerms(search: string): string[] {
  return search.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Keys of the rows the query shows, in order. */
export function queryRows(rows: ReadonlyMap<string, ServiceRow>, query: ServiceQuery, orders: SortedOrders = new SortedOrders()): string[] {
  const sorted = orders.get(rows, query.sort);
  const terms = searchTerms(query.search);
  const out: string[] = [];
  const n = sorted.length;
  for (let i = 0; i < n; i++) {
    const row = sorted[query.desc ? n - 1 - i : i]!;
    if (query.namespace !== null && row.summary.namespace !== query.namespace) continue;
    let ok = true;
    for (const t of terms) {
      if (!row.search.includes(t)) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(row.key);
  }
  return out;
}

/** Namespaces that have services, sorted, with counts. */
export function namespaceCounts(rows: ReadonlyMap<string, ServiceRow>): { namespace: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows.values()) counts.set(r.summary.namespace, (counts.get(r.summary.namespace) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => cmp(a[0], b[0])).map(([namespace, count]) => ({ namespace, count }));
}
