// Kubeconfig as the renderer sees it: contexts and file errors, never credentials.
import { z } from 'zod';
import { LumenErrorPayload } from './errors.js';

/** How a context's user authenticates; a label only, never the secret itself. */
export const AuthKind = z.enum(['token', 'token-file', 'client-certificate', 'exec', 'basic', 'auth-provider', 'none']);
export type AuthKind = z.infer<typeof AuthKind>;

export const ContextSummary = z.strictObject({
  name: z.string(),
  cluster: z.string(),
  user: z.string(),
  namespace: z.string().nullable(),
  /** The cluster's server URL, null when the cluster is missing or has none. */
  server: z.string().nullable(),
  auth: AuthKind,
  /** For exec users: the plugin command as written in the kubeconfig. */
  execCommand: z.string().nullable(),
  /** The file that defines this context (first one wins when several do). */
  file: z.string(),
  current: z.boolean(),
  /** Why this context cannot be used as it stands (missing cluster, missing plugin...). */
  error: LumenErrorPayload.nullable(),
});
export type ContextSummary = z.infer<typeof ContextSummary>;

/** A kubeconfig file that could not be read or parsed; its good siblings still load. */
export const KubeconfigFileError = z.strictObject({
  file: z.string(),
  message: z.string(),
  /** 1-based position of the problem when known. */
  line: z.number().int().positive().nullable(),
  column: z.number().int().positive().nullable(),
});
export type KubeconfigFileError = z.infer<typeof KubeconfigFileError>;

export const KubeconfigFile = z.strictObject({
  path: z.string(),
  exists: z.boolean(),
});
export type KubeconfigFile = z.infer<typeof KubeconfigFile>;

export const KubeconfigState = z.strictObject({
  /** Every file in KUBECONFIG order (or the default ~/.kube/config). */
  files: z.array(KubeconfigFile),
  /** Where the list came from: the KUBECONFIG variable or the default path. */
  source: z.enum(['KUBECONFIG', 'default']),
  currentContext: z.string().nullable(),
  contexts: z.array(ContextSummary),
  errors: z.array(KubeconfigFileError),
  /** Milliseconds since the epoch of this load; increases with every reload. */
  loadedAt: z.number(),
});
export type KubeconfigState = z.infer<typeof KubeconfigState>;
