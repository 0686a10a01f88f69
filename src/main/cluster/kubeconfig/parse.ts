// Parses one kubeconfig file into named entries with their positions; errors name file and line.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { KubeconfigFileError } from '../../../shared/contract/index.js';
import { sections, type ClusterEntry, type ContextEntry, type SectionName, type UserEntry } from './schema.js';

/** A named entry of one file, with where it was written. */
export interface Located<T> {
  name: string;
  value: T;
  file: string;
  line: number | null;
}

export interface ParsedKubeconfig {
  path: string;
  currentContext: string | null;
  clusters: Located<ClusterEntry>[];
  users: Located<UserEntry>[];
  contexts: Located<ContextEntry>[];
}

export interface ParseResult {
  /** null when the file as a whole is unusable (not YAML, not a mapping). */
  config: ParsedKubeconfig | null;
  errors: KubeconfigFileError[];
}

function position(lines: LineCounter, node: YamlNode | null | undefined): { line: number | null; column: number | null } {
  if (!node?.range) return { line: null, column: null };
  const pos = lines.linePos(node.range[0]);
  return { line: pos.line, column: pos.col };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a plain string' : `a ${typeof value}`;
}

export function parseKubeconfigText(path: string, text: string): ParseResult {
  const errors: KubeconfigFileError[] = [];
  const fail = (message: string, where: { line: number | null; column: number | null } = { line: null, column: null }) =>
    errors.push({ file: path, message, line: where.line, column: where.column });

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One parse mistake often yields several errors at the same spot: report each spot once.
    const seen = new Set<string>();
    for (const e of doc.errors) {
      const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const line = e.linePos?.[0].line ?? null;
      const column = e.linePos?.[0].col ?? null;
      const key = String(line);
      if (seen.has(key)) continue;
      seen.add(key);
      fail(`not valid YAML: ${first}`, { line, column });
      if (seen.size === 3) break;
    }
    return { config: null, errors };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    // An empty file is a valid, empty kubeconfig (kubectl treats it the same way).
    return { config: { path, currentContext: null, clusters: [], users: [], contexts: [] }, errors };
  }
  if (!isMap(root)) {
    fail(`not a kubeconfig: the top level is ${describe(doc.toJS())}, expected a mapping with clusters, users and contexts`, position(lines, root));
    return { config: null, errors };
  }

  const current = root.get('current-context');
  const config: ParsedKubeconfig = {
    path,
    currentContext: typeof current === 'string' && current !== '' ? current : null,
    clusters: [],
    users: [],
    contexts: [],
  };

  for (const section of Object.keys(sections) as SectionName[]) {
    const node = root.get(section, true);
    if (node === undefined || (isScalar(node) && node.value === null)) continue;
    if (!isSeq(node)) {
      fail(`"${section}" must be a list`, position(lines, node as YamlNode));
      continue;
    }
    const { field, schema } = sections[section];
    const seen = new Map<string, number | null>();
    for (const item of node.items) {
      const where = position(lines, item as YamlNode);
      const raw = (item as YamlNode).toJSON?.() as unknown;
      if (!isMap(item) || typeof raw !== 'object' || raw === null) {
        fail(`${section} entry is ${describe(raw)}, expected a mapping with "name" and "${field}"`, where);
        continue;
      }
      const entry = raw as Record<string, unknown>;
      const name = entry.name;
      if (typeof name !== 'string' || name === '') {
        fail(`${section} entry has no "name"`, where);
        continue;
      }
      if (seen.has(name)) {
        fail(`${section.slice(0, -1)} "${name}" is defined twice in this file (first at line ${seen.get(name) ?? '?'}); the first is used`, where);
        continue;
      }
      seen.set(name, where.line);
      const body = entry[field] ?? {};
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const at = [field, ...issue.path.map(String)].join('.');
        const fieldNode = (item.getIn([field, ...issue.path], true) as YamlNode | undefined)
          ?? (item.get(field, true) as YamlNode | undefined)
          ?? (item as YamlNode);
        fail(`${section.slice(0, -1)} "${name}": ${at} ${issue.message.replace(/^Invalid input: /, '')}`, position(lines, fieldNode));
        continue;
      }
      (config[section] as Located<unknown>[]).push({ name, value: parsed.data, file: path, line: where.line });
    }
  }
  return { config, errors };
}
