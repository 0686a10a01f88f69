// What the agent core needs from the datapath, in the agent's own terms. The
// implementation over the addon (agent/native) is datapath/native.ts; keeping this seam
// lets the core's reconcile logic stay readable and testable.
import type { MapOp, ServiceMaps } from '../services/model.js';

export interface EndpointEntry { ifindex: number; endpointId: number; identity: number; flags: number }

export const EP_F_ENFORCE_INGRESS = 0x0001;
export const EP_F_ENFORCE_EGRESS = 0x0002;
export const EP_F_AUDIT = 0x0004;

/** The policy compiler's abstract entry (src/shared/policy), as the datapath enforces it. */
export interface PolicyEntry {
  endpointId: number;
  direction: 'ingress' | 'egress';
  remoteIdentity: number;
  protocol: number;
  portLow: number;
  portHigh: number;
  verdict: 'allow' | 'deny';
  ruleId: number;
}

export interface MapPressureInfo { name: string; maxEntries: number; entries: number | null }

export interface DatapathPort {
  readonly kind: string;
  /** Service maps as they are now (start-up reconcile and the realized view). */
  readServices(): Promise<ServiceMaps>;
  /** Writes phases in order, each phase in batches. */
  writeServices(phases: MapOp[][]): Promise<void>;

  readEndpoints(): Promise<Map<string, EndpointEntry>>;
  writeEndpoint(ip: string, entry: EndpointEntry): Promise<void>;
  deleteEndpoint(ip: string): Promise<void>;

  /** ipcache as "a.b.c.d/prefix" → identity. */
  readIpcache(): Promise<Map<string, number>>;
  writeIpcache(upserts: [string, number][], deletes: string[]): Promise<void>;

  /**
   * Makes the policy map hold exactly `entries` for the endpoint ids given (other
   * endpoints untouched); returns how many keys were written and deleted.
   */
  syncPolicy(endpointIds: number[], entries: PolicyEntry[]): Promise<{ written: number; deleted: number }>;
  /** The next syncPolicy diffs against the policy map as it is now, not as last written. */
  rereadPolicy(): void;
  /** Endpoint ids that have policy entries in the map (to delete those of gone endpoints). */
  policyEndpointIds(): Promise<Set<number>>;

  attachEndpoint(ifindex: number, ifname: string): Promise<void>;
  detachEndpoint(ifindex: number, ifname: string): Promise<void>;

  mapPressure(): Promise<MapPressureInfo[]>;
  /** Per-CPU drop counters summed, by drop reason text name. */
  dropCounters(): Promise<Record<string, number>>;
  /**
   * Starts the flow-event consumer: raw ring-buffer records in batches, plus the kernel's
   * running count of events it could not queue (ring full).
   */
  startEvents(onRecords: (records: Uint8Array[]) => void, onLostTotal: (total: number) => void): void;
  /** Stops event consumers and closes fds; pinned maps and attachments stay. */
  close(): Promise<void>;
  /** Detaches everything and removes the pins (uninstall). */
  uninstall(): Promise<void>;
}
