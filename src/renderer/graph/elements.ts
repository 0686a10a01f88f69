// Graph elements as plain data, and the diff between two element lists that lets the cytoscape wrapper update in place instead of rebuilding.

export interface GraphNode {
  group: 'nodes';
  id: string;
  classes: string[];
  data: Record<string, string | number | boolean | null>;
  position: { x: number; y: number };
  /** Removed with a fade-out (backends going away) instead of at once. */
  fadeOut?: boolean;
}

export interface GraphEdge {
  group: 'edges';
  id: string;
  source: string;
  target: string;
  classes: string[];
  data: Record<string, string | number | boolean | null>;
}

export type GraphElement = GraphNode | GraphEdge;

export interface ElementDiff {
  add: GraphElement[];
  remove: GraphElement[];
  /** Present in both with different data, classes or position. */
  update: { before: GraphElement; after: GraphElement }[];
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

export function sameElement(a: GraphElement, b: GraphElement): boolean {
  if (a.group !== b.group || a.classes.join(' ') !== b.classes.join(' ') || !sameRecord(a.data, b.data)) return false;
  if (a.group === 'nodes' && b.group === 'nodes') return a.position.x === b.position.x && a.position.y === b.position.y;
  if (a.group === 'edges' && b.group === 'edges') return a.source === b.source && a.target === b.target;
  return true;
}

export function diffElements(before: ReadonlyMap<string, GraphElement>, after: readonly GraphElement[]): ElementDiff {
  const out: ElementDiff = { add: [], remove: [], update: [] };
  const seen = new Set<string>();
  for (const el of after) {
    seen.add(el.id);
    const prev = before.get(el.id);
    if (!prev) out.add.push(el);
    else if (!sameElement(prev, el)) out.update.push({ before: prev, after: el });
  }
  for (const [id, el] of before) if (!seen.has(id)) out.remove.push(el);
  return out;
}
