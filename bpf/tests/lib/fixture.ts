// Shared topology and runner for the packet-table tests: a datapath loaded into a private
// pin directory, typed tables over its maps, and run() = BPF_PROG_TEST_RUN + the events
// and drop counters the run produced.
import type {
  Datapath} from '../../../agent/native/index';
import { EndpointTable, IpcacheTable, PolicyTable, ServiceTable, drainFlowEvents,
  type DatapathConfig, type FlowEvent, type ServiceSpec,
} from '../../../agent/native/index';
import { loadTestDatapath, removePins, requireBuilt, testPinDir } from './env';
import { parsePacket, verifyChecksums, type ParsedPacket } from './packet';

export const TC_ACT_OK = 0;
export const TC_ACT_SHOT = 2;
export const TC_ACT_REDIRECT = 7;

/** test_run gives every skb ifindex 1 (lo) unless told otherwise. */
export const TEST_IFINDEX = 1;

export const A = { ip: '10.250.1.10', ep: 101, id: 1001 };      // client pod on this node
export const A2 = { ip: '10.250.1.11', ep: 102, id: 1001 };     // second client pod, same identity
export const B1 = { ip: '10.250.2.10', ep: 201, id: 2001 };     // backend pod on this node
export const B2 = { ip: '10.250.2.11', id: 2002 };               // backend pod on another node
export const PEER = { ip: '10.250.3.3', id: 3003 };              // remote pod (ipcache)
export const WORLD_IP = '10.251.7.7';                            // nobody knows it: world
export const NODE = '10.250.0.1';
export const CLIENT_EXT = '10.251.9.9';                          // NodePort client outside the cluster

export const VIP = '10.250.100.1';
export const VIP_EMPTY = '10.250.100.2';
export const VIP_TERM = '10.250.100.3';
export const VIP_AFF = '10.250.100.4';

export const SERVICES: ServiceSpec[] = [
  {
    address: VIP, port: 80, protocol: 'TCP', revNatId: 1,
    backends: [{ id: 1, address: B1.ip, port: 8080 }, { id: 2, address: B2.ip, port: 8080 }],
  },
  { address: VIP, port: 53, protocol: 'UDP', revNatId: 2, backends: [{ id: 3, address: B1.ip, port: 5353 }] },
  { address: VIP_EMPTY, port: 80, protocol: 'TCP', revNatId: 3, backends: [] },
  {
    address: VIP_AFF, port: 80, protocol: 'TCP', revNatId: 5, affinityTimeoutSec: 600,
    backends: [{ id: 1, address: B1.ip, port: 8080 }, { id: 2, address: B2.ip, port: 8080 }],
  },
];

export interface RunResult {
  retval: number;
  out: Buffer;
  pkt: ParsedPacket | undefined;
  checksums: { ip: boolean; l4: boolean } | undefined;
  events: FlowEvent[];
  /** Drop counter increments by reason during this run. */
  drops: Map<number, number>;
}

export class Fixture {
  readonly pinDir = testPinDir();
  dp!: Datapath;
  services!: ServiceTable;
  policy!: PolicyTable;
  endpoints!: EndpointTable;
  ipcache!: IpcacheTable;

  start(config: DatapathConfig = {}): void {
    requireBuilt();
    this.dp = loadTestDatapath(this.pinDir, { config });
    this.services = new ServiceTable(this.dp.maps);
    this.policy = new PolicyTable(this.dp.maps.policy);
    this.endpoints = new EndpointTable(this.dp.maps.endpoints);
    this.ipcache = new IpcacheTable(this.dp.maps.ipcache);
  }

  stop(): void {
    this.dp?.close();
    removePins(this.pinDir);
  }

  /** Empties every map and writes the standard topology. */
  reset(opts: { enforce?: { a?: 'ingress' | 'egress' | 'both'; b1?: 'ingress' | 'egress' | 'both' }; audit?: boolean } = {}): void {
    const m = this.dp.maps;
    for (const map of [m.services, m.backends, m.revNat, m.ct, m.ipcache, m.endpoints, m.policy, m.affinity, m.sock]) map.clear();
    this.policy = new PolicyTable(m.policy);
    drainFlowEvents(this.dp.eventsFd);
    const flags = (e: 'ingress' | 'egress' | 'both' | undefined) => ({
      enforceIngress: e === 'ingress' || e === 'both', enforceEgress: e === 'egress' || e === 'both', audit: !!opts.audit,
    });
    this.endpoints.upsert({ address: A.ip, ifindex: TEST_IFINDEX, endpointId: A.ep, identity: A.id, ...flags(opts.enforce?.a) });
    this.endpoints.upsert({ address: A2.ip, ifindex: TEST_IFINDEX, endpointId: A2.ep, identity: A2.id });
    this.endpoints.upsert({ address: B1.ip, ifindex: TEST_IFINDEX, endpointId: B1.ep, identity: B1.id, ...flags(opts.enforce?.b1) });
    this.ipcache.setMany([[`${B2.ip}/32`, B2.id], [`${PEER.ip}/32`, PEER.id], [`${NODE}/32`, 1], ['10.250.0.0/24', 6]]);
    this.services.writeAll(SERVICES);
  }

  private dropSnapshot(): Map<number, number> {
    return new Map(this.dp.dropCounters().map((d) => [d.reason, d.packets]));
  }

  /** Runs `program` on `data`; helpers that consult routing (FIB) see `netns` if given. */
  run(program: string, data: Buffer, netns?: string): RunResult {
    const before = this.dropSnapshot();
    const r = this.dp.testRun(program, { data, ...(netns ? { netns } : {}) });
    const after = this.dropSnapshot();
    const drops = new Map<number, number>();
    for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) drops.set(k, v - (before.get(k) ?? 0));
    let pkt: ParsedPacket | undefined;
    let checksums: RunResult['checksums'];
    try {
      pkt = parsePacket(r.data);
      checksums = verifyChecksums(r.data);
    } catch {
      pkt = undefined;
    }
    return { retval: r.retval, out: r.data, pkt, checksums, events: drainFlowEvents(this.dp.eventsFd), drops };
  }
}
