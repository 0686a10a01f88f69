// Wire types of the agent's service view: per frontend, what the API desires next to what the maps hold, and the drift between them.
import { z } from 'zod';

export const L4ProtocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
export type L4Protocol = z.infer<typeof L4ProtocolSchema>;

const ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'expected an IPv4 address');
const port = z.number().int().min(0).max(65535);

/** An address:port/protocol, the identity of a frontend. */
export const L4AddrSchema = z.object({ ip: ipv4, port, protocol: L4ProtocolSchema });
export type L4Addr = z.infer<typeof L4AddrSchema>;

/** How the frontend was derived from the Service. */
export const FrontendTypeSchema = z.enum(['ClusterIP', 'NodePort', 'ExternalIP', 'LoadBalancer']);
export type FrontendType = z.infer<typeof FrontendTypeSchema>;

/**
 * active: chosen for new connections; terminating: kept for established connections only
 * (EndpointSlice serving+terminating); excluded: not serving, never chosen.
 */
export const BackendStateSchema = z.enum(['active', 'terminating', 'excluded']);
export type BackendState = z.infer<typeof BackendStateSchema>;

export const ObjectRefSchema = z.object({ namespace: z.string(), name: z.string() });
export type ObjectRef = z.infer<typeof ObjectRefSchema>;

/** A backend as the API wants it (from EndpointSlices). */
export const DesiredBackendSchema = z.object({
  ip: ipv4,
  port,
  state: BackendStateSchema,
  nodeName: z.string().optional(),
  pod: ObjectRefSchema.optional(),
});
export type DesiredBackend = z.infer<typeof DesiredBackendSchema>;

/** A backend as read back from the services/backends maps. */
export const RealizedBackendSchema = z.object({
  /** Backend id in the backends map. */
  id: z.number().int().nonnegative(),
  /** Slot in the services map (1..count). */
  slot: z.number().int().positive(),
  ip: ipv4,
  port,
  state: BackendStateSchema,
});
export type RealizedBackend = z.infer<typeof RealizedBackendSchema>;

export const ServiceFlagsSchema = z.object({
  /** sessionAffinity ClientIP with its timeout; absent = None. */
  sessionAffinityTimeoutSeconds: z.number().int().positive().optional(),
  /** externalTrafficPolicy Local (NodePort/LB frontends choose local backends only). */
  externalTrafficLocal: z.boolean(),
  /** internalTrafficPolicy Local (ClusterIP frontends choose local backends only). */
  internalTrafficLocal: z.boolean().default(false),
});
export type ServiceFlags = z.infer<typeof ServiceFlagsSchema>;

export const DesiredFrontendSchema = z.object({
  service: ObjectRefSchema,
  /** The Service port's name ('' when unnamed). */
  portName: z.string(),
  flags: ServiceFlagsSchema,
  backends: z.array(DesiredBackendSchema),
});
export type DesiredFrontend = z.infer<typeof DesiredFrontendSchema>;

export const RealizedFrontendSchema = z.object({
  /** Reverse-NAT id written with the frontend (replies are translated back with it). */
  revNatId: z.number().int().nonnegative(),
  flags: ServiceFlagsSchema,
  backends: z.array(RealizedBackendSchema),
});
export type RealizedFrontend = z.infer<typeof RealizedFrontendSchema>;

/**
 * One frontend of one node's datapath. `desired` is null when the maps hold a frontend the
 * API no longer has (stale); `realized` is null when the API has it and the maps do not.
 */
export const ServiceEntrySchema = z.object({
  /** Stable frontend id on this node (the rev-NAT id once programmed). */
  id: z.number().int().nonnegative(),
  frontend: L4AddrSchema,
  type: FrontendTypeSchema,
  desired: DesiredFrontendSchema.nullable(),
  realized: RealizedFrontendSchema.nullable(),
});
export type ServiceEntry = z.infer<typeof ServiceEntrySchema>;

export const DriftSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('not-programmed') }),
  z.object({ kind: z.literal('stale-frontend') }),
  z.object({ kind: z.literal('missing-backend'), backend: z.object({ ip: ipv4, port }) }),
  z.object({ kind: z.literal('stale-backend'), backend: z.object({ ip: ipv4, port }) }),
  z.object({
    kind: z.literal('backend-state'),
    backend: z.object({ ip: ipv4, port }),
    desired: BackendStateSchema,
    realized: BackendStateSchema,
  }),
  z.object({ kind: z.literal('flags'), field: z.string() }),
]);
export type Drift = z.infer<typeof DriftSchema>;

const backendKey = (b: { ip: string; port: number }): string => `${b.ip}:${b.port}`;

/**
 * Differences between what the API wants and what the datapath holds for one frontend.
 * Excluded desired backends are not expected in the maps, so their absence is not drift.
 */
export function serviceDrift(entry: ServiceEntry): Drift[] {
  const { desired, realized } = entry;
  if (!desired && !realized) return [];
  if (!realized) return [{ kind: 'not-programmed' }];
  if (!desired) return [{ kind: 'stale-frontend' }];
  const out: Drift[] = [];
  const realizedByKey = new Map(realized.backends.map((b) => [backendKey(b), b]));
  const desiredKeys = new Set<string>();
  for (const want of desired.backends) {
    const key = backendKey(want);
    desiredKeys.add(key);
    const have = realizedByKey.get(key);
    if (!have) {
      if (want.state !== 'excluded') out.push({ kind: 'missing-backend', backend: { ip: want.ip, port: want.port } });
    } else if (have.state !== want.state) {
      out.push({ kind: 'backend-state', backend: { ip: want.ip, port: want.port }, desired: want.state, realized: have.state });
    }
  }
  for (const have of realized.backends) {
    if (!desiredKeys.has(backendKey(have))) out.push({ kind: 'stale-backend', backend: { ip: have.ip, port: have.port } });
  }
  const wantFlags = desired.flags;
  const haveFlags = realized.flags;
  for (const field of ['sessionAffinityTimeoutSeconds', 'externalTrafficLocal', 'internalTrafficLocal'] as const) {
    if ((wantFlags[field] ?? null) !== (haveFlags[field] ?? null)) out.push({ kind: 'flags', field });
  }
  return out;
}

/** "10.96.0.10:53/UDP", the frontend notation used by the CLI and the console. */
export function formatL4Addr(a: L4Addr): string {
  return `${a.ip}:${a.port}/${a.protocol}`;
}

/** Parses "ip:port[/proto]" (protocol defaults to TCP); throws naming the bad part. */
export function parseL4Addr(text: string, what = 'address'): L4Addr {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?:\/([A-Za-z]+))?$/.exec(text.trim());
  if (!m) throw new Error(`invalid ${what} "${text}": expected <ipv4>:<port>[/TCP|UDP|SCTP]`);
  const ip = m[1]!;
  if (ip.split('.').some((o) => Number(o) > 255)) throw new Error(`invalid ${what} "${text}": ${ip} is not an IPv4 address`);
  const portNum = Number(m[2]);
  if (portNum > 65535) throw new Error(`invalid ${what} "${text}": port ${portNum} is out of range 0-65535`);
  const proto = (m[3] ?? 'TCP').toUpperCase();
  const parsed = L4ProtocolSchema.safeParse(proto);
  if (!parsed.success) throw new Error(`invalid ${what} "${text}": protocol ${m[3]} is not TCP, UDP or SCTP`);
  return { ip, port: portNum, protocol: parsed.data };
}
