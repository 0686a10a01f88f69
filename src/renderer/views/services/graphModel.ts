// One service as graph elements — frontends → backend pods → nodes, coloured by backend state and per-node drift — plus the same facts as rows for the text view.
import type { Labels } from '../../../shared/k8s/index.js';
import type { Backend, DesiredService } from '../../../shared/services/index.js';
import type { GraphElement, GraphNode } from '../../graph/elements.js';
import type { NodeRealized } from '../../store/agents/drift.js';

/** ready; serving but not ready; not ready (starting, or failing its probe); terminating (draining, fading out). */
export type BackendLook = 'ready' | 'serving' | 'not-ready' | 'terminating';

export interface BackendView {
  ip: string;
  /** `namespace/name` of the pod, when the EndpointSlice names it. */
  pod: string | null;
  node: string | null;
  look: BackendLook;
  ports: number[];
  identity: { id: number; labels: Labels } | null;
}

export interface NodeView {
  node: string;
  state: NodeRealized['state'] | 'pending';
  driftCount: number;
  backends: number;
  /** One line: "in sync", "2 drift items", "agent not running: ...". */
  summary: string;
}

export interface ServiceGraphModel {
  elements: GraphElement[];
  backends: BackendView[];
  nodes: NodeView[];
  /** In-sync nodes without backends, drawn as one group element. */
  quietNodes: string[];
}

export type IdentityLookup = (pod: { namespace: string; name: string }) => { id: number; labels: Labels } | null;

const COL = { frontend: 0, backend: 230, node: 440 };
const ROW = 56;

function look(b: Backend): BackendLook {
  if (b.ready) return 'ready';
  if (b.terminating) return 'terminating';
  return b.serving ? 'serving' : 'not-ready';
}

const lookRank: Record<BackendLook, number> = { ready: 3, serving: 2, 'not-ready': 1, terminating: 0 };
const lookText: Record<BackendLook, string> = { ready: 'ready', serving: 'serving, not ready', 'not-ready': 'not ready', terminating: 'terminating' };

export function describeLook(l: BackendLook): string {
  return lookText[l];
}

/** Box size from the label: the graph uses a preset layout, so sizes are data. */
function size(label: string): { w: number; h: number } {
  const lines = label.split('\n');
  return { w: Math.max(70, Math.round(Math.max(...lines.map((l) => l.length)) * 6.4 + 26)), h: lines.length * 15 + 16 };
}

function node(id: string, classes: string[], label: string, x: number, y: number, data: GraphNode['data'] = {}, fadeOut = false): GraphNode {
  return { group: 'nodes', id, classes, data: { label, ...size(label), ...data }, position: { x, y }, ...(fadeOut ? { fadeOut } : {}) };
}

export function backendViews(desired: DesiredService, identityOf: IdentityLookup): BackendView[] {
  const byIp = new Map<string, BackendView>();
  for (const port of desired.ports) {
    for (const b of port.backends) {
      const existing = byIp.get(b.ip);
      const l = look(b);
      if (existing) {
        if (!existing.ports.includes(b.port)) existing.ports.push(b.port);
        if (lookRank[l] > lookRank[existing.look]) existing.look = l;
        continue;
      }
      const pod = b.podRef ? `${b.podRef.namespace}/${b.podRef.name}` : null;
      byIp.set(b.ip, { ip: b.ip, pod, node: b.nodeName ?? null, look: l, ports: [b.port], identity: b.podRef ? identityOf(b.podRef) : null });
    }
  }
  return [...byIp.values()].sort((a, b) => (a.node ?? '~').localeCompare(b.node ?? '~') || (a.pod ?? a.ip).localeCompare(b.pod ?? b.ip));
}

function nodeSummary(r: NodeRealized | undefined): string {
  if (!r) return 'waiting for its agent';
  if (r.state === 'in-sync') return 'in sync';
  if (r.state === 'drift') return `${r.items.length} drift ${r.items.length === 1 ? 'item' : 'items'}`;
  return `agent ${r.failure ?? 'unknown'}: ${r.error?.message ?? ''}`.trim();
}

export function serviceGraphModel(desired: DesiredService, identityOf: IdentityLookup, realized: readonly NodeRealized[]): ServiceGraphModel {
  const elements: GraphElement[] = [];
  const backends = backendViews(desired, identityOf);
  const realizedBy = new Map(realized.map((r) => [r.node, r]));

  backends.forEach((b, i) => {
    const name = b.pod ? b.pod.split('/')[1]! : b.ip;
    const label = `${name}\n${b.ip}`;
    const tooltip = b.identity
      ? `identity ${b.identity.id}: ${Object.entries(b.identity.labels).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')}`
      : 'identity not known (no LumenEndpoint for this pod)';
    elements.push(node(`be:${b.ip}`, ['backend', b.look], label, COL.backend, i * ROW, {
      kind: 'backend', ip: b.ip, pod: b.pod, node: b.node, state: b.look, identity: b.identity?.id ?? null, tooltip,
    }, true));
  });

  // Nodes: those hosting backends, those whose agent shows drift or did not answer; quiet ones grouped.
  const hosting = new Map<string, number[]>();
  backends.forEach((b, i) => {
    if (!b.node) return;
    const ys = hosting.get(b.node) ?? [];
    ys.push(i * ROW);
    hosting.set(b.node, ys);
  });
  const shown = new Set<string>(hosting.keys());
  for (const r of realized) if (r.state !== 'in-sync') shown.add(r.node);
  const quietNodes = realized.filter((r) => r.state === 'in-sync' && !shown.has(r.node)).map((r) => r.node);
  const nodes: NodeView[] = [];
  let extraY = backends.length * ROW;
  for (const name of [...shown].sort()) {
    const r = realizedBy.get(name);
    const state: NodeView['state'] = r ? r.state : 'pending';
    const driftCount = r?.state === 'drift' ? r.items.length : 0;
    const ys = hosting.get(name);
    const y = ys ? ys.reduce((a, b) => a + b, 0) / ys.length : (extraY += ROW) - ROW;
    const badge = state === 'drift' ? `⚠ drift: ${driftCount}` : state === 'in-sync' ? '✓ in sync' : state === 'unknown' ? `? agent ${r?.failure ?? ''}` : '… checking';
    elements.push(node(`node:${name}`, ['node', state], `${name}\n${badge}`, COL.node, y, {
      kind: 'node', node: name, state, drift: driftCount,
      tooltip: r?.state === 'drift' ? r.items.map((d) => d.text).join('\n') : nodeSummary(r),
    }));
    nodes.push({ node: name, state, driftCount, backends: ys?.length ?? 0, summary: nodeSummary(r) });
  }
  if (quietNodes.length > 0) {
    const label = `${quietNodes.length} other ${quietNodes.length === 1 ? 'node' : 'nodes'}\n✓ in sync`;
    elements.push(node('node:*quiet', ['node', 'group', 'in-sync'], label, COL.node, extraY, { kind: 'group', tooltip: quietNodes.join(', ') }));
  }
  for (const b of backends) {
    if (b.node) elements.push({ group: 'edges', id: `n:${b.ip}`, source: `be:${b.ip}`, target: `node:${b.node}`, classes: ['to-node'], data: { label: '' } });
  }
  // Drift drawn where it is: a node's maps missing a backend (red dashed edge), or still holding one the API dropped (ghost).
  const backendIps = new Set(backends.map((b) => b.ip));
  const stale = new Map<string, string[]>();
  for (const r of realized) {
    if (!shown.has(r.node)) continue;
    for (const d of r.items) {
      if (d.drift.kind === 'missing-backend' && backendIps.has(d.drift.backend.ip)) {
        const id = `miss:${r.node}:${d.drift.backend.ip}`;
        if (!elements.some((e) => e.id === id)) elements.push({ group: 'edges', id, source: `node:${r.node}`, target: `be:${d.drift.backend.ip}`, classes: ['missing'], data: { label: 'missing' } });
      } else if (d.drift.kind === 'stale-backend' && !backendIps.has(d.drift.backend.ip)) {
        stale.set(d.drift.backend.ip, [...(stale.get(d.drift.backend.ip) ?? []), r.node]);
      }
    }
  }
  [...stale.keys()].sort().forEach((ip, i) => {
    const onNodes = [...new Set(stale.get(ip))];
    elements.push(node(`stale:${ip}`, ['backend', 'stale'], `stale ${ip}\n(in ${onNodes.join(', ')} maps)`, COL.backend, (backends.length + i) * ROW, {
      kind: 'stale', ip, tooltip: `${ip} is no longer a backend in the API but still in the maps of ${onNodes.join(', ')}`,
    }));
    for (const n of onNodes) elements.push({ group: 'edges', id: `stale:${n}:${ip}`, source: `node:${n}`, target: `stale:${ip}`, classes: ['missing'], data: { label: 'stale' } });
  });

  // Frontends, spread around the middle of the backend column.
  const frontends: { id: string; label: string; ports: { port: number; targetPort: string; ips: string[] }[] }[] = [];
  const seen = new Set<string>();
  for (const f of desired.frontends) {
    if (f.kind === 'NodePort' || seen.has(f.key)) continue;
    seen.add(f.key);
    const port = desired.ports.find((p) => p.name === f.portName && p.protocol === f.protocol);
    frontends.push({ id: `fe:${f.key}`, label: `${f.kind}\n${f.key}`, ports: port ? [{ port: f.port, targetPort: String(port.targetPort), ips: f.backends.map((b) => `${b.ip}:${b.port}`) }] : [] });
  }
  for (const p of desired.ports) {
    if (p.nodePort === undefined) continue;
    frontends.push({ id: `fe:np:${p.nodePort}/${p.protocol}`, label: `NodePort\n:${p.nodePort}/${p.protocol} (every node)`, ports: [{ port: p.nodePort, targetPort: String(p.targetPort), ips: p.backends.map((b) => `${b.ip}:${b.port}`) }] });
  }
  if (frontends.length === 0) {
    const label = desired.type === 'ExternalName' ? `ExternalName\n${desired.externalName ?? ''}` : desired.headless ? 'headless\n(DNS only, no frontend)' : 'no frontend';
    frontends.push({ id: 'fe:none', label, ports: [] });
  }
  const mid = backends.length > 0 ? ((backends.length - 1) * ROW) / 2 : 0;
  frontends.forEach((f, j) => {
    elements.push(node(f.id, ['frontend'], f.label, COL.frontend, mid + (j - (frontends.length - 1) / 2) * ROW, { kind: 'frontend', tooltip: f.label.replace('\n', ' ') }));
    for (const p of f.ports) {
      for (const target of p.ips) {
        const [ip, port] = target.split(':');
        const b = backends.find((x) => x.ip === ip);
        if (!b) continue;
        elements.push({
          group: 'edges', id: `e:${f.id}->${target}`, source: f.id, target: `be:${ip}`,
          classes: b.look === 'terminating' ? ['terminating'] : [], data: { label: `:${port}` },
        });
      }
    }
  });
  return { elements, backends, nodes, quietNodes };
}
