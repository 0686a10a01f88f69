// Packet tables for NodePort on the uplink (from_netdev / to_netdev) together with the
// pod veth programs: local backends (DNAT only, reply reverse-NATed on the pod veth),
// remote backends (DNAT + SNAT with collision-free ports, replies translated back),
// externalTrafficPolicy=Local, and everything that must pass untouched.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../agent/native/index';
import { DropReason, EventFlag as F, ReservedIdentity } from '../../src/shared/flow/datapath';
import { kernelSkipReason, randomSuffix } from './lib/env';
import { B1, B2, CLIENT_EXT, Fixture, NODE, VIP } from './lib/fixture';
import { buildFrame, buildPacket, ETH_P_ARP, ETH_P_IPV6, TCP } from './lib/packet';
import { Sandbox, sh } from './lib/netns';
import { endpointOf, runSteps, tcp, udp, type Vars } from './lib/steps';

const skip = kernelSkipReason();

const NODEPORTS: ServiceSpec[] = [
  { address: NODE, port: 30080, protocol: 'TCP', revNatId: 100, nodePort: true, backends: [{ id: 1, address: B1.ip, port: 8080 }] },
  { address: NODE, port: 30081, protocol: 'TCP', revNatId: 101, nodePort: true, backends: [{ id: 2, address: B2.ip, port: 8080 }] },
  {
    address: NODE, port: 30082, protocol: 'TCP', revNatId: 102, nodePort: true, externalLocal: true,
    backends: [{ id: 2, address: B2.ip, port: 8080 }, { id: 1, address: B1.ip, port: 8080 }],
  },
  { address: NODE, port: 30083, protocol: 'TCP', revNatId: 103, nodePort: true, externalLocal: true, backends: [{ id: 2, address: B2.ip, port: 8080 }] },
  { address: NODE, port: 30053, protocol: 'UDP', revNatId: 104, nodePort: true, backends: [{ id: 5, address: B2.ip, port: 5353 }] },
];

function natPortOf(v: Vars): number {
  return Number(v.nat!.split(':')[1]);
}

/** A namespace whose routing knows CLIENT_EXT behind a neighbour with a fixed MAC. */
function routedNetns(sb: Sandbox): string {
  const ns = sb.netns('fib');
  sh('ip', ['-n', ns, 'link', 'add', 'ldpfib0', 'type', 'veth', 'peer', 'name', 'ldpfib1']);
  sh('ip', ['-n', ns, 'addr', 'add', '10.251.9.1/24', 'dev', 'ldpfib0']);
  for (const d of ['ldpfib0', 'ldpfib1']) sh('ip', ['-n', ns, 'link', 'set', d, 'up']);
  sh('ip', ['-n', ns, 'neigh', 'replace', CLIENT_EXT, 'lladdr', '02:00:00:00:09:09', 'dev', 'ldpfib0', 'nud', 'permanent']);
  sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  return `/run/netns/${ns}`;
}

describe.skipIf(!!skip)(`NodePort on the uplink${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  const sb = new Sandbox(`lumen-dpt-np${randomSuffix()}`);
  let fibNs = '';
  beforeAll(() => {
    f.start();
    fibNs = routedNetns(sb);
  });
  afterAll(() => {
    f.stop();
    sb.cleanup();
  });
  beforeEach(() => {
    f.reset();
    f.services.writeAll(NODEPORTS);
  });

  it('local backend: DNAT only (client address kept), reply reverse-NATed on the pod veth and forwarded by FIB', () => {
    runSteps(f, [
      {
        prog: 'from_netdev', packet: tcp(CLIENT_EXT, 50000, NODE, 30080, TCP.SYN), verdict: 'pass', src: `${CLIENT_EXT}:50000`, dst: `${B1.ip}:8080`,
        event: { obsPoint: 'from-netdev', flags: F.New | F.Translated | F.NodePort, service: { ip: NODE, port: 30080 }, source: { ip: CLIENT_EXT, port: 50000, identity: ReservedIdentity.World } },
      },
      { prog: 'to_container', packet: tcp(CLIENT_EXT, 50000, B1.ip, 8080, TCP.SYN), verdict: 'pass', unchanged: true, event: { obsPoint: 'to-endpoint', isNew: true, flags: F.New | F.NodePort | F.TcpFlags } },
      {
        // The source is now the node's own address: the stack would drop it as a martian,
        // so the program forwards it itself (FIB lookup in `netns`, neighbour MAC, TTL - 1).
        prog: 'from_container', packet: tcp(B1.ip, 8080, CLIENT_EXT, 50000, TCP.SYN | TCP.ACK), netns: fibNs, verdict: 'redirect',
        src: `${NODE}:30080`, dst: `${CLIENT_EXT}:50000`,
        event: { isReply: true, service: { ip: NODE, port: 30080 }, flags: F.Reply | F.Translated | F.NodePort | F.TcpFlags },
        check: (r) => {
          expect(r.out.subarray(0, 6)).toEqual(Buffer.from([2, 0, 0, 0, 9, 9]));
          expect(r.pkt!.ttl).toBe(63);
        },
      },
      { prog: 'from_netdev', packet: tcp(CLIENT_EXT, 50000, NODE, 30080, TCP.ACK), verdict: 'pass', dst: `${B1.ip}:8080`, event: null },
    ]);
  });

  it('drops a NodePort reply it cannot route with "no route"', () => {
    runSteps(f, [
      { prog: 'from_netdev', packet: tcp(CLIENT_EXT, 50010, NODE, 30080, TCP.SYN), verdict: 'pass', dst: `${B1.ip}:8080` },
      { prog: 'to_container', packet: tcp(CLIENT_EXT, 50010, B1.ip, 8080, TCP.SYN), verdict: 'pass' },
      {
        prog: 'from_container', packet: tcp(B1.ip, 8080, CLIENT_EXT, 50010, TCP.SYN | TCP.ACK), netns: `/run/netns/${sb.netns('empty')}`, verdict: 'drop',
        dropReason: DropReason.NoRoute, event: { dropReasonText: 'no route' },
      },
    ]);
  });

  it('remote backend: DNAT, then SNAT to the node at to_netdev; the reply is translated back in two steps', () => {
    runSteps(f, [
      { prog: 'from_netdev', packet: tcp(CLIENT_EXT, 50001, NODE, 30081, TCP.SYN), verdict: 'pass', src: `${CLIENT_EXT}:50001`, dst: `${B2.ip}:8080`, event: { flags: F.New | F.Translated | F.NodePort | F.Snat } },
      {
        prog: 'to_netdev', packet: tcp(CLIENT_EXT, 50001, B2.ip, 8080, TCP.SYN), verdict: 'pass', dst: `${B2.ip}:8080`,
        capture: (r, v) => { v.nat = endpointOf(r, 'src'); },
        check: (r, v) => {
          expect(r.pkt!.src).toBe(NODE);
          expect(natPortOf(v)).toBeGreaterThanOrEqual(61000);
          expect(r.events[0]).toMatchObject({ obsPoint: 'to-netdev', flags: F.NodePort | F.Snat | F.TcpFlags });
        },
      },
      {
        prog: 'from_netdev', packet: (v) => tcp(B2.ip, 8080, NODE, natPortOf(v), TCP.SYN | TCP.ACK), verdict: 'pass', src: `${B2.ip}:8080`, dst: `${CLIENT_EXT}:50001`,
        event: { isReply: true, flags: F.Reply | F.NodePort | F.Snat | F.TcpFlags },
      },
      {
        prog: 'to_netdev', packet: tcp(B2.ip, 8080, CLIENT_EXT, 50001, TCP.SYN | TCP.ACK), verdict: 'pass', src: `${NODE}:30081`, dst: `${CLIENT_EXT}:50001`,
        event: { isReply: true, service: { ip: NODE, port: 30081 }, flags: F.Reply | F.Translated | F.NodePort | F.TcpFlags },
      },
      { prog: 'to_netdev', packet: tcp(CLIENT_EXT, 50001, B2.ip, 8080, TCP.ACK), verdict: 'pass', src: (v) => v.nat!, event: { flags: F.NodePort | F.Snat | F.TcpFlags, tcpFlags: ['ACK'] } },
      { prog: 'to_netdev', packet: tcp(CLIENT_EXT, 50001, B2.ip, 8080, TCP.ACK), verdict: 'pass', src: (v) => v.nat!, event: null },
    ]);
  });

  it('gives two clients with the same source port different NAT ports towards one backend', () => {
    const nats = new Set<string>();
    for (const client of [CLIENT_EXT, '10.251.9.10', '10.251.9.11']) {
      f.run('from_netdev', buildPacket(tcp(client, 50002, NODE, 30081, TCP.SYN)));
      nats.add(endpointOf(f.run('to_netdev', buildPacket(tcp(client, 50002, B2.ip, 8080, TCP.SYN))), 'src'));
    }
    expect(nats.size).toBe(3);
  });

  it('UDP NodePort to a remote backend round-trips', () => {
    runSteps(f, [
      { prog: 'from_netdev', packet: udp(CLIENT_EXT, 50003, NODE, 30053), verdict: 'pass', dst: `${B2.ip}:5353` },
      { prog: 'to_netdev', packet: udp(CLIENT_EXT, 50003, B2.ip, 5353), verdict: 'pass', capture: (r, v) => { v.nat = endpointOf(r, 'src'); } },
      { prog: 'from_netdev', packet: (v) => udp(B2.ip, 5353, NODE, natPortOf(v), Buffer.from('pong')), verdict: 'pass', dst: `${CLIENT_EXT}:50003` },
      { prog: 'to_netdev', packet: udp(B2.ip, 5353, CLIENT_EXT, 50003, Buffer.from('pong')), verdict: 'pass', src: `${NODE}:30053` },
    ]);
  });

  it('externalTrafficPolicy=Local picks only local backends, and drops when there is none', () => {
    for (let p = 50100; p < 50120; p++) {
      expect(endpointOf(f.run('from_netdev', buildPacket(tcp(CLIENT_EXT, p, NODE, 30082, TCP.SYN))), 'dst')).toBe(`${B1.ip}:8080`);
    }
    runSteps(f, [{
      prog: 'from_netdev', packet: tcp(CLIENT_EXT, 50200, NODE, 30083, TCP.SYN), verdict: 'drop', dropReason: DropReason.NoServiceBackends,
      event: { verdict: 'dropped', dropReasonText: 'no service backends', obsPoint: 'from-netdev', service: { ip: NODE, port: 30083 } },
    }]);
  });

  it('passes everything that is not NodePort untouched and silently', () => {
    const cases = [
      ['from_netdev', buildPacket(tcp(CLIENT_EXT, 50300, B1.ip, 8080, TCP.SYN))],   // already translated by another node
      ['from_netdev', buildPacket(tcp(CLIENT_EXT, 50301, VIP, 80, TCP.SYN))],       // ClusterIP frontend, not NodePort
      ['from_netdev', buildPacket(tcp(CLIENT_EXT, 50302, NODE, 22, TCP.SYN))],      // host service
      ['from_netdev', buildFrame(ETH_P_IPV6, Buffer.alloc(60))],
      ['from_netdev', buildFrame(ETH_P_ARP, Buffer.alloc(28))],
      ['from_netdev', buildPacket({ ...tcp(CLIENT_EXT, 50303, NODE, 30080, TCP.SYN), ip: { src: CLIENT_EXT, dst: NODE, moreFragments: true } })],
      ['to_netdev', buildPacket(tcp(NODE, 50304, CLIENT_EXT, 443, TCP.SYN))],
      ['to_netdev', buildPacket(udp(B1.ip, 53, CLIENT_EXT, 50305))],
    ] as const;
    for (const [prog, data] of cases) runSteps(f, [{ prog, packet: data, verdict: 'pass', unchanged: true, event: null }]);
  });
});

describe.skipIf(!!skip)(`NodePort NAT port exhaustion${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  beforeAll(() => f.start({ natPorts: [61000, 61001] }));
  afterAll(() => f.stop());

  it('drops with "NAT ports exhausted" when every port towards a backend is taken', () => {
    f.reset();
    f.services.writeAll(NODEPORTS);
    for (const client of ['10.251.9.20', '10.251.9.21']) {
      expect(f.run('from_netdev', buildPacket(tcp(client, 50400, NODE, 30081, TCP.SYN))).retval).toBe(0);
    }
    runSteps(f, [{
      prog: 'from_netdev', packet: tcp('10.251.9.22', 50400, NODE, 30081, TCP.SYN), verdict: 'drop',
      dropReason: DropReason.NatPortsExhausted, event: { dropReasonText: 'NAT ports exhausted' },
    }]);
  });
});
