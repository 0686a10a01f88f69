// Install wizard contract: preflight report, options (with a sentence each), plan and diff, apply and rollout progress, connectivity check, uninstall.
import { z } from 'zod';
import { LumenErrorPayload } from './errors.js';

export const installStepIds = ['preflight', 'options', 'review', 'apply', 'connectivity', 'uninstall'] as const;
export const InstallStepId = z.enum(installStepIds);
export type InstallStepId = z.infer<typeof InstallStepId>;

export const CheckStatus = z.enum(['pass', 'warn', 'fail', 'skip']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** One preflight check: what was found, why it matters, what to do about it. */
export const PreflightCheck = z.strictObject({
  id: z.string(),
  title: z.string(),
  status: CheckStatus,
  /** One line: what was found. */
  summary: z.string(),
  /** Why this matters for the install. */
  why: z.string(),
  /** What the user can do; null when nothing is needed. */
  action: z.string().nullable(),
  /** Per-node findings, missing permissions by name, evidence. */
  details: z.array(z.string()),
});
export type PreflightCheck = z.infer<typeof PreflightCheck>;

export const flavours = ['lab', 'kind', 'minikube', 'k3s', 'gke', 'eks', 'aks', 'generic'] as const;
export const Flavour = z.enum(flavours);
export type Flavour = z.infer<typeof Flavour>;

export const ImagePullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** What the user chooses; the wizard and the CLI fill it from preflight defaults. */
export const InstallOptions = z.strictObject({
  namespace: z.string().regex(dnsLabel, 'must be a DNS label (lowercase letters, digits, "-")'),
  image: z.string().min(1, 'an image reference is required'),
  imagePullPolicy: ImagePullPolicy,
  kubeProxyReplacement: z.boolean(),
  socketLB: z.boolean(),
  policyEnforcement: z.enum(['default', 'always', 'never']),
  auditNamespaces: z.array(z.string().regex(dnsLabel, 'each audit namespace must be a namespace name')).max(256),
  flowBufferSize: z.number().int().min(16).max(1 << 20),
  /** The real API server the agents talk to (https://host:port). */
  apiServer: z.string().min(1),
  /** Images of the connectivity check's echo server and client (the lab's programs' interface). */
  checkEchoImage: z.string().min(1),
  checkClientImage: z.string().min(1),
  /** Extra agent ConfigMap keys (key → value), e.g. what the detected flavour needs. */
  extraConfig: z.record(z.string(), z.string()),
  /** Seconds the rollout may take before the wizard reports what each node still waits for. */
  rolloutTimeoutSeconds: z.number().int().min(10).max(3600),
});
export type InstallOptions = z.infer<typeof InstallOptions>;
export type InstallOptionName = keyof InstallOptions;

/** One sentence per option, shown by the wizard and the CLI's --help alike. */
export const installOptionDocs: Record<InstallOptionName, { label: string; doc: string }> = {
  namespace: { label: 'Namespace', doc: 'Namespace of the agents, their config and secrets; uninstall deletes it, so it must be new or Lumen\'s own.' },
  image: { label: 'Agent image', doc: 'Container image of lumen-agent run on every node; it must be pullable from every node.' },
  imagePullPolicy: { label: 'Image pull policy', doc: 'When nodes pull the agent image: Always, IfNotPresent, or Never (pre-loaded images only).' },
  kubeProxyReplacement: { label: 'Replace kube-proxy', doc: 'Load-balance ClusterIP and NodePort Services in eBPF instead of kube-proxy\'s iptables rules.' },
  socketLB: { label: 'Socket load balancing', doc: 'Pick the Service backend once at connect() time, so pods and nodes skip per-packet NAT.' },
  policyEnforcement: { label: 'Policy enforcement', doc: 'default: enforce on pods a NetworkPolicy selects; always: default-deny every pod; never: record only.' },
  auditNamespaces: { label: 'Audit namespaces', doc: 'Namespaces where a policy denial is recorded as AUDIT and the packet still passes, to try policies safely.' },
  flowBufferSize: { label: 'Flow buffer size', doc: 'Recent flows each agent keeps in memory for the console (about 1 KiB each).' },
  apiServer: { label: 'API server address', doc: 'The real API server the agents connect to: they replace kube-proxy, so they cannot rely on the kubernetes ClusterIP.' },
  checkEchoImage: { label: 'Check echo image', doc: 'Image of the connectivity check\'s echo server; it must exist on this cluster (the lab maps it locally).' },
  checkClientImage: { label: 'Check client image', doc: 'Image of the connectivity check\'s one-shot client; it must exist on this cluster (the lab maps it locally).' },
  extraConfig: { label: 'Extra agent config', doc: 'Further agent ConfigMap keys (key=value), e.g. the pod routes the detected flavour needs.' },
  rolloutTimeoutSeconds: { label: 'Rollout deadline (s)', doc: 'How long the rollout may take before the wizard stops and reports what each node is still waiting for.' },
};

export const NodeFacts = z.strictObject({
  name: z.string(),
  internalIP: z.string().nullable(),
  kernel: z.string(),
  ready: z.boolean(),
  kubeletVersion: z.string(),
});
export type NodeFacts = z.infer<typeof NodeFacts>;

export const PreflightReport = z.strictObject({
  context: z.string(),
  server: z.string(),
  serverVersion: z.string(),
  flavour: Flavour,
  /** Why this flavour was detected (a label, a providerID, a context name). */
  flavourEvidence: z.string(),
  checks: z.array(PreflightCheck),
  nodes: z.array(NodeFacts),
  kubeProxyPresent: z.boolean(),
  /** An install found in the cluster: upgrade path. */
  existing: z.strictObject({ namespace: z.string(), version: z.string().nullable(), objects: z.number().int() }).nullable(),
  /** Any check failed: the wizard will not apply. */
  blocking: z.boolean(),
  defaults: InstallOptions,
  durationMs: z.number(),
});
export type PreflightReport = z.infer<typeof PreflightReport>;

export const DiffLine = z.strictObject({
  /** ' ' context, '+' added, '-' removed, '@' hunk header. */
  op: z.enum([' ', '+', '-', '@']),
  text: z.string(),
});
export type DiffLine = z.infer<typeof DiffLine>;

export const PlanObject = z.strictObject({
  /** "Kind namespace/name" or "Kind name". */
  key: z.string(),
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string().nullable(),
  name: z.string(),
  /** extra: labelled as Lumen's in the cluster but not part of this version (left as is). */
  action: z.enum(['create', 'update', 'unchanged', 'extra']),
  /** The object as it will be applied; Secret values are redacted (they never leave main). */
  yaml: z.string(),
  /** Unified diff against the cluster (updates only). */
  diff: z.array(DiffLine).nullable(),
});
export type PlanObject = z.infer<typeof PlanObject>;

export const Plan = z.strictObject({
  context: z.string(),
  options: InstallOptions,
  upgrade: z.boolean(),
  fromVersion: z.string().nullable(),
  toVersion: z.string(),
  objects: z.array(PlanObject),
  counts: z.strictObject({ create: z.number().int(), update: z.number().int(), unchanged: z.number().int(), extra: z.number().int() }),
  /** How the diff was computed: the server's dry-run apply, or a local comparison. */
  diffSource: z.enum(['server-dry-run', 'local', 'none']),
});
export type Plan = z.infer<typeof Plan>;

export const StepStatus = z.enum(['pending', 'running', 'done', 'failed', 'cancelled', 'skipped']);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepState = z.strictObject({
  id: InstallStepId,
  title: z.string(),
  status: StepStatus,
  /** One line: what the step is doing or how it ended. */
  message: z.string().nullable(),
  progress: z.strictObject({ done: z.number().int(), total: z.number().int() }).nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
export type StepState = z.infer<typeof StepState>;

export const ApplyObjectState = z.strictObject({
  key: z.string(),
  kind: z.string(),
  status: z.enum(['pending', 'applying', 'waiting', 'applied', 'conflict', 'failed', 'skipped']),
  message: z.string().nullable(),
});
export type ApplyObjectState = z.infer<typeof ApplyObjectState>;

export const FieldConflict = z.strictObject({
  key: z.string(),
  manager: z.string(),
  field: z.string(),
});
export type FieldConflict = z.infer<typeof FieldConflict>;

export const ContainerRollout = z.strictObject({
  name: z.string(),
  init: z.boolean(),
  state: z.enum(['waiting', 'running', 'terminated', 'unknown']),
  ready: z.boolean(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  restarts: z.number().int(),
  lastExitCode: z.number().int().nullable(),
  lastReason: z.string().nullable(),
  image: z.string(),
});
export type ContainerRollout = z.infer<typeof ContainerRollout>;

export const RolloutEvent = z.strictObject({
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  count: z.number().int(),
  lastSeen: z.string().nullable(),
});
export type RolloutEvent = z.infer<typeof RolloutEvent>;

export const AgentReadiness = z.strictObject({
  ready: z.boolean(),
  version: z.string().nullable(),
  health: z.string().nullable(),
  problems: z.array(z.string()),
  /** Why the agent API could not be asked (RBAC, not listening yet...). */
  error: z.string().nullable(),
});
export type AgentReadiness = z.infer<typeof AgentReadiness>;

export const NodeRollout = z.strictObject({
  node: z.string(),
  pod: z.string().nullable(),
  phase: z.string().nullable(),
  state: z.enum(['pending', 'starting', 'ready', 'failed']),
  /** Failed: what failed. Otherwise: what the node is still waiting for ('' when ready). */
  reason: z.string(),
  containers: z.array(ContainerRollout),
  events: z.array(RolloutEvent),
  logsTail: z.array(z.string()).nullable(),
  logsError: z.string().nullable(),
  agent: AgentReadiness.nullable(),
});
export type NodeRollout = z.infer<typeof NodeRollout>;

export const RolloutState = z.strictObject({
  status: z.enum(['running', 'complete', 'failed', 'timed-out', 'cancelled']),
  /** Failed/timed out: the sentence that says why, naming the nodes. */
  reason: z.string().nullable(),
  desired: z.number().int(),
  updated: z.number().int(),
  ready: z.number().int(),
  nodes: z.array(NodeRollout),
  /** Warnings about the DaemonSet itself (FailedCreate...). */
  daemonSetEvents: z.array(RolloutEvent),
  deadlineAt: z.number(),
});
export type RolloutState = z.infer<typeof RolloutState>;

export const CheckFlow = z.strictObject({
  time: z.string(),
  node: z.string(),
  verdict: z.string(),
  /** The agent's one-line description (source -> destination, verdict, why). */
  text: z.string(),
  policy: z.string().nullable(),
});
export type CheckFlow = z.infer<typeof CheckFlow>;

export const ConnectivityCheckResult = z.strictObject({
  id: z.string(),
  title: z.string(),
  /** From where to where, e.g. "pod on node-1 → pod on node-2 (10.200.1.5:8080)". */
  path: z.string(),
  status: z.enum(['pending', 'running', 'pass', 'fail', 'skip']),
  message: z.string().nullable(),
  durationMs: z.number().nullable(),
  flows: z.array(CheckFlow),
  flowsError: z.string().nullable(),
});
export type ConnectivityCheckResult = z.infer<typeof ConnectivityCheckResult>;

export const ConnectivityState = z.strictObject({
  namespace: z.string(),
  status: z.enum(['running', 'passed', 'failed', 'cancelled']),
  phase: z.string(),
  checks: z.array(ConnectivityCheckResult),
  cleanedUp: z.boolean(),
});
export type ConnectivityState = z.infer<typeof ConnectivityState>;

export const UninstallState = z.strictObject({
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  namespace: z.string(),
  phases: z.array(z.strictObject({ id: z.string(), title: z.string(), status: StepStatus, message: z.string().nullable() })),
  /** What is still in the cluster after the uninstall ("Kind namespace/name"); empty = clean. */
  leftovers: z.array(z.string()),
  /** Nodes whose agents never ran with cleanup-on-exit: their BPF state may remain. */
  nodesNotCleaned: z.array(z.string()),
});
export type UninstallState = z.infer<typeof UninstallState>;

export const InstallLogLine = z.strictObject({
  time: z.number(),
  step: InstallStepId,
  level: z.enum(['info', 'warn', 'error']),
  text: z.string(),
});
export type InstallLogLine = z.infer<typeof InstallLogLine>;

export const InstallSessionState = z.strictObject({
  id: z.string(),
  context: z.string(),
  mode: z.enum(['install', 'uninstall']),
  steps: z.array(StepState),
  busy: z.boolean(),
  preflight: PreflightReport.nullable(),
  options: InstallOptions.nullable(),
  /** Per option: why the value was refused. */
  optionErrors: z.record(z.string(), z.string()),
  planCounts: Plan.shape.counts.nullable(),
  apply: z.strictObject({ objects: z.array(ApplyObjectState), conflicts: z.array(FieldConflict), rolledBack: z.boolean() }).nullable(),
  rollout: RolloutState.nullable(),
  connectivity: ConnectivityState.nullable(),
  uninstall: UninstallState.nullable(),
  /** The last lines of progress (the CLI prints the same lines). */
  log: z.array(InstallLogLine),
  error: LumenErrorPayload.nullable(),
});
export type InstallSessionState = z.infer<typeof InstallSessionState>;

export const SaveRequest = z.strictObject({
  suggestedName: z.string().regex(/^[\w.-]{1,100}$/, 'a plain file name'),
  content: z.string().max(4 << 20),
});
export const SaveResult = z.strictObject({ saved: z.boolean(), path: z.string().nullable() });
export type SaveResult = z.infer<typeof SaveResult>;

export const InstallStartRequest = z.strictObject({ context: z.string().min(1) });
export const InstallOptionsRequest = z.strictObject({ options: InstallOptions });
export const InstallApplyRequest = z.strictObject({
  /** Take over fields another field manager owns (after the user saw the conflicts). */
  forceConflicts: z.boolean().default(false),
});
