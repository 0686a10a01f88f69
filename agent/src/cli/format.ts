// Human output of `lumen`: aligned tables with multi-line cells, and the text views of status, services, lb maps, endpoints, identities, policy and flows.
import {
  formatL4Addr, formatLabels, serviceDrift, type AgentStatus, type Drift, type EndpointInfo, type EndpointPolicy, type IdentityInfo,
  type ServiceEntry, type DirectionPolicy, type Enforcement,
} from '../../../src/shared/agent-api/index.js';
import { describeFlow, type Flow } from '../../../src/shared/flow/index.js';

/** A table whose cells may hold several lines (one row per backend, label...). */
export function table(header: string[], rows: (string | string[])[][]): string {
  const cells = rows.map((r) => r.map((c) => (Array.isArray(c) ? (c.length ? c : ['']) : [c])));
  const headerLines = header.map((h) => h.split('\n'));
  const widths = header.map((_, i) => Math.max(...headerLines[i]!.map((l) => l.length), ...cells.map((r) => Math.max(...(r[i] ?? ['']).map((l) => l.length)))));
  const out: string[] = [];
  const emit = (row: string[][]): void => {
    const height = Math.max(...row.map((c) => c.length));
    for (let l = 0; l < height; l++) out.push(row.map((c, i) => (c[l] ?? '').padEnd(i === row.length - 1 ? 0 : widths[i]! + 3)).join('').trimEnd());
  };
  emit(headerLines);
  for (const r of cells) emit(r);
  return out.join('\n') + '\n';
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const pct = (p: number | null): string => (p === null ? '-' : `${(p * 100).toFixed(1)}%`);

export function formatStatus(s: AgentStatus): string {
  const d = s.datapath;
  const rows: [string, string][] = [
    ['Node', s.node],
    ['Health', s.health + (s.problems.length ? `: ${s.problems.join('; ')}` : '')],
    ['Ready', s.ready ? 'yes' : 'no'],
    ['Versions', `agent ${s.versions.agent}, kernel ${s.versions.kernel}, node ${s.versions.node}${s.versions.libbpf ? `, libbpf ${s.versions.libbpf}` : ''}`],
    ['KubeProxyReplacement', `${d.kubeProxyReplacement ? 'True' : 'False'} [socket LB: ${d.socketLB ? 'on' : 'off'}, NodePort: ${d.nodePort ? 'on' : 'off'}, uplinks: ${d.uplinks.join(', ') || 'none'}]`],
    ['Policy enforcement', `${d.policyEnforcement} (audit namespaces: ${d.auditNamespaces.join(', ') || 'none'})`],
    ['Endpoints', `${s.counts.endpoints} (${d.attachedEndpoints} attached)`],
    ['Identities', String(s.counts.identities)],
    ['Services', String(s.counts.services)],
    ['Policies', String(s.counts.policies)],
    ['Initial sync', s.sync.initialSyncAt ? `${s.sync.initialSyncAt}${s.sync.initialSyncMs !== null ? ` (${s.sync.initialSyncMs} ms after start)` : ''}` : 'not yet'],
    ['Last sync', s.sync.lastSyncAt ?? 'never'],
    ['Flows', `${s.flows.ratePerSecond}/s, ${s.flows.total} seen, ${s.flows.lost} lost, ${s.flows.decodeErrors} undecodable, ${s.flows.skipped} skipped (overload), buffer ${s.flows.buffered}/${s.flows.bufferSize}`],
    ['Uptime', `${s.uptimeSeconds} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  const head = rows.map(([k, v]) => `${(k + ':').padEnd(w)}${v}`).join('\n');
  const maps = table(['MAP', 'ENTRIES', 'MAX', 'PRESSURE'], s.maps.map((m) => [m.name, m.entries === null ? '-' : String(m.entries), String(m.maxEntries), pct(m.pressure)]));
  return `${head}\nMaps:\n${maps.replace(/^/gm, '  ').trimEnd()}\n`;
}

function driftText(d: Drift): string {
  switch (d.kind) {
    case 'not-programmed': return 'not programmed in the maps';
    case 'stale-frontend': return 'in the maps but not in the API (stale)';
    case 'missing-backend': return `backend ${d.backend.ip}:${d.backend.port} missing from the maps`;
    case 'stale-backend': return `backend ${d.backend.ip}:${d.backend.port} in the maps but not in the API`;
    case 'backend-state': return `backend ${d.backend.ip}:${d.backend.port} is ${d.realized} in the maps, ${d.desired} in the API`;
    case 'flags': return `${d.field} differs`;
  }
}

/** `lumen service list`: what this node's datapath holds per frontend (numbered backends), drift flagged. */
export function formatServiceList(items: ServiceEntry[]): string {
  return table(['ID', 'Frontend', 'Service Type', 'Service', 'Backend'], items.map((s) => {
    const name = s.desired ? `${s.desired.service.namespace}/${s.desired.service.name}${s.desired.portName ? `:${s.desired.portName}` : ''}` : '-';
    const backends = s.realized
      ? s.realized.backends.map((b, i) => `${i + 1} => ${b.ip}:${b.port}/${s.frontend.protocol} (${b.state})`)
      : (s.desired?.backends ?? []).map((b, i) => `${i + 1} => ${b.ip}:${b.port}/${s.frontend.protocol} (${b.state}, desired)`);
    const drift = serviceDrift(s).map((d) => `! ${driftText(d)}`);
    return [String(s.id), formatL4Addr(s.frontend), s.type, name, [...backends, ...drift]];
  }));
}

/** `lumen service get <id>` without -o: spec and realized side by side. */
export function formatServiceDetail(s: ServiceEntry): string {
  const lines = [`ID:        ${s.id}`, `Frontend:  ${formatL4Addr(s.frontend)} (${s.type})`];
  if (s.desired) {
    const f = s.desired.flags;
    lines.push(`Service:   ${s.desired.service.namespace}/${s.desired.service.name} port ${s.desired.portName || '(unnamed)'}`);
    lines.push(`Affinity:  ${f.sessionAffinityTimeoutSeconds ? `ClientIP, ${f.sessionAffinityTimeoutSeconds} s` : 'None'}; externalTrafficPolicy ${f.externalTrafficLocal ? 'Local' : 'Cluster'}; internalTrafficPolicy ${f.internalTrafficLocal ? 'Local' : 'Cluster'}`);
  }
  lines.push('Desired (API):');
  lines.push(...(s.desired ? s.desired.backends.map((b) => `  ${b.ip}:${b.port}  ${b.state}${b.pod ? `  ${b.pod.namespace}/${b.pod.name}` : ''}${b.nodeName ? `  on ${b.nodeName}` : ''}`) : ['  (not in the API)']));
  lines.push(`Realized (maps)${s.realized ? `, rev-NAT ${s.realized.revNatId}` : ''}:`);
  lines.push(...(s.realized ? s.realized.backends.map((b) => `  slot ${b.slot}: backend ${b.id} ${b.ip}:${b.port}  ${b.state}`) : ['  (not programmed)']));
  const drift = serviceDrift(s);
  lines.push(`Drift:     ${drift.length ? drift.map(driftText).join('; ') : 'none'}`);
  return lines.join('\n') + '\n';
}

/** `lumen bpf lb list`: the services map as written, slot 0 (frontend) then backend slots. */
export function formatLbList(items: ServiceEntry[]): string {
  const rows: string[][] = [];
  for (const s of items) {
    if (!s.realized) continue;
    const r = s.realized;
    rows.push([formatL4Addr(s.frontend), '0', `(frontend: ${r.backends.length} backend${r.backends.length === 1 ? '' : 's'}, ${s.type})`, '-', r.revNatId ? String(r.revNatId) : '-']);
    for (const b of r.backends) rows.push(['', String(b.slot), `${b.ip}:${b.port}`, `${b.id} ${b.state}`, String(r.revNatId)]);
  }
  return table(['SERVICE ADDRESS', 'SLOT', 'BACKEND ADDRESS', 'BACKEND ID', 'REVNAT ID'], rows);
}

const enf = (e: Enforcement): string => cap(e);

export function formatEndpointList(items: EndpointInfo[]): string {
  return table(
    ['ENDPOINT', 'POLICY (ingress)\nENFORCEMENT', 'POLICY (egress)\nENFORCEMENT', 'IDENTITY', 'LABELS (key=value)', 'POD', 'IPv4', 'STATUS'],
    items.map((e) => [String(e.id), enf(e.enforcement.ingress), enf(e.enforcement.egress), String(e.identity), formatLabels(e.labels), `${e.pod.namespace}/${e.pod.name}`, e.ipv4, e.message ? `${e.health}: ${e.message}` : e.health]),
  );
}

export function formatIdentityList(items: IdentityInfo[]): string {
  return table(['ID', 'SOURCE', 'LOCAL ENDPOINTS', 'LABELS'], items.map((i) => [String(i.id), i.source, String(i.localEndpoints), [...formatLabels(i.labels), ...(i.description ? [`(${i.description})`] : [])]]));
}

function directionText(name: string, d: DirectionPolicy): string {
  const head = `${name}: enforcement ${d.enforcement}; ${d.selectedBy.length ? `selected by ${d.selectedBy.map((r) => `${r.namespace}/${r.name}`).join(', ')}` : 'not selected by any policy'}`;
  if (d.entries.length === 0) return `${head}\n  (no entries${d.enforcement === 'enabled' ? ': everything is denied' : ''})\n`;
  const rows = d.entries.map((e) => [
    e.verdict,
    e.remoteIdentity === 0 ? 'any' : `${e.remoteIdentity}${e.remoteLabels ? ` (${formatLabels(e.remoteLabels).join(', ')})` : ''}`,
    e.protocol,
    e.portLow === 0 && e.portHigh === 65535 ? 'any' : e.portLow === e.portHigh ? String(e.portLow) : `${e.portLow}-${e.portHigh}`,
    e.rule ? `${e.rule.policy.namespace}/${e.rule.policy.name} ${e.rule.direction} rule ${e.rule.ruleIndex} (id ${e.ruleId})` : `id ${e.ruleId}`,
  ]);
  return `${head}\n${table(['VERDICT', 'REMOTE IDENTITY', 'PROTOCOL', 'PORTS', 'RULE'], rows).replace(/^/gm, '  ').trimEnd()}\n`;
}

export function formatPolicy(p: EndpointPolicy): string {
  return `Endpoint ${p.endpoint.id} (${p.endpoint.pod.namespace}/${p.endpoint.pod.name}), identity ${p.endpoint.identity}, policy revision ${p.revision}\n` +
    directionText('Ingress', p.ingress) + directionText('Egress', p.egress);
}

/** One `lumen observe` line: time, node, the flow and why. */
export function formatFlowLine(f: Flow): string {
  const t = f.time.replace('T', ' ').replace('Z', '');
  const ids = `[ID ${f.source.identity} -> ${f.destination.identity}]`;
  return `${t}  ${f.node}  ${f.observationPoint}  ${describeFlow(f)}  ${ids}`;
}
