// Agent logging: one line per event, "<time> <level> [<subsystem>] message", to stderr.
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let threshold: Level = (process.env.LUMEN_LOG_LEVEL as Level | undefined) ?? 'info';

export function setLogLevel(level: Level): void {
  threshold = level;
}

function write(level: Level, subsystem: string, message: string, err?: unknown): void {
  if (order[level] < order[threshold]) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${subsystem}] ${message}`;
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    line += ` | ${e instanceof Error ? e.message : String(e)}`;
    if (!(e instanceof Error)) break;
  }
  process.stderr.write(`${line}\n`);
}

export const log = {
  debug: (subsystem: string, message: string) => write('debug', subsystem, message),
  info: (subsystem: string, message: string) => write('info', subsystem, message),
  warn: (subsystem: string, message: string, err?: unknown) => write('warn', subsystem, message, err),
  error: (subsystem: string, message: string, err?: unknown) => write('error', subsystem, message, err),
};
