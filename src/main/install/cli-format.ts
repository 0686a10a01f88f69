// Text forms of the install engine's state for the headless CLI: progress lines, the preflight table, the plan with diffs, rollout and check results, the status.
import type { ClusterStatus, InstallLogLine, InstallOptions, Plan, PreflightReport, RolloutState, ConnectivityState, UninstallState } from '../../shared/contract/index.js';
import { installOptionDocs } from '../../shared/contract/index.js';
import { diffText } from './diff.js';

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const esc = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const colours: Paint = { red: esc(31), green: esc(32), yellow: esc(33), dim: esc(2), bold: esc(1) };
export const plain: Paint = { red: (s) => s, green: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

export function formatLine(line: InstallLogLine, paint: Paint): string {
  const time = new Date(line.time).toISOString().slice(11, 19);
  const text = line.level === 'error' ? paint.red(line.text) : line.level === 'warn' ? paint.yellow(line.text) : line.text;
  return `${paint.dim(time)} ${paint.dim(`[${line.step}]`)} ${text}`;
}

const mark = (status: string, paint: Paint): string =>
  status === 'pass' ? paint.green('PASS') : status === 'warn' ? paint.yellow('WARN') : status === 'fail' ? paint.red('FAIL') : paint.dim(status.toUpperCase());

export function formatPreflight(r: PreflightReport, paint: Paint): string {
  const out = [paint.bold(`Preflight of ${r.context} (${r.server}, ${r.serverVersion}) — ${r.nodes.length} node(s), ${r.durationMs} ms`)];
  for (const c of r.checks) {
    out.push(`  ${mark(c.status, paint)}  ${c.title}: ${c.summary}`);
    if (c.status !== 'pass') out.push(`        why: ${c.why}`);
    if (c.action) out.push(`        do:  ${c.action}`);
    for (const d of c.details) out.push(paint.dim(`        - ${d}`));
  }
  if (r.blocking) out.push(paint.red('  A check failed: the install would not work. Fix it and run again.'));
  return out.join('\n');
}

export function formatOptions(o: InstallOptions): string {
  const value = (v: unknown): string => (Array.isArray(v) ? v.join(',') || '(none)' : typeof v === 'object' && v ? Object.entries(v).map(([k, x]) => `${k}=${String(x)}`).join(' ') || '(none)' : String(v));
  return ['Options:', ...(Object.keys(installOptionDocs) as (keyof InstallOptions)[]).map((k) => `  ${installOptionDocs[k].label.padEnd(24)} ${value(o[k])}`)].join('\n');
}

export function formatPlan(plan: Plan, paint: Paint, withDiffs: boolean): string {
  const c = plan.counts;
  const out = [paint.bold(`${!plan.upgrade ? `Install ${plan.toVersion}` : plan.fromVersion === plan.toVersion ? `Update ${plan.toVersion}` : `Upgrade ${plan.fromVersion ?? '(unknown)'} → ${plan.toVersion}`} on ${plan.context}: ${c.create} to create, ${c.update} to update, ${c.unchanged} unchanged${c.extra ? `, ${c.extra} extra (left as is)` : ''}`)];
  for (const o of plan.objects) {
    const a = o.action === 'create' ? paint.green('create   ') : o.action === 'update' ? paint.yellow('update   ') : o.action === 'extra' ? paint.dim('extra    ') : paint.dim('unchanged');
    out.push(`  ${a} ${o.key}`);
    if (withDiffs && o.diff) {
      for (const line of diffText(o.diff).split('\n')) {
        out.push(`      ${line.startsWith('+') ? paint.green(line) : line.startsWith('-') ? paint.red(line) : line.startsWith('@@') ? paint.dim(line) : line}`);
      }
    }
  }
  return out.join('\n');
}

export function formatRollout(r: RolloutState, paint: Paint): string {
  const out = [paint.bold(`Rollout: ${r.status}${r.reason ? ` — ${r.reason}` : ''} (${r.ready}/${r.desired} ready)`)];
  for (const n of r.nodes) {
    const state = n.state === 'ready' ? paint.green('ready') : n.state === 'failed' ? paint.red('FAILED') : paint.yellow(n.state);
    out.push(`  ${n.node.padEnd(16)} ${state}${n.pod ? paint.dim(` (pod ${n.pod})`) : ''}${n.reason ? `: ${n.reason}` : ''}`);
    if (n.state === 'failed') {
      for (const e of n.events.filter((x) => x.type === 'Warning').slice(-3)) out.push(paint.dim(`      event ${e.reason}: ${e.message}`));
      if (n.logsTail) for (const l of n.logsTail.slice(-10)) out.push(paint.dim(`      log | ${l}`));
      else if (n.logsError) out.push(paint.dim(`      ${n.logsError}`));
    }
  }
  return out.join('\n');
}

export function formatCheck(c: ConnectivityState, paint: Paint): string {
  const out = [paint.bold(`Connectivity check in ${c.namespace}: ${c.status}${c.cleanedUp ? ' (namespace removed)' : ''}`)];
  for (const x of c.checks) {
    out.push(`  ${mark(x.status, paint)}  ${x.title}${x.path ? paint.dim(` — ${x.path}`) : ''}${x.message ? `: ${x.message}` : ''}`);
    if (x.status === 'fail' || x.id === 'deny-policy') {
      for (const f of x.flows.slice(-6)) out.push(paint.dim(`        flow ${f.time.slice(11, 23)} ${f.node}: ${f.text}`));
      if (x.flowsError) out.push(paint.dim(`        flows: ${x.flowsError}`));
    }
  }
  return out.join('\n');
}

export function formatUninstall(u: UninstallState, paint: Paint): string {
  const out = [paint.bold(`Uninstall from ${u.namespace}: ${u.status}`)];
  for (const p of u.phases) out.push(`  ${p.status === 'done' ? paint.green('done') : p.status === 'failed' ? paint.red('FAILED') : paint.dim(p.status)}  ${p.title}${p.message ? `: ${p.message}` : ''}`);
  out.push(u.leftovers.length === 0 ? paint.green('  Nothing of Lumen is left in the cluster.') : paint.red(`  Still present: ${u.leftovers.join(', ')}`));
  if (u.nodesNotCleaned.length) out.push(paint.yellow(`  BPF state may remain on ${u.nodesNotCleaned.join(', ')} (no agent ran there with cleanup-on-exit): remove /sys/fs/bpf/lumen and /etc/cni/net.d/05-lumen.conflist on those nodes.`));
  return out.join('\n');
}

export function formatStatus(s: ClusterStatus, paint: Paint): string {
  if (!s.installed) return [`${s.context}: Lumen is not installed.`, ...s.notes].join('\n');
  const out = [paint.bold(`${s.context}: Lumen ${s.version ?? ''} in ${s.namespace} — ${s.summary.agentsReady}/${s.summary.nodes} agents ready, ${s.summary.flowsPerSecond.toFixed(1)} flows/s, ${s.summary.lost} lost, ${s.summary.nodesWithProblems} node(s) with problems`)];
  for (const n of s.nodes) {
    const a = n.agent;
    out.push(`  ${n.node.padEnd(16)} ${a ? `agent ${a.version} ${a.health}${a.ready ? '' : ' (not ready)'}, kube-proxy replacement ${a.datapath.kubeProxyReplacement ? 'on' : 'off'}, ${a.flowsPerSecond.toFixed(1)} flows/s, lost ${a.lost}` : paint.red(n.agentError ?? 'no agent')}`);
    if (a) {
      const maps = a.maps.filter((m) => m.pressure !== null).map((m) => `${m.name.replace(/^lumen_/, '')} ${Math.round((m.pressure ?? 0) * 100)}%`).join(', ');
      if (maps) out.push(paint.dim(`      maps: ${maps}`));
    }
    for (const p of n.problems) out.push(`      ${p.severity === 'error' ? paint.red('error') : paint.yellow('warning')}: ${p.text}`);
  }
  for (const note of s.notes) out.push(paint.dim(`  note: ${note}`));
  return out.join('\n');
}
