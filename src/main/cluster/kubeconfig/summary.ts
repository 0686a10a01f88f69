// Context summaries for the renderer: names, server, auth kind and the error, no secrets.
import { access } from 'node:fs/promises';
import { LumenError, toErrorPayload, type AuthKind, type ContextSummary } from '../../../shared/contract/index.js';
import type { ExecCredentials } from '../exec.js';
import { contextProblem } from './clientConfig.js';
import type { MergedKubeconfig } from './merge.js';
import type { UserEntry } from './schema.js';

export function authKind(user: UserEntry | undefined): AuthKind {
  if (!user) return 'none';
  if (user.exec) return 'exec';
  if (user['auth-provider']) return 'auth-provider';
  if (user['client-certificate'] || user['client-certificate-data']) return 'client-certificate';
  if (user.token) return 'token';
  if (user.tokenFile) return 'token-file';
  if (user.username) return 'basic';
  return 'none';
}

async function missingFile(file: string | undefined): Promise<string | null> {
  if (!file) return null;
  try {
    await access(file);
    return null;
  } catch {
    return file;
  }
}

/** Files a context needs that are not there: caught here rather than as an obscure TLS error later. */
async function missingFiles(merged: MergedKubeconfig, name: string): Promise<LumenError | null> {
  const context = merged.contexts.get(name)!;
  const cluster = merged.clusters.get(context.value.cluster ?? '');
  const user = context.value.user ? merged.users.get(context.value.user) : undefined;
  const checks: [string | undefined, string][] = [
    [cluster?.value['certificate-authority'], `certificate-authority of cluster "${context.value.cluster}"`],
    [user?.value['client-certificate'], `client-certificate of user "${context.value.user}"`],
    [user?.value['client-key'], `client-key of user "${context.value.user}"`],
    [user?.value.token ? undefined : user?.value.tokenFile, `tokenFile of user "${context.value.user}"`],
  ];
  for (const [file, what] of checks) {
    const missing = await missingFile(file);
    if (missing) {
      return LumenError.of('kubeconfig', `the ${what} does not exist: ${missing}`, {
        context: name,
        ...(context.value.cluster ? { cluster: context.value.cluster } : {}),
        detail: `defined at ${user?.file ?? cluster?.file ?? context.file}`,
      });
    }
  }
  return null;
}

export async function summarizeContexts(merged: MergedKubeconfig, exec: ExecCredentials): Promise<ContextSummary[]> {
  return Promise.all(
    [...merged.contexts.values()].map(async (context): Promise<ContextSummary> => {
      const clusterName = context.value.cluster ?? '';
      const userName = context.value.user ?? '';
      const cluster = merged.clusters.get(clusterName);
      const user = merged.users.get(userName);
      let problem = contextProblem(merged, context.name) ?? (await missingFiles(merged, context.name));
      if (!problem && user?.value.exec) {
        problem = await exec.preflight(user.value.exec, {
          user: userName,
          context: context.name,
          cluster: cluster ? { name: clusterName, entry: cluster.value } : null,
        });
      }
      return {
        name: context.name,
        cluster: clusterName,
        user: userName,
        namespace: context.value.namespace ?? null,
        server: cluster?.value.server ?? null,
        auth: authKind(user?.value),
        execCommand: user?.value.exec?.command ?? null,
        file: context.file,
        current: merged.currentContext === context.name,
        error: problem ? toErrorPayload(problem) : null,
      };
    }),
  );
}
