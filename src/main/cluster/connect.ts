// Connecting to a context: server version, then one access review per permission the console needs.
import { LumenError, type ConnectionInfo, type Permission, type ServerVersion } from '../../shared/contract/index.js';
import { logger } from '../log.js';
import { mapLimited } from '../../shared/async/index.js';
import { selfAccessReview } from './access-review.js';
import { HttpStatusError } from './errors.js';
import { KubeHttp } from './http.js';
import type { ContextTarget } from './kubeconfig/clientConfig.js';

const log = logger('cluster:connect');

export interface PermissionCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
}

/** The namespace the agent is installed in; the console reaches agents through its pod proxy. */
export const AGENT_NAMESPACE = 'lumen-system';

/** What the console's views read: list+watch of the cached kinds, and the agents' pod proxy. */
export const consolePermissions: readonly PermissionCheck[] = [
  ...(['nodes', 'namespaces', 'pods', 'services'] as const).flatMap((resource) =>
    (['list', 'watch'] as const).map((verb) => ({ verb, group: '', resource }))),
  { verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' },
  { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' },
  { verb: 'list', group: 'networking.k8s.io', resource: 'networkpolicies' },
  { verb: 'watch', group: 'networking.k8s.io', resource: 'networkpolicies' },
  { verb: 'get', group: '', resource: 'pods', subresource: 'proxy', namespace: AGENT_NAMESPACE },
];

export interface ConnectOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  permissions?: readonly PermissionCheck[];
  /** Called before a single retry after a 401 (exec plugins: fetch a fresh credential). */
  onUnauthorized?: () => void;
}

async function withRetryOn401<T>(run: () => Promise<T>, target: ContextTarget, onUnauthorized?: () => void): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HttpStatusError && error.statusCode === 401 && target.usesExec && onUnauthorized) {
      // kubectl does the same: a rejected plugin credential is refreshed once.
      onUnauthorized();
      return run();
    }
    throw error;
  }
}

async function checkPermission(client: KubeHttp, check: PermissionCheck, options: ConnectOptions): Promise<Permission> {
  const verdict = await selfAccessReview((path, body, opts) => client.postJson(path, body, opts), check, options);
  return {
    verb: check.verb,
    group: check.group,
    resource: check.resource,
    subresource: check.subresource ?? null,
    namespace: check.namespace ?? null,
    ...verdict,
  };
}

export async function connectToTarget(target: ContextTarget, options: ConnectOptions = {}): Promise<ConnectionInfo> {
  const client = new KubeHttp(target);
  const started = Date.now();
  const request = { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? 10_000 };
  try {
    const version = await withRetryOn401(() => client.getJson<Partial<ServerVersion>>('/version', request), target, options.onUnauthorized);
    if (typeof version.gitVersion !== 'string') {
      throw LumenError.of('server-error', `${target.server}/version did not return a Kubernetes version`, {
        context: target.context,
        cluster: target.cluster,
      });
    }
    const permissions = await mapLimited(options.permissions ?? consolePermissions, 4, (check) => checkPermission(client, check, options));
    const info: ConnectionInfo = {
      context: target.context,
      server: target.server,
      version: {
        gitVersion: version.gitVersion,
        major: version.major ?? '',
        minor: version.minor ?? '',
        platform: version.platform ?? '',
      },
      permissions,
      latencyMs: Date.now() - started,
    };
    log.info(`connected to ${target.context} (${target.server}, ${info.version.gitVersion})`, {
      allowed: permissions.filter((p) => p.allowed).length,
      denied: permissions.filter((p) => !p.allowed).length,
    });
    return info;
  } catch (error) {
    throw client.classify(error);
  }
}
