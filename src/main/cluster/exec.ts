// Runs exec credential plugins with the login-shell PATH, caches their credentials, explains failures.
import { z } from 'zod';
import { LumenError } from '../../shared/contract/index.js';
import type { ClusterEntry, ExecEntry } from './kubeconfig/schema.js';
import { runCaptured } from './run.js';
import { findExecutable, loginShellPath, type ShellPath } from './shellPath.js';

/** What a plugin gives; stays in main (only ever applied to outgoing requests). */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Milliseconds since the epoch; null = valid until the server rejects it. */
  expiresAt: number | null;
}

const ExecCredentialOutput = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('ExecCredential'),
  status: z.looseObject({
    token: z.string().optional(),
    clientCertificateData: z.string().optional(),
    clientKeyData: z.string().optional(),
    expirationTimestamp: z.string().optional(),
  }),
});

export interface ExecContext {
  user: string;
  context: string;
  cluster: { name: string; entry: ClusterEntry } | null;
}

export interface ExecCredentialsOptions {
  searchPath?: () => Promise<ShellPath>;
  timeoutMs?: number;
  now?: () => number;
}

function pluginName(exec: ExecEntry): string {
  return exec.command;
}

function tail(text: string, lines = 6, chars = 800): string {
  const kept = text.trim().split('\n').slice(-lines).join('\n');
  return kept.length > chars ? `…${kept.slice(-chars)}` : kept;
}

export class ExecCredentials {
  private readonly cache = new Map<string, { config: string; credential: ExecCredential }>();
  private readonly inflight = new Map<string, Promise<ExecCredential>>();
  private readonly searchPath: () => Promise<ShellPath>;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: ExecCredentialsOptions = {}) {
    this.searchPath = options.searchPath ?? loginShellPath;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The error a context shows before anyone connects: the plugin is not installed. */
  async preflight(exec: ExecEntry, where: ExecContext): Promise<LumenError | null> {
    const shellPath = await this.searchPath();
    if (await findExecutable(exec.command, shellPath.path)) return null;
    return this.missing(exec, where, shellPath);
  }

  private missing(exec: ExecEntry, where: ExecContext, shellPath: ShellPath): LumenError {
    const searched = exec.command.includes('/')
      ? `${exec.command} does not exist or is not executable`
      : `searched PATH from ${shellPath.source === 'login-shell' ? 'your login shell' : 'the console process'}: ${shellPath.path}`;
    return LumenError.of('exec-plugin', `credential plugin "${pluginName(exec)}" for user "${where.user}" was not found`, {
      detail: searched,
      ...(exec.installHint ? { hint: exec.installHint.trim() } : {}),
      context: where.context,
      ...(where.cluster ? { cluster: where.cluster.name } : {}),
    });
  }

  /** A cached credential while it is valid, else a fresh one from the plugin. */
  async get(exec: ExecEntry, where: ExecContext): Promise<ExecCredential> {
    const config = JSON.stringify(exec);
    const hit = this.cache.get(where.user);
    // A minute of margin so a request does not leave with a token about to expire.
    if (hit && hit.config === config && (hit.credential.expiresAt === null || hit.credential.expiresAt - 60_000 > this.now())) {
      return hit.credential;
    }
    // Requests made together (access reviews, the caches' first lists) share one plugin run.
    const key = `${where.user}\0${config}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.run(exec, where)
        .then((credential) => {
          this.cache.set(where.user, { config, credential });
          return credential;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Describes the cached credential of `user` if it is past its expiry at `now`. */
  expiredCredential(user: string, now: number): string | null {
    const expiresAt = this.cache.get(user)?.credential.expiresAt;
    return expiresAt != null && expiresAt <= now ? `the credential plugin's token expired at ${new Date(expiresAt).toISOString()}` : null;
  }

  /** After a 401: the next request runs the plugin again. */
  invalidate(user: string): void {
    this.cache.delete(user);
  }

  private async run(exec: ExecEntry, where: ExecContext): Promise<ExecCredential> {
    const extra = { context: where.context, ...(where.cluster ? { cluster: where.cluster.name } : {}) };
    const name = pluginName(exec);
    if (exec.interactiveMode === 'Always') {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" needs an interactive terminal, which the console cannot provide`, {
        ...extra,
        hint: 'Run any kubectl command for this context in a terminal once to log in, then connect again.',
      });
    }
    const shellPath = await this.searchPath();
    const file = await findExecutable(exec.command, shellPath.path);
    if (!file) throw this.missing(exec, where, shellPath);

    const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo && where.cluster) {
      const c = where.cluster.entry;
      spec.cluster = {
        server: c.server,
        'certificate-authority-data': c['certificate-authority-data'],
        'insecure-skip-tls-verify': c['insecure-skip-tls-verify'],
        'tls-server-name': c['tls-server-name'],
        'proxy-url': c['proxy-url'],
      };
    }
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: shellPath.path };
    for (const { name: key, value } of exec.env ?? []) env[key] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });

    const { code, stdout, stderr, timedOut, spawnError } = await runCaptured(file, exec.args ?? [], { env, timeoutMs: this.timeoutMs });
    if (spawnError) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" could not be started: ${spawnError.message}`, extra, spawnError);
    }
    if (timedOut) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" did not answer within ${Math.round(this.timeoutMs / 1000)} s`, {
        ...extra,
        detail: tail(stderr) || undefined,
      });
    }
    if (code !== 0) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" failed with exit code ${code}`, {
        ...extra,
        detail: tail(stderr) || 'it printed nothing on stderr',
        ...(exec.installHint ? { hint: exec.installHint.trim() } : {}),
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch (error) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" printed something that is not JSON`, extra, error);
    }
    const parsed = ExecCredentialOutput.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw LumenError.of('exec-plugin', `credential plugin "${name}" printed no valid ExecCredential: ${issue.path.join('.') || 'output'} ${issue.message}`, extra);
    }
    if (parsed.data.apiVersion && parsed.data.apiVersion !== apiVersion) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" answered with apiVersion ${parsed.data.apiVersion}, the kubeconfig asks for ${apiVersion}`, extra);
    }
    const status = parsed.data.status;
    if (!status.token && !(status.clientCertificateData && status.clientKeyData)) {
      throw LumenError.of('exec-plugin', `credential plugin "${name}" returned neither a token nor a client certificate and key`, extra);
    }
    let expiresAt: number | null = null;
    if (status.expirationTimestamp) {
      expiresAt = Date.parse(status.expirationTimestamp);
      if (Number.isNaN(expiresAt)) {
        throw LumenError.of('exec-plugin', `credential plugin "${name}" returned an unreadable expirationTimestamp "${status.expirationTimestamp}"`, extra);
      }
      if (expiresAt <= this.now()) {
        throw LumenError.of('expired-credentials', `credential plugin "${name}" returned a credential that expired at ${status.expirationTimestamp}`, {
          ...extra,
          hint: 'Log in again with the tool that provides this plugin, then reconnect.',
        });
      }
    }
    return {
      ...(status.token ? { token: status.token } : {}),
      ...(status.clientCertificateData ? { clientCertificateData: status.clientCertificateData } : {}),
      ...(status.clientKeyData ? { clientKeyData: status.clientKeyData } : {}),
      expiresAt,
    };
  }
}
