// Packet tables for what is not a clean TCP/UDP packet: truncated and malformed headers,
// IP options, fragments, non-IP frames, other protocols, spoofed sources, unknown
// endpoints, ICMP echo and errors. Nothing may crash; drops carry the right reason.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DropReason } from '../../src/shared/flow/datapath';
import { kernelSkipReason } from './lib/env';
import { A, B1, Fixture, PEER, TEST_IFINDEX, VIP } from './lib/fixture';
import {
  buildFrame, buildIp, buildPacket, ETH_P_ARP, ETH_P_IPV6, PROTO, recordRouteOption, TCP, type PacketSpec,
} from './lib/packet';
import { runSteps, tcp, udp, type Step } from './lib/steps';

const skip = kernelSkipReason();

const synToB1: PacketSpec = tcp(A.ip, 40000, B1.ip, 8080, TCP.SYN);
const base = buildPacket(synToB1);

function patched(mutate: (b: Buffer) => void, from: Buffer = base): Buffer {
  const b = Buffer.from(from);
  mutate(b);
  return b;
}

interface DropCase {
  name: string;
  prog?: Step['prog'];
  packet: Buffer | PacketSpec;
  reason: number;
  text: string;
}

const M = DropReason.Malformed;
const DROPS: DropCase[] = [
  // BPF_PROG_TEST_RUN itself refuses IPv4 frames shorter than a full IPv4 header
  // (EINVAL), so the shortest truncations start at Ethernet + 20 bytes.
  { name: 'IPv4 header without any L4 bytes', packet: base.subarray(0, 34), reason: M, text: 'malformed packet' },
  { name: 'IHL below 5', packet: patched((b) => { b[14] = 0x44; }), reason: M, text: 'malformed packet' },
  { name: 'IP version 6 inside an IPv4 frame', packet: patched((b) => { b[14] = 0x65; }), reason: M, text: 'malformed packet' },
  { name: 'total length beyond the frame', packet: patched((b) => b.writeUInt16BE(1500, 16)), reason: M, text: 'malformed packet' },
  { name: 'total length shorter than the header', packet: patched((b) => b.writeUInt16BE(12, 16)), reason: M, text: 'malformed packet' },
  { name: 'IHL says options the frame does not have', packet: patched((b) => { b[14] = 0x4f; }, base.subarray(0, 14 + 40)), reason: M, text: 'malformed packet' },
  { name: 'TCP header cut at 10 bytes', packet: buildPacket({ ip: { src: A.ip, dst: B1.ip, protocol: PROTO.TCP }, raw: Buffer.alloc(10) }), reason: M, text: 'malformed packet' },
  { name: 'TCP data offset below 5', packet: buildPacket({ ...synToB1, tcp: { ...synToB1.tcp!, doff: 4 } }), reason: M, text: 'malformed packet' },
  { name: 'UDP header cut at 4 bytes', packet: buildPacket({ ip: { src: A.ip, dst: B1.ip, protocol: PROTO.UDP }, raw: Buffer.alloc(4) }), reason: M, text: 'malformed packet' },
  { name: 'ICMP header cut at 4 bytes', packet: buildPacket({ ip: { src: A.ip, dst: B1.ip, protocol: PROTO.ICMP }, raw: Buffer.alloc(4) }), reason: M, text: 'malformed packet' },
  { name: 'first fragment (MF set)', packet: { ...synToB1, ip: { ...synToB1.ip, moreFragments: true } }, reason: DropReason.Fragment, text: 'fragmented packet' },
  { name: 'later fragment (offset set)', packet: { ip: { src: A.ip, dst: B1.ip, protocol: PROTO.UDP, fragOffset: 185 }, raw: Buffer.alloc(64) }, reason: DropReason.Fragment, text: 'fragmented packet' },
  { name: 'IPv6 frame', packet: buildFrame(ETH_P_IPV6, Buffer.alloc(60)), reason: DropReason.UnsupportedL3, text: 'unsupported L3 protocol' },
  { name: '802.1Q tagged frame', packet: buildFrame(0x8100, Buffer.alloc(60)), reason: DropReason.UnsupportedL3, text: 'unsupported L3 protocol' },
  { name: 'GRE', packet: { ip: { src: A.ip, dst: B1.ip, protocol: PROTO.GRE }, raw: Buffer.alloc(16) }, reason: DropReason.UnsupportedL4, text: 'unsupported protocol' },
  { name: 'a source that is no endpoint (spoofed)', packet: tcp('10.250.1.99', 40000, B1.ip, 8080, TCP.SYN), reason: DropReason.InvalidSource, text: 'invalid source address' },
  { name: 'to an address that is no endpoint here', prog: 'to_container', packet: tcp(A.ip, 40000, '10.250.2.99', 8080, TCP.SYN), reason: DropReason.UnknownEndpoint, text: 'unknown endpoint' },
  { name: 'truncated headers on the way in too', prog: 'to_container', packet: base.subarray(0, 39), reason: M, text: 'malformed packet' },
];

describe.skipIf(!!skip)(`parsing on pod veths${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  beforeAll(() => f.start());
  afterAll(() => f.stop());
  beforeEach(() => f.reset());

  for (const c of DROPS) {
    it(`drops ${c.name}: "${c.text}"`, () => {
      runSteps(f, [{
        prog: c.prog ?? 'from_container', packet: c.packet, verdict: 'drop', dropReason: c.reason,
        event: { verdict: 'dropped', dropReason: c.reason, dropReasonText: c.text },
      }]);
    });
  }

  it('passes ARP untouched and silently', () => {
    const arp = buildFrame(ETH_P_ARP, Buffer.alloc(28, 7));
    for (const prog of ['from_container', 'to_container'] as const) runSteps(f, [{ prog, packet: arp, verdict: 'pass', unchanged: true, event: null }]);
  });

  it('load balances a SYN carrying IP options (Record Route) and keeps both checksums right', () => {
    runSteps(f, [{
      prog: 'from_container', packet: { ...tcp(A.ip, 40100, VIP, 80, TCP.SYN), ip: { src: A.ip, dst: VIP, options: recordRouteOption(9) } },
      verdict: 'pass', dst: [`${B1.ip}:8080`, '10.250.2.11:8080'],
      check: (r) => expect(r.pkt!.ihl).toBe(60),
    }]);
  });

  it('accepts Ethernet padding after a short IP packet', () => {
    const padded = Buffer.concat([buildPacket(udp(A.ip, 40101, B1.ip, 9, Buffer.alloc(0))), Buffer.alloc(18)]);
    runSteps(f, [{ prog: 'from_container', packet: padded, verdict: 'pass', unchanged: true, event: { isNew: true, protocol: 17 } }]);
  });

  it('drops a packet from an endpoint address on the wrong veth (invalid source)', () => {
    f.endpoints.upsert({ address: A.ip, ifindex: TEST_IFINDEX + 4000, endpointId: A.ep, identity: A.id });
    runSteps(f, [{ prog: 'from_container', packet: synToB1, verdict: 'drop', dropReason: DropReason.InvalidSource, event: { dropReasonText: 'invalid source address' } }]);
  });

  it('tracks ICMP echo: the reply is a reply', () => {
    runSteps(f, [
      { prog: 'from_container', packet: { ip: { src: A.ip, dst: PEER.ip }, icmp: { type: 8, id: 77, seq: 1 } }, verdict: 'pass', event: { isNew: true, protocol: 1 } },
      { prog: 'to_container', packet: { ip: { src: PEER.ip, dst: A.ip }, icmp: { type: 0, id: 77, seq: 1 } }, verdict: 'pass', event: { isReply: true, protocol: 1 } },
    ]);
  });

  it('lets an ICMP error about a tracked connection through enforcement as related', () => {
    f.reset({ enforce: { a: 'ingress' } });
    const sent = udp(A.ip, 40200, PEER.ip, 9999);
    const quoted = buildIp(sent).subarray(0, 28);
    runSteps(f, [
      { prog: 'from_container', packet: sent, verdict: 'pass' },
      { prog: 'to_container', packet: { ip: { src: PEER.ip, dst: A.ip }, icmp: { type: 3, code: 3, payload: quoted } }, verdict: 'pass', event: { isReply: true, flags: 0x0001 | 0x0080 } },
      // The same error about a connection nobody opened is policed (and denied).
      {
        prog: 'to_container', packet: { ip: { src: PEER.ip, dst: A.ip }, icmp: { type: 3, code: 3, payload: buildIp(udp(A.ip, 40201, PEER.ip, 9999)).subarray(0, 28) } },
        verdict: 'drop', dropReason: DropReason.PolicyDenied,
      },
    ]);
  });

  it('tracks SCTP by ports and polices its port', () => {
    f.reset({ enforce: { b1: 'ingress' } });
    f.policy.replaceEndpoint(B1.ep, [{ endpointId: B1.ep, direction: 'ingress', remoteIdentity: 0, protocol: 132, portLow: 3868, portHigh: 3868, verdict: 'allow', ruleId: 90 }]);
    runSteps(f, [
      { prog: 'to_container', packet: { ip: { src: A.ip, dst: B1.ip }, sctp: { sport: 5000, dport: 3868 } }, verdict: 'pass', event: { ruleId: 90, protocol: 132, destination: { ip: B1.ip, port: 3868, identity: B1.id } } },
      { prog: 'to_container', packet: { ip: { src: A.ip, dst: B1.ip }, sctp: { sport: 5000, dport: 3869 } }, verdict: 'drop', dropReason: DropReason.PolicyDenied },
    ]);
  });

  it('survives every truncation of a valid packet without crashing', () => {
    const full = buildPacket({ ...tcp(A.ip, 40300, VIP, 80, TCP.SYN, { tcp: { sport: 40300, dport: 80, flags: TCP.SYN, payload: Buffer.alloc(20) } }), ip: { src: A.ip, dst: VIP, options: recordRouteOption(2) } });
    // From the shortest frame BPF_PROG_TEST_RUN accepts (Ethernet + IPv4 header).
    for (let len = 34; len <= full.length; len++) {
      const r = f.run('from_container', full.subarray(0, len));
      // Only the complete packet is valid; every shorter one is malformed.
      if (len === full.length) expect(r.retval).toBe(0);
      else expect([r.retval, r.events[0]?.dropReason]).toEqual([2, DropReason.Malformed]);
    }
  });
});
