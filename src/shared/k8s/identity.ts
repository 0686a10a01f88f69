// Numeric security identities: the reserved numbers, the ranges of cluster and CIDR identities,
// and one-line explanations for the console. Mirrors the datapath's numbering
// (src/shared/flow/datapath.ts); to be unified into one definition.

export const ReservedIdentity = {
  /** Not resolved (yet). */
  unknown: 0,
  /** The local node: its own addresses, host-network pods, kubelet probes. */
  host: 1,
  /** Any address outside the cluster that no CIDR identity covers. */
  world: 2,
  /** Pods the agent does not manage. */
  unmanaged: 3,
  /** The agent's health endpoint. */
  health: 4,
  /** Endpoints whose identity is not resolved yet. */
  init: 5,
  /** Every other node of the cluster (their addresses and host-network pods). */
  remoteNode: 6,
  /** The kube-apiserver's endpoint addresses. */
  kubeApiserver: 7,
} as const;

export type ReservedIdentityName = keyof typeof ReservedIdentity;

/** First identity allocated to a set of pod security labels (cluster-wide, stored in the API). */
export const CLUSTER_IDENTITY_MIN = 256;
/** First identity for an ipBlock CIDR (allocated per node by the agent, never stored in the API). */
export const CIDR_IDENTITY_MIN = 1 << 24;
/** Exclusive upper bound of identity numbers (u32 in the datapath). */
export const IDENTITY_MAX = 2 ** 32;

export type IdentityKind = 'reserved' | 'cluster' | 'cidr';

/** Classify an identity number; throws on something that is not an identity at all. */
export function identityKind(id: number): IdentityKind {
  if (!Number.isInteger(id) || id < 0 || id >= IDENTITY_MAX) throw new Error(`not an identity number: ${id}`);
  if (id < CLUSTER_IDENTITY_MIN) return 'reserved';
  return id < CIDR_IDENTITY_MIN ? 'cluster' : 'cidr';
}

export function isClusterIdentity(id: number): boolean {
  return Number.isInteger(id) && id >= CLUSTER_IDENTITY_MIN && id < CIDR_IDENTITY_MIN;
}

export function isCidrIdentity(id: number): boolean {
  return Number.isInteger(id) && id >= CIDR_IDENTITY_MIN && id < IDENTITY_MAX;
}

const reservedById = new Map<number, ReservedIdentityName>(
  Object.entries(ReservedIdentity).map(([name, id]) => [id, name as ReservedIdentityName]),
);

const RESERVED_DESCRIPTIONS: Record<ReservedIdentityName, string> = {
  unknown: 'Identity not resolved; traffic carrying it is treated as coming from outside policy.',
  host: 'The local node: its addresses, host-network pods and kubelet probes; always allowed to and from its pods.',
  world: 'Any address outside the cluster that no ipBlock CIDR identity covers.',
  unmanaged: 'Pods not managed by Lumen (no Lumen endpoint).',
  health: 'The Lumen agent health endpoint.',
  init: 'Endpoints whose identity is still being resolved.',
  remoteNode: 'Every other node of the cluster and its host-network pods.',
  kubeApiserver: 'The kube-apiserver endpoint addresses.',
};

/** Name of a reserved identity (`host`, `world`, ...) or undefined. */
export function reservedIdentityName(id: number): ReservedIdentityName | undefined {
  return reservedById.get(id);
}

/** The labels the agent gives a reserved identity: `reserved:<name>` (kebab-case name). */
export function reservedIdentityLabels(id: number): Record<string, string> | undefined {
  const name = reservedById.get(id);
  if (name === undefined) return undefined;
  return { [`reserved:${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]: '' };
}

/** One line explaining a reserved identity, for the identities view. */
export function describeReservedIdentity(id: number): string | undefined {
  const name = reservedById.get(id);
  return name === undefined ? undefined : RESERVED_DESCRIPTIONS[name];
}
