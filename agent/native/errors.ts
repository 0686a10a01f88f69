// BpfError: a failed native call with its errno, errno name, libbpf's messages (the
// verifier log for a failed load) and the operation that failed.

export class BpfError extends Error {
  readonly errno: number | undefined;
  readonly code: string | undefined;
  readonly libbpfLog: string | undefined;
  readonly op: string;

  constructor(op: string, cause: unknown) {
    const c = cause as { message?: string; errno?: number; code?: string; libbpfLog?: string } | undefined;
    super(`[lumen-bpf] ${op}: ${c?.message ?? String(cause)}`, { cause });
    this.name = 'BpfError';
    this.op = op;
    this.errno = typeof c?.errno === 'number' ? c.errno : undefined;
    this.code = typeof c?.code === 'string' ? c.code : undefined;
    this.libbpfLog = typeof c?.libbpfLog === 'string' ? c.libbpfLog : undefined;
  }
}

/** Runs a native call and rethrows its failure as a BpfError naming `op`. */
export function native<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BpfError) throw err;
    throw new BpfError(op, err);
  }
}
