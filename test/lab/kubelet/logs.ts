// Container logs as the lab keeps them: nodes/<node>/pods/<uid>/logs/<container>/<run>.log,
// one file per run (stdout and stderr together). Read by `lab.logs()` in tests and served
// to the API server (`kubectl logs`) by the kubelet API.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readPodRecord } from '../lib/state';

export class LogLookupError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
    this.name = 'LogLookupError';
  }
}

/**
 * The log file of a container's current run (or the previous one): `exists` is false while
 * the run has not started writing; `nextRun` is where the following run will write.
 * `container` may be omitted when the pod has one container.
 */
export function containerLogFile(instance: number, namespace: string, pod: string, container: string | undefined, previous = false): { container: string; file: string; exists: boolean; nextRun: string } {
  let rec;
  try {
    rec = readPodRecord(instance, namespace, pod);
  } catch (e) {
    throw new LogLookupError(404, (e as Error).message);
  }
  const names = Object.keys(rec.containers);
  if (!container && names.length !== 1) {
    throw new LogLookupError(400, `a container name must be specified for pod ${namespace}/${pod}, choose one of: [${names.join(' ')}]`);
  }
  const name = container ?? names[0]!;
  const c = rec.containers[name];
  if (!c) throw new LogLookupError(404, `container ${name} is not valid for pod ${namespace}/${pod} (containers with logs: ${names.join(', ') || 'none'})`);
  const dir = dirname(c.logFile);
  const runIndex = previous ? c.restartCount - 1 : c.restartCount;
  const file = join(dir, `${runIndex}.log`);
  const exists = existsSync(file);
  if (!exists && previous) throw new LogLookupError(400, `previous terminated container "${name}" in pod "${pod}" not found (runs: ${existsSync(dir) ? readdirSync(dir).join(', ') : 'none'})`);
  return { container: name, file, exists, nextRun: join(dir, `${runIndex + 1}.log`) };
}

/** The last `n` lines of `text` (a trailing newline does not count as a line). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const kept = lines.slice(-n).join('\n');
  return kept && trailing ? `${kept}\n` : kept;
}
