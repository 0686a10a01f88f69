// Real traffic through the datapath: pods as network namespaces on two nodes, the
// programs loaded and attached by the addon on node1, TCP and UDP to a ClusterIP through
// the socket LB and the tc LB, NodePort from outside, a deny rule, a removed backend
// with an open connection, and an agent restart under live connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Datapath} from '../../agent/native/index';
import { EndpointTable, FlowEventReader, IpcacheTable, PolicyTable, ServiceTable, type FlowEvent, type ServiceSpec,
} from '../../agent/native/index';
import { DropReason, ReservedIdentity } from '../../src/shared/flow/datapath';
import { kernelSkipReason, loadTestDatapath, randomSuffix, removePins, requireBuilt, testPinDir } from './lib/env';
import { Sandbox } from './lib/netns';
import { buildTopology, Driver, startServer, type Topology } from './lib/topology';

const skip = kernelSkipReason();
const VIP = '10.250.100.1';
const VIP_EMPTY = '10.250.100.2';
const VIP_AFFINITY = '10.250.100.3';
const ID = { c: 1001, b1: 2001, b2: 2002 };

function services(t: Topology, opts: { drop?: 'b1' | 'b2' } = {}): ServiceSpec[] {
  const tcp = [{ id: 1, address: t.b1.ip, port: 8080 }, { id: 2, address: t.b2.ip, port: 8080 }].filter((b) => b.id !== (opts.drop === 'b1' ? 1 : opts.drop === 'b2' ? 2 : 0));
  return [
    { address: VIP, port: 80, protocol: 'TCP', revNatId: 1, backends: tcp },
    { address: VIP, port: 53, protocol: 'UDP', revNatId: 2, backends: [{ id: 3, address: t.b1.ip, port: 5353 }, { id: 4, address: t.b2.ip, port: 5353 }] },
    { address: t.node1Addr, port: 30080, protocol: 'TCP', revNatId: 10, nodePort: true, backends: [{ id: 1, address: t.b1.ip, port: 8080 }] },
    { address: t.node1Addr, port: 30081, protocol: 'TCP', revNatId: 11, nodePort: true, backends: [{ id: 2, address: t.b2.ip, port: 8080 }] },
    { address: t.node1Addr, port: 30053, protocol: 'UDP', revNatId: 12, nodePort: true, backends: [{ id: 4, address: t.b2.ip, port: 5353 }] },
    { address: t.node1Addr, port: 30082, protocol: 'TCP', revNatId: 13, nodePort: true, externalLocal: true, backends: [{ id: 2, address: t.b2.ip, port: 8080 }] },
    { address: VIP_EMPTY, port: 80, protocol: 'TCP', revNatId: 14, backends: [] },
    { address: VIP_AFFINITY, port: 80, protocol: 'TCP', revNatId: 15, affinityTimeoutSec: 300, backends: [{ id: 1, address: t.b1.ip, port: 8080 }, { id: 2, address: t.b2.ip, port: 8080 }] },
  ];
}

async function many<T extends { ok: boolean; error?: string }>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fn();
    if (!r.ok) throw new Error(`request ${i + 1} failed: ${r.error}`);
    out.push(r);
  }
  return out;
}

describe.skipIf(!!skip)(`real traffic in namespaces${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const sb = new Sandbox(`lumen-dpt-${randomSuffix()}`);
  const pinDir = testPinDir();
  let t: Topology;
  let dp: Datapath;
  let cg: string;
  let reader: FlowEventReader | undefined;
  const events: FlowEvent[] = [];
  let sockDriver: Driver;
  let tcDriver: Driver;
  let extDriver: Driver;
  const node1 = () => `/run/netns/${t.node1}`;

  function attachAll(d: Datapath) {
    d.attachEndpoint(t.client.hostIfindex, { netns: node1() });
    d.attachEndpoint(t.b1.hostIfindex, { netns: node1() });
    d.attachUplink(t.uplink.ifindex, { netns: node1() });
    d.attachUplink(t.interNode.ifindex, { netns: node1() });
    d.attachCgroup(cg);
  }

  beforeAll(async () => {
    requireBuilt();
    t = buildTopology(sb, `ldp${randomSuffix().slice(0, 4)}`);
    cg = sb.cgroup('sock');
    dp = loadTestDatapath(pinDir, { config: { nodeAddress: t.node1Addr } });
    const eps = new EndpointTable(dp.maps.endpoints);
    eps.upsert({ address: t.client.ip, ifindex: t.client.hostIfindex, endpointId: 1, identity: ID.c });
    eps.upsert({ address: t.b1.ip, ifindex: t.b1.hostIfindex, endpointId: 2, identity: ID.b1 });
    new IpcacheTable(dp.maps.ipcache).setMany([
      [`${t.b2.ip}/32`, ID.b2], ['10.251.1.2/32', ReservedIdentity.RemoteNode],
      ['10.251.0.1/32', ReservedIdentity.Host], ['10.251.1.1/32', ReservedIdentity.Host], ['10.250.10.1/32', ReservedIdentity.Host],
    ]);
    new ServiceTable(dp.maps).writeAll(services(t));
    attachAll(dp);
    reader = new FlowEventReader(dp.eventsFd, (evs) => events.push(...evs));
    await Promise.all([startServer(sb, t.b1, 8080, 5353), startServer(sb, t.b2, 8080, 5353)]);
    [sockDriver, tcDriver, extDriver] = await Promise.all([Driver.start(sb, t.client.ns, cg), Driver.start(sb, t.client.ns), Driver.start(sb, t.ext)]);
  });

  afterAll(() => {
    for (const d of [sockDriver, tcDriver, extDriver]) d?.close();
    reader?.close();
    dp?.close();
    removePins(pinDir); // detaches the cgroup links pinned there
    sb.cleanup(); // processes, namespaces (their veths and tc filters go with them), cgroup
  });

  async function eventuallyEvent(pred: (e: FlowEvent) => boolean, what: string): Promise<FlowEvent> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const e = events.find(pred);
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no flow event ${what} among ${events.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('TCP to a ClusterIP through the socket LB reaches both backends and shows the service address', async () => {
    const before = dp.counters().sockTranslated;
    const rs = await many(30, () => sockDriver.tcp(VIP, 80));
    expect(new Set(rs.map((r) => r.server))).toEqual(new Set(['b1', 'b2']));
    expect(new Set(rs.map((r) => r.peer))).toEqual(new Set([`${VIP}:80`]));
    for (const r of rs) expect(r.seenAs).toMatch(/^10\.250\.10\.10:\d+$/);
    expect(dp.counters().sockTranslated - before).toBeGreaterThanOrEqual(30);
  });

  it('UDP to a ClusterIP through the socket LB reaches both backends; answers come from the service', async () => {
    const rs = await many(30, () => sockDriver.udp(VIP, 53));
    expect(new Set(rs.map((r) => r.server))).toEqual(new Set(['b1', 'b2']));
    expect(new Set(rs.map((r) => r.from))).toEqual(new Set([`${VIP}:53`]));
  });

  it('connected UDP through the socket LB: getpeername and the answers show the service address', async () => {
    const rs = await many(20, () => sockDriver.cmd('udp-connected', { host: VIP, port: 53 }));
    expect(new Set(rs.map((r) => r.server))).toEqual(new Set(['b1', 'b2']));
    expect(new Set(rs.map((r) => r.peer))).toEqual(new Set([`${VIP}:53`]));
    expect(new Set(rs.map((r) => r.from))).toEqual(new Set([`${VIP}:53`]));
  });

  it('TCP and UDP to a ClusterIP from outside the socket-LB cgroup are load balanced by tc', async () => {
    const before = dp.counters().tcTranslated;
    const tcpR = await many(30, () => tcDriver.tcp(VIP, 80));
    expect(new Set(tcpR.map((r) => r.server))).toEqual(new Set(['b1', 'b2']));
    expect(new Set(tcpR.map((r) => r.peer))).toEqual(new Set([`${VIP}:80`]));
    const udpR = await many(30, () => tcDriver.udp(VIP, 53));
    expect(new Set(udpR.map((r) => r.server))).toEqual(new Set(['b1', 'b2']));
    expect(new Set(udpR.map((r) => r.from))).toEqual(new Set([`${VIP}:53`]));
    expect(dp.counters().tcTranslated - before).toBeGreaterThanOrEqual(60);
    const ev = await eventuallyEvent((e) => e.obsPoint === 'from-endpoint' && e.isNew && e.service?.ip === VIP && e.protocol === 6, 'for a translated TCP connection');
    expect(ev).toMatchObject({ verdict: 'forwarded', endpointId: 1, source: { ip: t.client.ip, identity: ID.c }, service: { ip: VIP, port: 80 } });
    expect([t.b1.ip, t.b2.ip]).toContain(ev.destination.ip);
  });

  it('a service without backends refuses connections on both paths with "no service backends"', async () => {
    const viaSock = await sockDriver.tcp(VIP_EMPTY, 80, 800);
    expect(viaSock.ok).toBe(false);
    expect(viaSock.error).toMatch(/EPERM|not permitted/);
    await eventuallyEvent((e) => e.obsPoint === 'sock' && e.dropReasonText === 'no service backends' && e.service?.ip === VIP_EMPTY, 'from the socket LB');
    expect((await tcDriver.tcp(VIP_EMPTY, 80, 800)).ok).toBe(false);
    await eventuallyEvent((e) => e.obsPoint === 'from-endpoint' && e.dropReasonText === 'no service backends' && e.service?.ip === VIP_EMPTY, 'from the pod veth');
  });

  it('sessionAffinity=ClientIP keeps every connection of a client on one backend (socket and tc LB)', async () => {
    for (const drv of [sockDriver, tcDriver]) {
      const rs = await many(12, () => drv.tcp(VIP_AFFINITY, 80));
      expect(new Set(rs.map((r) => r.server)).size).toBe(1);
    }
  });

  it('a deny rule blocks a new connection and the event names the rule id', async () => {
    const eps = new EndpointTable(dp.maps.endpoints);
    const policy = new PolicyTable(dp.maps.policy);
    eps.upsert({ address: t.client.ip, ifindex: t.client.hostIfindex, endpointId: 1, identity: ID.c, enforceEgress: true });
    policy.replaceEndpoint(1, [
      { endpointId: 1, direction: 'egress', remoteIdentity: ID.b2, protocol: 6, portLow: 8080, portHigh: 8080, verdict: 'allow', ruleId: 1 },
      { endpointId: 1, direction: 'egress', remoteIdentity: ID.b1, protocol: 6, portLow: 8000, portHigh: 8999, verdict: 'deny', ruleId: 4242 },
    ]);
    try {
      const blocked = await tcDriver.tcp(t.b1.ip, 8080, 800);
      expect(blocked.ok).toBe(false);
      const drop = await eventuallyEvent((e) => e.verdict === 'dropped' && e.destination.ip === t.b1.ip && e.ruleId === 4242, 'for the denied SYN');
      expect(drop).toMatchObject({ dropReason: DropReason.PolicyDenied, dropReasonText: 'policy denied', obsPoint: 'from-endpoint', endpointId: 1, destination: { port: 8080, identity: ID.b1 } });
      const allowed = await tcDriver.tcp(t.b2.ip, 8080, 2000);
      expect(allowed).toMatchObject({ ok: true, server: 'b2' });
      await eventuallyEvent((e) => e.verdict === 'forwarded' && e.isNew && e.destination.ip === t.b2.ip && e.ruleId === 1, 'for the allowed connection');
    } finally {
      policy.removeEndpoint(1);
      eps.upsert({ address: t.client.ip, ifindex: t.client.hostIfindex, endpointId: 1, identity: ID.c });
    }
  });

  for (const via of ['tc', 'sock'] as const) {
    it(`removing a backend keeps its established connection until it closes (${via} LB)`, async () => {
      const drv = via === 'tc' ? tcDriver : sockDriver;
      const svc = new ServiceTable(dp.maps);
      const open = await drv.cmd('tcp-open', { host: VIP, port: 80, conn: `keep-${via}` });
      expect(open.ok).toBe(true);
      const kept = open.server as 'b1' | 'b2';
      svc.upsert(services(t, { drop: kept })[0]!);
      try {
        const fresh = await many(10, () => drv.tcp(VIP, 80));
        expect(new Set(fresh.map((r) => r.server))).toEqual(new Set([kept === 'b1' ? 'b2' : 'b1']));
        for (let i = 0; i < 3; i++) expect(await drv.cmd('tcp-send', { conn: `keep-${via}`, text: `still ${i}` })).toMatchObject({ ok: true, reply: `${kept} still ${i}` });
        expect((await drv.cmd('tcp-close', { conn: `keep-${via}` })).ok).toBe(true);
      } finally {
        svc.upsert(services(t)[0]!);
      }
    });
  }

  it('NodePort from outside: a local backend sees the client, a remote one the node; replies show the node', async () => {
    const local = await extDriver.tcp(t.node1Addr, 30080);
    expect(local).toMatchObject({ ok: true, server: 'b1', peer: `${t.node1Addr}:30080` });
    expect(local.seenAs).toMatch(new RegExp(`^${t.extAddr.replace(/\./g, '\\.')}:`));
    const remote = await many(5, () => extDriver.tcp(t.node1Addr, 30081));
    for (const r of remote) {
      expect(r).toMatchObject({ server: 'b2', peer: `${t.node1Addr}:30081` });
      const [ip, port] = r.seenAs!.split(':');
      expect(ip).toBe(t.node1Addr);
      expect(Number(port)).toBeGreaterThanOrEqual(61000);
    }
    expect(await extDriver.udp(t.node1Addr, 30053)).toMatchObject({ ok: true, server: 'b2', from: `${t.node1Addr}:30053` });
    const before = dp.dropCounters().find((d) => d.reason === DropReason.NoServiceBackends)!.packets;
    expect((await extDriver.tcp(t.node1Addr, 30082, 800)).ok).toBe(false);
    expect(dp.dropCounters().find((d) => d.reason === DropReason.NoServiceBackends)!.packets).toBeGreaterThan(before);
  });

  it('an agent restart (reload + re-attach in place) keeps live connections and service', async () => {
    const open = await tcDriver.cmd('tcp-open', { host: VIP, port: 80, conn: 'restart' });
    expect(open.ok).toBe(true);
    reader?.close();
    dp.close();
    dp = loadTestDatapath(pinDir, { config: { nodeAddress: t.node1Addr } });
    attachAll(dp);
    reader = new FlowEventReader(dp.eventsFd, (evs) => events.push(...evs));
    expect(await tcDriver.cmd('tcp-send', { conn: 'restart', text: 'after' })).toMatchObject({ ok: true, reply: `${open.server} after` });
    expect(await sockDriver.tcp(VIP, 80)).toMatchObject({ ok: true, peer: `${VIP}:80` });
    expect(await tcDriver.udp(VIP, 53)).toMatchObject({ ok: true, from: `${VIP}:53` });
    await tcDriver.cmd('tcp-close', { conn: 'restart' });
  });
});
