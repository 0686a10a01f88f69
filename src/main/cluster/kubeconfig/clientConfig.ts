// Builds a @kubernetes/client-node KubeConfig for one merged context, with Lumen's authenticators.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';
import { LumenError } from '../../../shared/contract/index.js';
import type { ExecCredentials } from '../exec.js';
import type { Located } from './parse.js';
import type { MergedKubeconfig } from './merge.js';
import type { ClusterEntry, UserEntry } from './schema.js';

const EXEC_PROVIDER = 'lumen-exec';
const TOKEN_FILE_PROVIDER = 'lumen-token-file';

export interface ContextTarget {
  context: string;
  cluster: string;
  user: string;
  server: string;
  namespace: string | null;
  kubeConfig: KubeConfig;
  /** Whether a 401 may be cured by running the exec plugin again. */
  usesExec: boolean;
  /** Which credential, if any, is past its expiry now (explains a 401). */
  expired(): string | null;
}

/** Problems that make a context unusable before any request; null when it looks complete. */
export function contextProblem(merged: MergedKubeconfig, name: string): LumenError | null {
  const context = merged.contexts.get(name);
  if (!context) return LumenError.of('not-found', `no context "${name}" in the kubeconfig`, { context: name });
  const at = `${context.file}${context.line ? `:${context.line}` : ''}`;
  const clusterName = context.value.cluster;
  if (!clusterName) return LumenError.of('kubeconfig', `context "${name}" names no cluster`, { context: name, detail: `defined at ${at}` });
  const cluster = merged.clusters.get(clusterName);
  if (!cluster) {
    return LumenError.of('kubeconfig', `context "${name}" refers to cluster "${clusterName}", which no kubeconfig file defines`, {
      context: name,
      cluster: clusterName,
      detail: `context defined at ${at}`,
    });
  }
  if (!cluster.value.server) {
    return LumenError.of('kubeconfig', `cluster "${clusterName}" has no server address`, {
      context: name,
      cluster: clusterName,
      detail: `cluster defined at ${cluster.file}${cluster.line ? `:${cluster.line}` : ''}`,
    });
  }
  try {
    const url = new URL(cluster.value.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (error) {
    return LumenError.of('kubeconfig', `cluster "${clusterName}" has an invalid server address "${cluster.value.server}"`, {
      context: name,
      cluster: clusterName,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  const userName = context.value.user;
  if (userName && !merged.users.has(userName)) {
    return LumenError.of('kubeconfig', `context "${name}" refers to user "${userName}", which no kubeconfig file defines`, {
      context: name,
      cluster: clusterName,
      detail: `context defined at ${at}`,
    });
  }
  return null;
}

function certExpiry(pem: string | Buffer, what: string, now: number): string | null {
  try {
    const cert = new X509Certificate(pem);
    const notAfter = Date.parse(cert.validTo);
    return notAfter <= now ? `${what} expired on ${new Date(notAfter).toISOString()}` : null;
  } catch {
    return null;
  }
}

function tokenExpiry(token: string, now: number): string | null {
  // Service-account and OIDC tokens are JWTs; their `exp` tells an expired token from a wrong one.
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && exp * 1000 <= now ? `the token expired on ${new Date(exp * 1000).toISOString()}` : null;
  } catch {
    return null;
  }
}

function readMaybe(file: string | undefined): Buffer | null {
  if (!file) return null;
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

function userExpiry(user: UserEntry, exec: ExecCredentials, userName: string): () => string | null {
  return () => {
    const now = Date.now();
    const certData = user['client-certificate-data'] ? Buffer.from(user['client-certificate-data'], 'base64') : readMaybe(user['client-certificate']);
    const fromCert = certData ? certExpiry(certData, 'the client certificate', now) : null;
    if (fromCert) return fromCert;
    const token = user.token ?? readMaybe(user.tokenFile)?.toString('utf8').trim();
    if (token) return tokenExpiry(token, now);
    if (user.exec) return exec.expiredCredential(userName, now);
    return null;
  };
}

function clientCluster(name: string, entry: ClusterEntry): Cluster {
  const server = entry.server!;
  return {
    name,
    server,
    // client-node refuses http: servers unless TLS checks are "skipped"; there is no TLS
    // on http: to skip, so this only lets plain-HTTP servers (kubectl proxy) work.
    skipTLSVerify: entry['insecure-skip-tls-verify'] === true || server.startsWith('http:'),
    ...(entry['certificate-authority-data'] ? { caData: entry['certificate-authority-data'].replace(/\s/g, '') } : {}),
    ...(entry['certificate-authority'] ? { caFile: entry['certificate-authority'] } : {}),
    ...(entry['tls-server-name'] ? { tlsServerName: entry['tls-server-name'] } : {}),
    ...(entry['proxy-url'] ? { proxyUrl: entry['proxy-url'] } : {}),
  };
}

function clientUser(name: string, entry: UserEntry | undefined): User {
  if (!entry) return { name };
  const user: Record<string, unknown> = { name };
  if (entry['client-certificate-data']) user.certData = entry['client-certificate-data'].replace(/\s/g, '');
  if (entry['client-certificate']) user.certFile = entry['client-certificate'];
  if (entry['client-key-data']) user.keyData = entry['client-key-data'].replace(/\s/g, '');
  if (entry['client-key']) user.keyFile = entry['client-key'];
  if (entry.token) user.token = entry.token;
  if (entry.username) user.username = entry.username;
  if (entry.password) user.password = entry.password;
  if (entry.as) user.impersonateUser = entry.as;
  // Exec and token files go through Lumen's authenticators (login-shell PATH, readable
  // errors, re-read on every request) instead of client-node's built-in ones.
  if (entry.exec) user.authProvider = { name: EXEC_PROVIDER, config: {} };
  else if (entry.tokenFile && !entry.token) user.authProvider = { name: TOKEN_FILE_PROVIDER, config: {} };
  else if (entry['auth-provider']) user.authProvider = entry['auth-provider'];
  return user as unknown as User;
}

type AuthOptions = https.RequestOptions & { headers?: Record<string, string | string[] | number | undefined> };

export function buildContextTarget(merged: MergedKubeconfig, name: string, exec: ExecCredentials): ContextTarget {
  const problem = contextProblem(merged, name);
  if (problem) throw problem;
  const context = merged.contexts.get(name)!;
  const clusterName = context.value.cluster!;
  const cluster = merged.clusters.get(clusterName)!;
  const userName = context.value.user ?? '';
  const userLocated: Located<UserEntry> | undefined = userName ? merged.users.get(userName) : undefined;
  const user = userLocated?.value;
  const where = { user: userName, context: name, cluster: { name: clusterName, entry: cluster.value } };

  const kc = new KubeConfig();
  const contextUser = userName || 'lumen-anonymous';
  kc.loadFromOptions({
    clusters: [clientCluster(clusterName, cluster.value)],
    users: [clientUser(contextUser, user)],
    contexts: [{ name, cluster: clusterName, user: contextUser, ...(context.value.namespace ? { namespace: context.value.namespace } : {}) }],
    currentContext: name,
  });
  kc.addAuthenticator({
    isAuthProvider: (u: User) => (u.authProvider as { name?: string } | undefined)?.name === EXEC_PROVIDER,
    applyAuthentication: async (_u: User, opts: AuthOptions) => {
      const credential = await exec.get(user!.exec!, where);
      opts.headers ??= {};
      if (credential.token) opts.headers.Authorization = `Bearer ${credential.token}`;
      if (credential.clientCertificateData) opts.cert = credential.clientCertificateData;
      if (credential.clientKeyData) opts.key = credential.clientKeyData;
    },
  });
  kc.addAuthenticator({
    isAuthProvider: (u: User) => (u.authProvider as { name?: string } | undefined)?.name === TOKEN_FILE_PROVIDER,
    applyAuthentication: async (_u: User, opts: AuthOptions) => {
      let token: string;
      try {
        token = readFileSync(user!.tokenFile!, 'utf8').trim();
      } catch (error) {
        throw LumenError.of('kubeconfig', `cannot read tokenFile ${user!.tokenFile} of user "${userName}"`, { context: name, cluster: clusterName }, error);
      }
      opts.headers ??= {};
      opts.headers.Authorization = `Bearer ${token}`;
    },
  });

  return {
    context: name,
    cluster: clusterName,
    user: userName,
    server: cluster.value.server!.replace(/\/+$/, ''),
    namespace: context.value.namespace ?? null,
    kubeConfig: kc,
    usesExec: Boolean(user?.exec),
    expired: user ? userExpiry(user, exec, userName) : () => null,
  };
}
