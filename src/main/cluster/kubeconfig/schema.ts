// Shapes of kubeconfig entries (clusters, users, contexts) as written in the files.
import { z } from 'zod';

const base64 = z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'is not base64');

export const ClusterEntry = z.looseObject({
  server: z.string().optional(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': base64.optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': z.string().optional(),
  'proxy-url': z.string().optional(),
});
export type ClusterEntry = z.infer<typeof ClusterEntry>;

export const ExecEntry = z.looseObject({
  command: z.string().min(1, 'exec.command is empty'),
  args: z.array(z.string()).nullish(),
  env: z.array(z.strictObject({ name: z.string(), value: z.string() })).nullish(),
  apiVersion: z.string().optional(),
  installHint: z.string().optional(),
  provideClusterInfo: z.boolean().optional(),
  interactiveMode: z.enum(['Never', 'IfAvailable', 'Always']).optional(),
});
export type ExecEntry = z.infer<typeof ExecEntry>;

export const UserEntry = z.looseObject({
  'client-certificate': z.string().optional(),
  'client-certificate-data': base64.optional(),
  'client-key': z.string().optional(),
  'client-key-data': base64.optional(),
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  as: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  'auth-provider': z.looseObject({ name: z.string(), config: z.record(z.string(), z.string()).optional() }).optional(),
  exec: ExecEntry.optional(),
});
export type UserEntry = z.infer<typeof UserEntry>;

export const ContextEntry = z.looseObject({
  cluster: z.string().optional(),
  user: z.string().optional(),
  namespace: z.string().optional(),
});
export type ContextEntry = z.infer<typeof ContextEntry>;

export const sections = {
  clusters: { field: 'cluster', schema: ClusterEntry },
  users: { field: 'user', schema: UserEntry },
  contexts: { field: 'context', schema: ContextEntry },
} as const;
export type SectionName = keyof typeof sections;
