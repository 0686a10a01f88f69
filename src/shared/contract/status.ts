// Cluster status contract: per node agent health, datapath mode, map pressure, flow rate history, problems; a cluster summary.
import { z } from 'zod';

export const NodeProblem = z.strictObject({
  severity: z.enum(['error', 'warning']),
  /** Stable kind, for tests and icons. */
  kind: z.enum(['agent-missing', 'agent-not-running', 'agent-not-ready', 'agent-unreachable', 'agent-problem', 'map-pressure', 'lost-events', 'sync-stale', 'node-not-ready']),
  text: z.string(),
});
export type NodeProblem = z.infer<typeof NodeProblem>;

export const StatusMap = z.strictObject({
  name: z.string(),
  maxEntries: z.number().int(),
  entries: z.number().int().nullable(),
  pressure: z.number().nullable(),
});
export type StatusMap = z.infer<typeof StatusMap>;

export const NodeStatus = z.strictObject({
  node: z.string(),
  nodeReady: z.boolean(),
  kernel: z.string(),
  pod: z.strictObject({
    name: z.string(),
    phase: z.string(),
    ready: z.boolean(),
    restarts: z.number().int(),
    /** Waiting/terminated reason of the agent container, if any. */
    reason: z.string().nullable(),
  }).nullable(),
  agent: z.strictObject({
    version: z.string(),
    health: z.string(),
    ready: z.boolean(),
    uptimeSeconds: z.number(),
    datapath: z.strictObject({
      kubeProxyReplacement: z.boolean(),
      socketLB: z.boolean(),
      nodePort: z.boolean(),
      policyEnforcement: z.string(),
      auditNamespaces: z.array(z.string()),
      uplinks: z.array(z.string()),
      attachedEndpoints: z.number().int(),
    }),
    maps: z.array(StatusMap),
    flowsPerSecond: z.number(),
    flowsTotal: z.number().int(),
    lost: z.number().int(),
    lastSyncAt: z.string().nullable(),
    /** Newest event the agent applied from any watch (ISO), the freshness of its view. */
    lastEventAt: z.string().nullable(),
    counts: z.strictObject({ endpoints: z.number().int(), identities: z.number().int(), services: z.number().int(), policies: z.number().int() }),
  }).nullable(),
  agentError: z.string().nullable(),
  problems: z.array(NodeProblem),
  /** Samples over the last minutes, oldest first: time (ms), flows/s, lost total. */
  history: z.array(z.strictObject({ t: z.number(), rate: z.number(), lost: z.number() })),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

export const ClusterStatus = z.strictObject({
  context: z.string(),
  installed: z.boolean(),
  namespace: z.string().nullable(),
  version: z.string().nullable(),
  daemonSet: z.strictObject({ desired: z.number().int(), ready: z.number().int(), updated: z.number().int(), available: z.number().int() }).nullable(),
  summary: z.strictObject({
    nodes: z.number().int(),
    agentsReady: z.number().int(),
    nodesWithProblems: z.number().int(),
    flowsPerSecond: z.number(),
    lost: z.number().int(),
  }),
  nodes: z.array(NodeStatus),
  /** Why the status is partial (no permission to read the token Secret...). */
  notes: z.array(z.string()),
  fetchedAt: z.number(),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;
