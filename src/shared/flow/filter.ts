// The flow filter language: one model, three spellings (text "key:value ...", URL query string, CLI flags), a parser with readable errors, and the matcher.
//
// Semantics: values of one key (comma-separated, or the key repeated) are alternatives (OR);
// different keys must all hold (AND); a leading "!" on a key negates it. Peer keys match either
// side of the flow, or one side with a from-/to- prefix: `namespace:prod` = from or to prod,
// `to-port:80,443`, `!from-identity:2`. `since`/`until` take a duration before now (30s, 5m,
// 1h30m) or an ISO time.
import type { Flow, FlowPeer, FlowProtocol, FlowVerdict } from './flow.js';

export type FilterSide = 'either' | 'from' | 'to';

export interface PodPattern { namespace?: string; name: string; prefix: boolean }
export interface LabelPattern { key: string; value?: string }
export interface CidrPattern { base: number; mask: number }
export interface PortRange { low: number; high: number }

type PeerClause =
  | { field: 'namespace'; values: string[] }
  | { field: 'pod'; values: PodPattern[] }
  | { field: 'identity'; values: number[] }
  | { field: 'label'; values: LabelPattern[] }
  | { field: 'ip'; values: CidrPattern[] }
  | { field: 'port'; values: PortRange[] }
  | { field: 'node'; values: string[] };
type FlowClause =
  | { field: 'verdict'; values: FlowVerdict[] }
  | { field: 'protocol'; values: FlowProtocol[] }
  | { field: 'drop-reason'; values: string[] }
  | { field: 'service'; values: PodPattern[] }
  | { field: 'reply'; values: boolean[] };

export type FilterClause = (PeerClause & { side: FilterSide; negate: boolean }) | (FlowClause & { negate: boolean });

export interface FlowFilter {
  clauses: FilterClause[];
  /** ISO times (canonical toISOString form), resolved against `now` at parse time. */
  since?: string;
  until?: string;
  /** The entries the filter was parsed from, to spell it again as a query string. */
  entries: [string, string][];
}

export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(readonly key: string, readonly value: string, detail: string) {
    super(`invalid flow filter "${key}${value === '' ? '' : `:${value}`}": ${detail}`);
  }
}

const peerFields = ['namespace', 'pod', 'identity', 'label', 'ip', 'port', 'node'] as const;
const flowFields = ['verdict', 'protocol', 'drop-reason', 'service', 'reply'] as const;
const timeFields = ['since', 'until'] as const;
const aliases: Record<string, string> = { ns: 'namespace', proto: 'protocol', reason: 'drop-reason', id: 'identity' };

/** Every key the language accepts (without "!" and the from-/to- variants of peer keys). */
export const filterKeys: readonly string[] = [...peerFields, ...flowFields, ...timeFields];

const dnsName = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
const verdicts: FlowVerdict[] = ['FORWARDED', 'DROPPED', 'AUDIT'];
const protocols: FlowProtocol[] = ['TCP', 'UDP', 'SCTP', 'ICMP'];

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

function parsePodPattern(key: string, v: string, what: string): PodPattern {
  const prefix = v.endsWith('*');
  const body = prefix ? v.slice(0, -1) : v;
  const slash = body.indexOf('/');
  const namespace = slash >= 0 ? body.slice(0, slash) : undefined;
  const name = slash >= 0 ? body.slice(slash + 1) : body;
  const nameOk = name === '' ? prefix : dnsName.test(name) || (prefix && /^[a-z0-9][-.a-z0-9]*$/.test(name));
  if ((namespace !== undefined && !dnsName.test(namespace)) || !nameOk) {
    throw new FilterError(key, v, `expected ${what} as <name>, <namespace>/<name>, or a prefix ending in *`);
  }
  return namespace === undefined ? { name, prefix } : { namespace, name, prefix };
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "1h30m" → ms; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * durationUnits[m[2]!]!;
  return ms;
}

function parseTime(key: string, v: string, now: number): string {
  const d = parseDuration(v);
  if (d !== undefined) return new Date(now - d).toISOString();
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  throw new FilterError(key, v, 'expected a duration before now (30s, 5m, 1h30m) or an ISO time (2025-01-31T12:00:00Z)');
}

function parseValue(field: string, key: string, v: string): unknown {
  switch (field) {
    case 'namespace':
      if (!dnsName.test(v)) throw new FilterError(key, v, 'expected a namespace name');
      return v;
    case 'node':
      if (!dnsName.test(v)) throw new FilterError(key, v, 'expected a node name');
      return v;
    case 'pod':
      return parsePodPattern(key, v, 'a pod');
    case 'service':
      return parsePodPattern(key, v, 'a service');
    case 'identity':
      if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new FilterError(key, v, 'expected a numeric identity');
      return Number(v);
    case 'label': {
      const eq = v.indexOf('=');
      const k = eq >= 0 ? v.slice(0, eq) : v;
      if (!/^[A-Za-z0-9]([-A-Za-z0-9_./:]*[A-Za-z0-9])?$/.test(k)) throw new FilterError(key, v, 'expected <label-key> or <label-key>=<value>');
      return eq >= 0 ? { key: k, value: v.slice(eq + 1) } : { key: k };
    }
    case 'ip': {
      const [addr, len, extra] = v.split('/');
      const base = parseIpv4(addr ?? '');
      const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
      if (base === undefined || extra !== undefined || !(bits >= 0 && bits <= 32)) throw new FilterError(key, v, 'expected an IPv4 address or CIDR (10.0.0.0/8)');
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return { base: (base & mask) >>> 0, mask };
    }
    case 'port': {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
      const low = m ? Number(m[1]) : NaN;
      const high = m?.[2] !== undefined ? Number(m[2]) : low;
      if (!m || low > 65535 || high > 65535 || high < low) throw new FilterError(key, v, 'expected a port 0-65535 or a range like 8000-8080');
      return { low, high };
    }
    case 'verdict': {
      const u = v.toUpperCase();
      if (!(verdicts as string[]).includes(u)) throw new FilterError(key, v, `expected one of ${verdicts.join(', ')}`);
      return u;
    }
    case 'protocol': {
      const u = v.toUpperCase();
      if (!(protocols as string[]).includes(u)) throw new FilterError(key, v, `expected one of ${protocols.join(', ')}`);
      return u;
    }
    case 'drop-reason':
      if (!/^[A-Za-z0-9][-A-Za-z0-9_ ]*$/.test(v)) throw new FilterError(key, v, 'expected a drop reason name');
      return v.toLowerCase();
    case 'reply':
      if (v !== 'true' && v !== 'false') throw new FilterError(key, v, 'expected true or false');
      return v === 'true';
  }
  throw new FilterError(key, v, 'unknown key');
}

function suggest(key: string): string {
  const all = [...filterKeys, ...peerFields.flatMap((f) => [`from-${f}`, `to-${f}`])];
  const near = all.find((k) => k.startsWith(key.slice(0, 3)) && Math.abs(k.length - key.length) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known keys: ${filterKeys.join(', ')}, with from-/to- variants of ${peerFields.join(', ')})`;
}

export interface ParseOptions {
  /** Time "since 5m" is counted back from (ms since epoch). Default Date.now(). */
  now?: number;
}

/** Builds a filter from key/value pairs (query string, CLI flags). Keys may carry "!" and from-/to-. */
export function flowFilterFromEntries(entries: Iterable<readonly [string, string]>, options: ParseOptions = {}): FlowFilter {
  const now = options.now ?? Date.now();
  const filter: FlowFilter = { clauses: [], entries: [] };
  const byKey = new Map<string, FilterClause>();
  for (const [rawKey, rawValue] of entries) {
    const value = rawValue.trim();
    filter.entries.push([rawKey, value]);
    const negate = rawKey.startsWith('!');
    let key = (negate ? rawKey.slice(1) : rawKey).trim().toLowerCase();
    let side: FilterSide = 'either';
    if (key.startsWith('from-') || key.startsWith('to-')) {
      side = key.startsWith('from-') ? 'from' : 'to';
      key = key.slice(side === 'from' ? 5 : 3);
    }
    const field = aliases[key] ?? key;
    const shown = rawKey;
    if ((timeFields as readonly string[]).includes(field)) {
      if (negate || side !== 'either') throw new FilterError(shown, value, `${field} takes no "!" or from-/to- prefix`);
      filter[field as 'since' | 'until'] = parseTime(shown, value, now);
      continue;
    }
    const isPeer = (peerFields as readonly string[]).includes(field);
    if (!isPeer && !(flowFields as readonly string[]).includes(field)) throw new FilterError(shown, value, `unknown key${suggest(key)}`);
    if (!isPeer && side !== 'either') throw new FilterError(shown, value, `${field} describes the whole flow and takes no from-/to- prefix`);
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new FilterError(shown, value, 'empty value');
    const parsed = parts.map((p) => parseValue(field, shown, p));
    const id = `${negate ? '!' : ''}${side}:${field}`;
    const existing = byKey.get(id);
    if (existing) {
      (existing.values as unknown[]).push(...parsed);
      continue;
    }
    const clause = (isPeer ? { field, side, negate, values: parsed } : { field, negate, values: parsed }) as FilterClause;
    byKey.set(id, clause);
    filter.clauses.push(clause);
  }
  if (filter.since && filter.until && filter.until < filter.since) {
    throw new FilterError('until', filter.until, `is before since (${filter.since})`);
  }
  return filter;
}

/** Splits on whitespace outside double quotes; quotes are removed (`drop-reason:"policy denied"`). */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let quoted = false;
  let inToken = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      inToken = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (quoted) throw new FilterError(cur, '', 'unterminated double quote');
  if (inToken) tokens.push(cur);
  return tokens;
}

/** Parses the text form: whitespace-separated `key:value` or `key=value` tokens (values may be comma lists or "quoted"). */
export function parseFlowFilter(text: string, options: ParseOptions = {}): FlowFilter {
  const entries: [string, string][] = [];
  for (const token of tokenize(text)) {
    const sep = token.search(/[:=]/);
    if (sep <= 0) throw new FilterError(token, '', 'expected key:value (e.g. namespace:default, verdict:DROPPED, to-port:80)');
    entries.push([token.slice(0, sep), token.slice(sep + 1)]);
  }
  return flowFilterFromEntries(entries, options);
}

/** Query-string form; `reserved` keys (follow, limit, ...) are left to the caller. */
export function flowFilterFromQuery(query: URLSearchParams, options: ParseOptions & { reserved?: readonly string[] } = {}): FlowFilter {
  const reserved = new Set(options.reserved ?? ['follow', 'limit']);
  return flowFilterFromEntries([...query.entries()].filter(([k]) => !reserved.has(k)), options);
}

export function flowFilterToQuery(filter: FlowFilter): URLSearchParams {
  return new URLSearchParams(filter.entries);
}

export function flowFilterToText(filter: FlowFilter): string {
  return filter.entries.map(([k, v]) => `${k}:${/\s/.test(v) ? `"${v}"` : v}`).join(' ');
}

// ---- matching ----

function matchPod(p: PodPattern, namespace: string | undefined, name: string | undefined): boolean {
  if (name === undefined) return false;
  if (p.namespace !== undefined && p.namespace !== namespace) return false;
  return p.prefix ? name.startsWith(p.name) : name === p.name;
}

function peerMatches(c: PeerClause, peer: FlowPeer): boolean {
  switch (c.field) {
    case 'namespace': return peer.namespace !== undefined && c.values.includes(peer.namespace);
    case 'pod': return c.values.some((p) => matchPod(p, peer.namespace, peer.pod));
    case 'identity': return c.values.includes(peer.identity);
    case 'node': return peer.node !== undefined && c.values.includes(peer.node);
    case 'port': return c.values.some((r) => peer.port >= r.low && peer.port <= r.high);
    case 'label': return c.values.some((l) => l.key in peer.labels && (l.value === undefined || peer.labels[l.key] === l.value));
    case 'ip': {
      const ip = parseIpv4(peer.ip);
      return ip !== undefined && c.values.some((r) => ((ip & r.mask) >>> 0) === r.base);
    }
  }
}

function clauseMatches(c: FilterClause, f: Flow): boolean {
  if ('side' in c) {
    if (c.side === 'from') return peerMatches(c, f.source);
    if (c.side === 'to') return peerMatches(c, f.destination);
    return peerMatches(c, f.source) || peerMatches(c, f.destination);
  }
  switch (c.field) {
    case 'verdict': return c.values.includes(f.verdict);
    case 'protocol': return c.values.includes(f.protocol);
    case 'drop-reason': return f.dropReason !== undefined && c.values.includes(f.dropReason.toLowerCase());
    case 'reply': return c.values.includes(f.isReply);
    case 'service': return !!f.service?.name && c.values.some((p) => matchPod(p, f.service!.name!.namespace, f.service!.name!.name));
  }
}

export function matchFlow(filter: FlowFilter, flow: Flow): boolean {
  if (filter.since !== undefined && flow.time < filter.since) return false;
  if (filter.until !== undefined && flow.time > filter.until) return false;
  for (const c of filter.clauses) if (clauseMatches(c, flow) === c.negate) return false;
  return true;
}

/** True when the filter keeps everything (no clause, no time bound). */
export function isEmptyFilter(filter: FlowFilter): boolean {
  return filter.clauses.length === 0 && filter.since === undefined && filter.until === undefined;
}
