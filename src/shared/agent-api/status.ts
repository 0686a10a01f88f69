// Wire type of GET /v1/status: one agent's health, versions, datapath mode, map pressure, flow rate and sync state.
import { z } from 'zod';

export const HealthStateSchema = z.enum(['ok', 'degraded', 'failed']);
export type HealthState = z.infer<typeof HealthStateSchema>;

/** One BPF map's fill. `entries` is null when counting is too costly (e.g. LRU maps). */
export const MapPressureSchema = z.object({
  name: z.string(),
  maxEntries: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative().nullable(),
  /** entries / maxEntries in 0..1, null when entries is null. */
  pressure: z.number().min(0).nullable(),
});
export type MapPressure = z.infer<typeof MapPressureSchema>;

export const DatapathModeSchema = z.object({
  kubeProxyReplacement: z.boolean(),
  socketLB: z.boolean(),
  nodePort: z.boolean(),
  policyEnforcement: z.enum(['default', 'always', 'never']),
  auditNamespaces: z.array(z.string()),
  /** Interfaces the node programs are attached to (uplink), and how many pod veths. */
  uplinks: z.array(z.string()),
  attachedEndpoints: z.number().int().nonnegative(),
});
export type DatapathMode = z.infer<typeof DatapathModeSchema>;

export const SyncStateSchema = z.object({
  /** ISO time of the first full sync of every watched kind (null before). */
  initialSyncAt: z.string().nullable(),
  /** Milliseconds from agent start to the first full sync and map reconcile. */
  initialSyncMs: z.number().nullable(),
  /** ISO time the maps were last written from the API state. */
  lastSyncAt: z.string().nullable(),
  /** Per watched kind: ISO time of the last event applied (or list). */
  kinds: z.record(z.string(), z.string().nullable()),
});
export type SyncState = z.infer<typeof SyncStateSchema>;

/** What the agent core reports (AgentView.status()). */
export const CoreStatusSchema = z.object({
  node: z.string(),
  health: HealthStateSchema,
  /** One readable line per problem ("uplink eth0 not found", ...); empty when ok. */
  problems: z.array(z.string()),
  ready: z.boolean(),
  versions: z.object({
    agent: z.string(),
    kernel: z.string(),
    node: z.string(),
    libbpf: z.string().optional(),
  }),
  datapath: DatapathModeSchema,
  maps: z.array(MapPressureSchema),
  sync: SyncStateSchema,
  counts: z.object({
    endpoints: z.number().int().nonnegative(),
    identities: z.number().int().nonnegative(),
    services: z.number().int().nonnegative(),
    policies: z.number().int().nonnegative(),
  }),
});
export type CoreStatus = z.infer<typeof CoreStatusSchema>;

/** Flow pipeline figures, added by the API layer. */
export const FlowStatusSchema = z.object({
  /** Flows decoded per second over the last minute. */
  ratePerSecond: z.number().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Events the kernel could not put in the ring buffer (reported by the addon). */
  lost: z.number().int().nonnegative(),
  /** Events that failed to decode. */
  decodeErrors: z.number().int().nonnegative(),
  /** Events the agent skipped because it could not process them fast enough. */
  skipped: z.number().int().nonnegative(),
  bufferSize: z.number().int().positive(),
  buffered: z.number().int().nonnegative(),
});
export type FlowStatus = z.infer<typeof FlowStatusSchema>;

export const AgentStatusSchema = CoreStatusSchema.extend({
  flows: FlowStatusSchema,
  /** Seconds since the agent process started. */
  uptimeSeconds: z.number().nonnegative(),
  /** ISO time the status was produced. */
  time: z.string(),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;
