// Merges parsed kubeconfig files the way kubectl does, resolving relative paths per file.
import path from 'node:path';
import type { Located, ParsedKubeconfig } from './parse.js';
import type { ClusterEntry, ContextEntry, UserEntry } from './schema.js';

export interface MergedKubeconfig {
  currentContext: string | null;
  clusters: ReadonlyMap<string, Located<ClusterEntry>>;
  users: ReadonlyMap<string, Located<UserEntry>>;
  contexts: ReadonlyMap<string, Located<ContextEntry>>;
}

/** A path written in a kubeconfig is relative to that file's directory. */
function resolveFrom(file: string, target: string | undefined): string | undefined {
  if (target === undefined || target === '' || path.isAbsolute(target)) return target;
  return path.resolve(path.dirname(file), target);
}

function resolveCluster(entry: Located<ClusterEntry>): Located<ClusterEntry> {
  const ca = resolveFrom(entry.file, entry.value['certificate-authority']);
  return ca === entry.value['certificate-authority'] ? entry : { ...entry, value: { ...entry.value, 'certificate-authority': ca } };
}

function resolveUser(entry: Located<UserEntry>): Located<UserEntry> {
  const v = entry.value;
  const value: UserEntry = { ...v };
  if (v['client-certificate']) value['client-certificate'] = resolveFrom(entry.file, v['client-certificate']);
  if (v['client-key']) value['client-key'] = resolveFrom(entry.file, v['client-key']);
  if (v.tokenFile) value.tokenFile = resolveFrom(entry.file, v.tokenFile);
  // kubectl: a bare command name is looked up on PATH; one with a slash is a path
  // relative to the kubeconfig that names it.
  if (v.exec && v.exec.command.includes('/')) value.exec = { ...v.exec, command: resolveFrom(entry.file, v.exec.command)! };
  return { ...entry, value };
}

/**
 * kubectl's rules: files in KUBECONFIG order; for clusters, users and contexts the first
 * file that defines a name wins (later definitions are ignored, not merged field by
 * field); current-context comes from the first file that sets one.
 */
export function mergeKubeconfigs(files: readonly ParsedKubeconfig[]): MergedKubeconfig {
  const clusters = new Map<string, Located<ClusterEntry>>();
  const users = new Map<string, Located<UserEntry>>();
  const contexts = new Map<string, Located<ContextEntry>>();
  let currentContext: string | null = null;
  for (const file of files) {
    currentContext ??= file.currentContext;
    for (const c of file.clusters) if (!clusters.has(c.name)) clusters.set(c.name, resolveCluster(c));
    for (const u of file.users) if (!users.has(u.name)) users.set(u.name, resolveUser(u));
    for (const x of file.contexts) if (!contexts.has(x.name)) contexts.set(x.name, x);
  }
  return { currentContext, clusters, users, contexts };
}

/**
 * The files to load: KUBECONFIG split on the platform delimiter (empty entries and
 * repeats dropped, as kubectl does), or ~/.kube/config when KUBECONFIG is unset or empty.
 */
export function kubeconfigPaths(env: NodeJS.ProcessEnv, home: string): { paths: string[]; source: 'KUBECONFIG' | 'default' } {
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter((p) => p.trim() !== '');
  if (list.length === 0) return { paths: [path.join(home, '.kube', 'config')], source: 'default' };
  return { paths: [...new Set(list.map((p) => path.resolve(p)))], source: 'KUBECONFIG' };
}
