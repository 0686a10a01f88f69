// B5: per-packet cost of the pod-veth program through BPF_PROG_TEST_RUN with the maps
// 1% / 50% / 100% full (production sizes), against an empty tc program measured the same
// way so the test-run timer's own overhead can be taken out.
import {
  BpfObjectFile, Datapath, EndpointTable, PolicyTable, ServiceTable, drainFlowEvents, type ServiceSpec,
} from '../../../agent/native/index';
import { CtScope } from '../../../agent/native/abi';
import { loadBinding } from '../../../agent/native/binding';
import { buildPacket, TCP } from '../../../bpf/tests/lib/packet';
import { tcp } from '../../../bpf/tests/lib/steps';
import { log, round, stats } from './env';

const A = { ip: '10.250.1.10', ep: 7, id: 1001 };
const VIP = '10.96.0.5';
const BACKENDS = ['10.250.2.10', '10.250.2.11', '10.250.2.12'];
const REMOTE = { ip: '10.250.3.3', id: 3003 };

function ip(base: number, i: number): string {
  const n = (base + i) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Fills every map the packet path reads to `fill` of its capacity, leaving room for the
 *  measured flow's own entries. */
function fillMaps(dp: Datapath, fill: number): Record<string, number> {
  const m = dp.maps;
  const cap = (map: { info: { maxEntries: number } }, reserve: number) => Math.max(0, Math.floor(map.info.maxEntries * fill) - reserve);
  const counts: Record<string, number> = {};

  const nBackends = cap(m.backends, 3);
  m.backends.setMany(Array.from({ length: nBackends }, (_, i) => [10 + i, { addr: ip(0x0a000000, i), port: 8080, state: 0 }] as const));
  counts.backends = nBackends;
  const nServices = Math.floor(cap(m.services, 4) / 4);
  const specs: ServiceSpec[] = Array.from({ length: nServices }, (_, i) => ({
    address: ip(0x0a600100, i), port: 80, protocol: 'TCP', revNatId: (i % 65000) + 2,
    backends: [0, 1, 2].map((j) => ({ id: 10 + ((i * 3 + j) % Math.max(nBackends, 1)), address: ip(0x0a000000, (i * 3 + j) % Math.max(nBackends, 1)), port: 8080 })),
  }));
  new ServiceTable(m).writeAll(specs);
  counts.services = nServices * 4;

  const nCt = cap(m.ct, 0);
  for (let off = 0; off < nCt; off += 65536) {
    const chunk = Array.from({ length: Math.min(65536, nCt - off) }, (_, k) => {
      const i = off + k;
      return [{ saddr: ip(0x0b000000, i >>> 4), daddr: ip(0x0c000000, i & 0xffff), sport: 1024 + (i % 60000), dport: 443, proto: 6, scope: i % 3 }, {
        last_seen_ns: 0, last_report_ns: 0, tx_packets: 1, tx_bytes: 60, rx_packets: 0, rx_bytes: 0, backend_id: 0,
        nat_addr: '0.0.0.0', nat_port: 0, rev_nat_id: 0, tx_tcp_flags: 2, rx_tcp_flags: 0, flags: 0,
        verdict: 0, policy_rev: 0, remote_identity: 0, rule_id: 0,
      }] as const;
    });
    m.ct.setMany(chunk);
  }
  counts.ct = nCt;

  const nIpc = cap(m.ipcache, 4);
  m.ipcache.setMany(Array.from({ length: nIpc }, (_, i) => [{ prefixlen: 32, addr: ip(0x0af00000, i) }, { identity: 256 + (i % 5000), flags: 0 }] as const));
  counts.ipcache = nIpc;
  const nEp = cap(m.endpoints, 1);
  m.endpoints.setMany(Array.from({ length: nEp }, (_, i) => [ip(0x0af10000, i), { ifindex: 1000 + i, endpoint_id: 100 + i, identity: 256 + (i % 5000), flags: 3 }] as const));
  counts.endpoints = nEp;
  const nPol = cap(m.policy, 4);
  m.policy.setMany(Array.from({ length: nPol }, (_, i) => [
    { prefixlen: 96, endpoint_id: 100 + (i >>> 6), identity: 256 + (i % 4999), direction: i & 1, proto: 6, port: 1 + (i & 63) },
    { rule_id: i + 1, verdict: 1 },
  ] as const));
  counts.policy = nPol;
  return counts;
}

function median(xs: number[]): number {
  return stats(xs).p50;
}

function timeRuns(run: (i: number) => number, n: number): { p50: number; p99: number } {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(run(i));
  const s = stats(xs);
  return { p50: s.p50, p99: s.p99 };
}

export interface B5Row {
  fill: number;
  entries: Record<string, number>;
  noopNs: number;
  /** established packet to a ClusterIP: svc lookup, SERVICE ct, DNAT, endpoint ct, identities, policy */
  establishedLbNs: number;
  establishedLbP99Ns: number;
  establishedLbNetNs: number;
  /** first packet of a new connection: choose a backend, two ct entries, policy, event */
  newConnNs: number;
  newConnNetNs: number;
  /** established non-translated packet, repeat mode (no per-call overhead) */
  establishedRepeatNetNs: number;
}

export function runB5(opts: { pinDir: string; objectDir: string; noopObject: string; fills: number[]; runs: number; repeat: number }): B5Row[] {
  const noop = new BpfObjectFile(opts.noopObject);
  noop.load();
  const noopFd = noop.program('lumen_noop').fd;
  const rows: B5Row[] = [];
  try {
    for (const fill of opts.fills) {
      Datapath.unpin(opts.pinDir);
      const dp = Datapath.load({ pinDir: opts.pinDir, objectDir: opts.objectDir, objects: ['lxc'] });
      try {
        const t0 = Date.now();
        const entries = fillMaps(dp, fill);
        log(`B5 fill ${fill * 100}%: ${Object.entries(entries).map(([k, v]) => `${k} ${v}`).join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        new EndpointTable(dp.maps.endpoints).upsert({ address: A.ip, ifindex: 1, endpointId: A.ep, identity: A.id, enforceEgress: true, enforceIngress: true });
        dp.maps.ipcache.setMany([...BACKENDS.map((b) => [{ prefixlen: 32, addr: b }, { identity: 2001, flags: 0 }] as const), [{ prefixlen: 32, addr: REMOTE.ip }, { identity: REMOTE.id, flags: 0 }] as const]);
        new ServiceTable(dp.maps).upsert({ address: VIP, port: 80, protocol: 'TCP', revNatId: 1, backends: BACKENDS.map((b, i) => ({ id: 1 + i, address: b, port: 8080 })) });
        new PolicyTable(dp.maps.policy).replaceEndpoint(A.ep, [
          { endpointId: A.ep, direction: 'egress', remoteIdentity: 2001, protocol: 6, portLow: 8080, portHigh: 8080, verdict: 'allow', ruleId: 5 },
          { endpointId: A.ep, direction: 'ingress', remoteIdentity: REMOTE.id, protocol: 6, portLow: 9000, portHigh: 9000, verdict: 'allow', ruleId: 6 },
        ]);
        const b = loadBinding();
        const fromFd = dp.program('from_container').fd;
        const toFd = dp.program('to_container').fd;
        const ack = buildPacket(tcp(A.ip, 40000, VIP, 80, TCP.ACK));
        const noopOnce = timeRuns(() => b.testRun(noopFd, { data: ack }).durationNs, opts.runs);
        if (b.testRun(fromFd, { data: buildPacket(tcp(A.ip, 40000, VIP, 80, TCP.SYN)) }).retval !== 0) throw new Error('[bench] B5: SYN to the VIP was not forwarded');
        if (!dp.maps.ct.get({ saddr: A.ip, daddr: VIP, sport: 40000, dport: 80, proto: 6, scope: CtScope.Service })) throw new Error('[bench] B5: no SERVICE conntrack entry after the SYN');
        const est = timeRuns(() => b.testRun(fromFd, { data: ack }).durationNs, opts.runs);
        const syn = buildPacket(tcp(A.ip, 20000, VIP, 80, TCP.SYN));
        const fresh = timeRuns((i) => {
          if (i % 1000 === 0) drainFlowEvents(dp.eventsFd);
          // A new source port each run (the program does not check the TCP checksum).
          syn.writeUInt16BE(20000 + (i % 40000), 34);
          return b.testRun(fromFd, { data: syn }).durationNs;
        }, opts.runs);
        const inbound = buildPacket(tcp(REMOTE.ip, 5555, A.ip, 9000, TCP.SYN));
        b.testRun(toFd, { data: inbound });
        const inboundAck = buildPacket(tcp(REMOTE.ip, 5555, A.ip, 9000, TCP.ACK));
        const rep = median(Array.from({ length: 5 }, () => b.testRun(toFd, { data: inboundAck, repeat: opts.repeat }).durationNs));
        const repNoop = median(Array.from({ length: 5 }, () => b.testRun(noopFd, { data: inboundAck, repeat: opts.repeat }).durationNs));
        drainFlowEvents(dp.eventsFd);
        const row: B5Row = {
          fill, entries, noopNs: noopOnce.p50,
          establishedLbNs: est.p50, establishedLbP99Ns: est.p99, establishedLbNetNs: round(est.p50 - noopOnce.p50, 1),
          newConnNs: fresh.p50, newConnNetNs: round(fresh.p50 - noopOnce.p50, 1),
          establishedRepeatNetNs: round(rep - repNoop, 1),
        };
        log(`B5 fill ${fill * 100}%: established LB+CT+policy ${row.establishedLbNetNs} ns net (${est.p50} raw, noop ${noopOnce.p50}), new connection ${row.newConnNetNs} ns net, established (repeat) ${row.establishedRepeatNetNs} ns`);
        rows.push(row);
      } finally {
        dp.close();
      }
    }
  } finally {
    noop.close();
    Datapath.unpin(opts.pinDir);
  }
  return rows;
}
