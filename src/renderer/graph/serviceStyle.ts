// The cytoscape stylesheet of the service graph, coloured from the app's CSS tokens (light or dark, whichever is active).
import type cytoscape from 'cytoscape';

let cached: { scheme: boolean; style: cytoscape.StylesheetJson } | null = null;

/** Built once per colour scheme: reading computed styles forces a style recalculation. */
export function serviceGraphStyle(): cytoscape.StylesheetJson {
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
  if (cached?.scheme === dark) return cached.style;
  const style = buildStyle();
  cached = { scheme: dark, style };
  return style;
}

function buildStyle(): cytoscape.StylesheetJson {
  const computed = getComputedStyle(document.documentElement);
  const token = (name: string, fallback: string): string => computed.getPropertyValue(name).trim() || fallback;
  const t = {
    text: token('--text', '#1b1f24'),
    muted: token('--text-muted', '#5d6673'),
    bg: token('--bg-elevated', '#ffffff'),
    sunken: token('--bg-sunken', '#eef0f3'),
    border: token('--border-strong', '#c8ced7'),
    accent: token('--accent', '#3d63dd'),
    ok: token('--ok', '#1f8a4c'),
    okBg: token('--ok-bg', '#e3f4ea'),
    busy: token('--busy', '#b7791f'),
    busyBg: token('--busy-bg', '#fbf0dc'),
    error: token('--error', '#c9372c'),
    errorBg: token('--error-bg', '#fbe9e7'),
    warning: token('--warning', '#a66a00'),
    idle: token('--idle', '#9aa2ae'),
    font: token('--font-sans', 'system-ui, sans-serif'),
  };
  return [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 'data(h)',
        label: 'data(label)',
        'text-wrap': 'wrap',
        'text-valign': 'center',
        'text-halign': 'center',
        'font-family': t.font,
        'font-size': 11,
        color: t.text,
        'background-color': t.bg,
        'border-width': 1.5,
        'border-color': t.border,
        'transition-property': 'background-color, border-color, opacity',
        'transition-duration': 300,
      },
    },
    { selector: 'node.frontend', style: { 'border-color': t.accent, 'border-width': 2, 'font-weight': 600 } },
    { selector: 'node.backend.ready', style: { 'background-color': t.okBg, 'border-color': t.ok } },
    { selector: 'node.backend.serving', style: { 'background-color': t.busyBg, 'border-color': t.busy } },
    { selector: 'node.backend.terminating', style: { 'background-color': t.sunken, 'border-color': t.idle, 'border-style': 'dashed', opacity: 0.5, color: t.muted } },
    { selector: 'node.backend.not-ready', style: { 'background-color': t.bg, 'border-color': t.busy, 'border-style': 'dotted', color: t.muted } },
    { selector: 'node.backend.leaving', style: { 'border-style': 'dashed' } },
    { selector: 'node.backend.stale', style: { 'background-color': t.bg, 'border-color': t.error, 'border-style': 'dashed', color: t.error } },
    { selector: 'node.node', style: { shape: 'rectangle', 'background-color': t.sunken, 'border-color': t.border } },
    { selector: 'node.node.in-sync', style: { 'border-color': t.ok } },
    { selector: 'node.node.drift', style: { 'border-color': t.error, 'border-width': 3, 'background-color': t.errorBg, color: t.error, 'font-weight': 600 } },
    { selector: 'node.node.unknown', style: { 'border-color': t.warning, 'border-style': 'dashed' } },
    { selector: 'node.group', style: { 'border-style': 'dashed', color: t.muted } },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'curve-style': 'bezier',
        'line-color': t.border,
        'target-arrow-color': t.border,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        label: 'data(label)',
        'font-size': 9,
        'font-family': t.font,
        color: t.muted,
        'text-background-color': t.bg,
        'text-background-opacity': 0.9,
        'text-background-padding': '2px',
      },
    },
    { selector: 'edge.to-node', style: { 'line-style': 'dotted', 'target-arrow-shape': 'none' } },
    { selector: 'edge.terminating', style: { 'line-style': 'dashed', opacity: 0.5 } },
    { selector: 'edge.missing', style: { 'line-color': t.error, 'target-arrow-color': t.error, 'line-style': 'dashed', width: 2 } },
    { selector: ':selected', style: { 'overlay-color': t.accent, 'overlay-opacity': 0.12 } },
  ];
}
