// Tagged logging for main-side services: every line says which subsystem wrote it.

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function threshold(): number {
  const wanted = (process.env.LUMEN_LOG ?? 'info').toLowerCase();
  return order[wanted as Level] ?? order.info;
}

function write(level: Level, tag: string, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold()) return;
  const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, errorReplacer)}` : '';
  const line = `${new Date().toISOString()} ${level.padEnd(5)} [${tag}] ${message}${extra}`;
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value.cause ? { cause: String(value.cause) } : {}) };
  return value;
}

export function logger(tag: string): Logger {
  return {
    debug: (m, f) => write('debug', tag, m, f),
    info: (m, f) => write('info', tag, m, f),
    warn: (m, f) => write('warn', tag, m, f),
    error: (m, f) => write('error', tag, m, f),
  };
}
