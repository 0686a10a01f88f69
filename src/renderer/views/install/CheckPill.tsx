// A status pill for checks and nodes: PASS/WARN/FAIL/SKIP, ready/starting/failed.
import { Icon } from '../../components/Icon.js';

const tone: Record<string, 'ok' | 'warn' | 'error' | 'idle' | 'busy'> = {
  pass: 'ok', ready: 'ok', done: 'ok', applied: 'ok', complete: 'ok', passed: 'ok',
  warn: 'warn', conflict: 'warn', 'timed-out': 'warn', cancelled: 'warn',
  fail: 'error', failed: 'error',
  running: 'busy', starting: 'busy', applying: 'busy', waiting: 'busy',
};

export function CheckPill({ status, label }: { status: string; label?: string }) {
  const t = tone[status] ?? 'idle';
  const icon = t === 'ok' ? 'check' : t === 'error' ? 'cross' : t === 'warn' ? 'alert' : t === 'busy' ? 'refresh' : null;
  return (
    <span className={`pill pill-${t}`} data-status={status}>
      {icon && <Icon name={icon} size={11} className={t === 'busy' ? 'spin' : undefined} />}
      {label ?? status.toUpperCase()}
    </span>
  );
}
