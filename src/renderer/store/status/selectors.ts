// Selectors and shapes for the Status view: bar tones, sparkline points, the summary line (pure).
import type { ClusterStatus, NodeStatus } from '../../../shared/contract/index.js';

export type Tone = 'ok' | 'warn' | 'error' | 'idle';

export function pressureTone(pressure: number | null): Tone {
  if (pressure === null) return 'idle';
  return pressure >= 0.9 ? 'error' : pressure >= 0.75 ? 'warn' : 'ok';
}

export function nodeTone(n: NodeStatus): Tone {
  if (n.problems.some((p) => p.severity === 'error')) return 'error';
  if (n.problems.length > 0) return 'warn';
  return n.agent?.ready ? 'ok' : 'idle';
}

/** SVG polyline points for a sparkline of `values` in a width×height box (flat line for no data). */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`).join(' ');
}

export function uptime(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 60 ? `${Math.round(s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function summaryLine(s: ClusterStatus): string {
  if (!s.installed) return 'Lumen is not installed';
  return `${s.summary.agentsReady}/${s.summary.nodes} agents ready · ${s.summary.flowsPerSecond.toFixed(1)} flows/s · ${s.summary.lost} lost · ${s.summary.nodesWithProblems} with problems`;
}
