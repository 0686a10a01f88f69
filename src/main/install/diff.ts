// Objects as reviewable YAML (server-managed fields stripped, Secret values redacted) and unified line diffs between two versions.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { DiffLine } from '../../shared/contract/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
/** Annotations the server or kubectl write that say nothing about the install. */
const NOISE_ANNOTATIONS = ['deprecated.daemonset.template.generation', 'kubectl.kubernetes.io/last-applied-configuration'];

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Secret values never reach the renderer (and so never a screenshot or a saved file): a
 * new value shows as its length, an existing one as a short hash so a diff still tells a
 * changed value from an unchanged one.
 */
export function redactSecret(object: Record<string, Json>, mode: 'length' | 'hash'): Record<string, Json> {
  if (object.kind !== 'Secret') return object;
  const out = clone(object);
  for (const field of ['data', 'stringData'] as const) {
    const data = out[field];
    if (!data || typeof data !== 'object' || Array.isArray(data)) continue;
    for (const [k, v] of Object.entries(data)) {
      const raw = typeof v === 'string' ? (field === 'data' ? Buffer.from(v, 'base64') : Buffer.from(v)) : Buffer.alloc(0);
      data[k] = mode === 'hash' ? `<redacted: sha256 ${createHash('sha256').update(raw).digest('hex').slice(0, 12)}>` : `<redacted: ${raw.length} bytes>`;
    }
  }
  return out;
}

/** The object as the cluster holds it, without what the server manages (for diffs). */
export function comparable(object: unknown): Record<string, Json> {
  const out = clone(object) as Record<string, Json>;
  delete out.status;
  const meta = out.metadata as Record<string, Json> | undefined;
  if (meta) {
    for (const k of SERVER_METADATA) delete meta[k];
    const ann = meta.annotations as Record<string, Json> | undefined;
    if (ann) {
      for (const k of NOISE_ANNOTATIONS) delete ann[k];
      if (Object.keys(ann).length === 0) delete meta.annotations;
    }
  }
  return redactSecret(out, 'hash');
}

/** Sorted keys at every level: two versions of one object then print in the same order. */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]!);
    return out;
  }
  return value;
}

/** Keeps only the fields of `live` that `shape` has (a local stand-in for a dry-run apply). */
export function pruneTo(live: Json, shape: Json): Json {
  if (Array.isArray(shape) && Array.isArray(live)) return live.map((v, i) => (i < shape.length ? pruneTo(v, shape[i]!) : v));
  if (shape && typeof shape === 'object' && !Array.isArray(shape) && live && typeof live === 'object' && !Array.isArray(live)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(shape)) if (k in live) out[k] = pruneTo(live[k]!, shape[k]!);
    return out;
  }
  return live;
}

export function toYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0 });
}

/**
 * Line diff by longest common subsequence (objects are a few hundred lines at most), as
 * unified hunks with `context` lines around each change and "@@ -a,n +b,m @@" headers.
 */
export function unifiedDiff(before: string, after: string, context = 3): DiffLine[] {
  const a = before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  type Op = { op: ' ' | '+' | '-'; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    // Removals before additions within a change, as diff(1) prints them.
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', text: a[i]!, ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', text: a[i]!, ai: i++, bi: j });
    else ops.push({ op: '+', text: b[j]!, ai: i, bi: j++ });
  }
  const changed = ops.map((o, k) => (o.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context windows touch into one hunk.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const start = Math.max(0, k - context);
    const end = Math.min(ops.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  const out: DiffLine[] = [];
  for (const [start, end] of hunks) {
    const slice = ops.slice(start, end + 1);
    const aLines = slice.filter((o) => o.op !== '+').length;
    const bLines = slice.filter((o) => o.op !== '-').length;
    const aStart = (slice.find((o) => o.op !== '+')?.ai ?? slice[0]!.ai) + (aLines ? 1 : 0);
    const bStart = (slice.find((o) => o.op !== '-')?.bi ?? slice[0]!.bi) + (bLines ? 1 : 0);
    out.push({ op: '@', text: `@@ -${aStart},${aLines} +${bStart},${bLines} @@` });
    for (const o of slice) out.push({ op: o.op, text: o.text });
  }
  return out;
}

/** Plain-text rendering of a diff (the CLI prints it; tests read it). */
export function diffText(lines: readonly DiffLine[]): string {
  return lines.map((l) => (l.op === '@' ? l.text : `${l.op}${l.text}`)).join('\n');
}
