// AgentView and FlowLookups: what the API, CLI, metrics and flow enrichment read from the agent core (the core implements both).
//
// Contract notes for the implementer (agent core):
// - Every method is cheap enough to call per request; none may throw for "nothing there":
//   return undefined / [] instead. Throw only for real failures (they become HTTP 500 with the
//   message, so make it readable and chain { cause }).
// - FlowLookups are called for every flow event (tens of thousands per second): synchronous,
//   in-memory, no allocation-heavy work, no I/O.
// - Types the console also consumes live in src/shared/agent-api (wire format, zod schemas).
import type {
  CoreStatus, DatapathMode, Direction, EndpointInfo, EndpointPolicy, EndpointRef, IdentityInfo,
  L4Addr, Labels, LbBackendDeleteResult, ObjectRef, PolicyRuleRef, ServiceEntry,
} from '../../../src/shared/agent-api/index.js';

export type {
  CoreStatus, DatapathMode, Direction, EndpointInfo, EndpointPolicy, EndpointRef, IdentityInfo,
  L4Addr, Labels, LbBackendDeleteResult, ObjectRef, PolicyRuleRef, ServiceEntry,
};

export type MaybePromise<T> = T | Promise<T>;

/** Readiness for /readyz and the DaemonSet probe: true only after first full sync + map reconcile. */
export interface Readiness {
  ready: boolean;
  /** Why not ready ("waiting for first sync of Pods", "datapath not loaded: ..."). */
  reason?: string;
}

/** A backend named by address only (the CLI's `bpf lb delete <frontend> <backend>`). */
export interface BackendAddr {
  ip: string;
  port: number;
}

/** Thrown by AgentView methods when the named object does not exist (→ HTTP 404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export interface AgentView {
  /** Health, versions, datapath mode, map pressure, sync state. Flow figures are added by the API. */
  status(): MaybePromise<CoreStatus>;
  /** Liveness: false only when the process should be restarted (wedged event loop is caught by the probe itself). */
  healthy(): boolean;
  readiness(): Readiness;

  /**
   * Every frontend this node knows: desired (API) next to realized (read back from the maps).
   * Union of both sides; ordered by id.
   */
  services(): MaybePromise<ServiceEntry[]>;
  /** One frontend by id, or undefined. */
  service(id: number): MaybePromise<ServiceEntry | undefined>;

  /** Local endpoints (pods on this node), ordered by id. */
  endpoints(): MaybePromise<EndpointInfo[]>;
  /** Identities known to this agent (reserved, cluster, local CIDR ones), ordered by id. */
  identities(): MaybePromise<IdentityInfo[]>;
  /** Realized policy of one local endpoint, or undefined when there is no such endpoint. */
  endpointPolicy(ref: EndpointRef): MaybePromise<EndpointPolicy | undefined>;

  /**
   * The datapath's per-CPU drop counters summed, by drop reason name (the stable text of the
   * datapath enum). Complete even when flow events were lost; served as lumen_drops_total.
   */
  dropCounters(): MaybePromise<Record<string, number>>;

  /**
   * Operator tooling (`lumen bpf lb delete`, drift injection in tests): remove one backend
   * from a frontend's slots in the maps, bypassing the desired state (the next reconcile of
   * that service puts it back). Throws NotFoundError when the frontend is not in the maps.
   */
  deleteLbBackend(frontend: L4Addr, backend: BackendAddr): MaybePromise<LbBackendDeleteResult>;
}

/** A local endpoint as flow enrichment needs it. */
export interface EndpointLookup {
  id: number;
  pod: ObjectRef;
  identity: number;
  labels: Labels;
}

/** Whatever is known of a cluster address (pod anywhere in the cluster, or a node address). */
export interface PeerLookup {
  namespace?: string;
  pod?: string;
  /** Node the pod runs on, or the node whose address this is. */
  node?: string;
  identity?: number;
}

/** The in-memory indexes flow enrichment reads (implemented by the core). */
export interface FlowLookups {
  /** Name of this node (observed flows carry it). */
  readonly nodeName: string;
  endpointById(endpointId: number): EndpointLookup | undefined;
  peerByIp(ipv4: string): PeerLookup | undefined;
  /** Security labels of an identity (reserved ones as reserved:<name>), undefined if unknown. */
  identityLabels(identity: number): Labels | undefined;
  /** The Service a frontend address belongs to (ClusterIP, NodePort on a node address, external IP). */
  serviceByFrontend(frontend: L4Addr): ObjectRef | undefined;
  /** ruleId → NetworkPolicy rule (0 is "no rule matched" and is never passed). */
  ruleById(ruleId: number): PolicyRuleRef | undefined;
  /** Policies selecting a local endpoint for a direction (explains a default deny). */
  selectingPolicies(endpointId: number, direction: Direction): ObjectRef[];
}
