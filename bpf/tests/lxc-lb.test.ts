// Packet tables for service load balancing and conntrack on the pod veth programs
// (from_container / to_container), through BPF_PROG_TEST_RUN.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CtFlag, ctViewKey } from '../../agent/native/abi';
import { DropReason, EventFlag } from '../../src/shared/flow/datapath';
import { kernelSkipReason } from './lib/env';
import { A, B1, B2, Fixture, VIP, VIP_AFF, VIP_EMPTY, VIP_TERM } from './lib/fixture';
import { buildPacket, TCP } from './lib/packet';
import { endpointOf, runSteps, tcp, udp } from './lib/steps';

const skip = kernelSkipReason();
const BACKENDS = [`${B1.ip}:8080`, `${B2.ip}:8080`];
const F = EventFlag;

describe.skipIf(!!skip)(`service LB + conntrack on pod veths${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  beforeAll(() => f.start());
  afterAll(() => f.stop());
  beforeEach(() => f.reset());

  it('TCP: SYN to a ClusterIP is DNATed, the reply reverse-NATed, the connection keeps its backend', () => {
    runSteps(f, [
      {
        prog: 'from_container', packet: tcp(A.ip, 40000, VIP, 80, TCP.SYN), verdict: 'pass',
        src: `${A.ip}:40000`, dst: BACKENDS,
        event: { verdict: 'forwarded', obsPoint: 'from-endpoint', flags: F.New | F.Translated, service: { ip: VIP, port: 80 }, endpointId: A.ep, isNew: true },
        capture: (r, v) => {
          v.backend = endpointOf(r, 'dst');
          expect(r.events[0]!.destination.identity).toBe(v.backend!.startsWith(B1.ip) ? B1.id : B2.id);
          expect(r.events[0]!.source.identity).toBe(A.id);
        },
      },
      {
        prog: 'to_container', packet: (v) => tcp(v.backend!.split(':')[0]!, 8080, A.ip, 40000, TCP.SYN | TCP.ACK), verdict: 'pass',
        src: `${VIP}:80`, dst: `${A.ip}:40000`,
        event: { verdict: 'forwarded', obsPoint: 'to-endpoint', isReply: true, flags: F.Reply | F.Translated | F.TcpFlags, service: { ip: VIP, port: 80 }, tcpFlags: ['SYN', 'ACK'] },
      },
      { prog: 'from_container', packet: tcp(A.ip, 40000, VIP, 80, TCP.ACK), verdict: 'pass', dst: (v) => v.backend!, event: { flags: F.TcpFlags | F.Translated } },
      // Same flags again: aggregated into the conntrack counters, no event.
      { prog: 'from_container', packet: tcp(A.ip, 40000, VIP, 80, TCP.ACK, { tcp: { sport: 40000, dport: 80, flags: TCP.ACK, payload: Buffer.alloc(100) } }), verdict: 'pass', dst: (v) => v.backend!, event: null },
      { prog: 'from_container', packet: tcp(A.ip, 40000, VIP, 80, TCP.ACK), verdict: 'pass', dst: (v) => v.backend!, event: null },
    ]);
  });

  it('keeps the chosen backend in the endpoint view (keyed by the frontend) and an index under the translated tuple', () => {
    const v = runSteps(f, [{
      prog: 'from_container', packet: tcp(A.ip, 40001, VIP, 80, TCP.SYN), verdict: 'pass', dst: BACKENDS,
      capture: (r, vv) => { vv.backend = endpointOf(r, 'dst'); },
    }]);
    const [bip] = v.backend!.split(':');
    const view = f.dp.maps.ct.get(ctViewKey({ ip: A.ip, port: 40001 }, { ip: VIP, port: 80 }, 6));
    expect(view).toBeDefined();
    expect(`${view!.nat_addr}:${view!.nat_port}`).toBe(v.backend);
    expect(view).toMatchObject({
      backend_id: bip === B1.ip ? 1 : 2, rev_nat_id: 1, svc_addr: VIP, svc_port: 80, flags: CtFlag.Outbound | CtFlag.Dnat,
      tx_packets: 1, tx_tcp_flags: TCP.SYN, endpoint_id: A.ep, local_identity: A.id, remote_identity: bip === B1.ip ? B1.id : B2.id,
    });
    const index = f.dp.maps.ct.get(ctViewKey({ ip: A.ip, port: 40001 }, { ip: bip!, port: 8080 }, 6));
    expect(index).toMatchObject({ svc_addr: VIP, svc_port: 80, flags: CtFlag.Outbound | CtFlag.Index, tx_packets: 0 });
  });

  it('finds a view with one key from both directions and either end', () => {
    const a = { ip: A.ip, port: 40100 };
    const b = { ip: B1.ip, port: 8080 };
    expect(ctViewKey(a, b, 6)).toEqual({ ...ctViewKey(b, a, 6), scope: ctViewKey(a, b, 6).scope });
    expect(ctViewKey(a, b, 6).scope).not.toBe(ctViewKey(b, a, 6).scope);
    runSteps(f, [
      { prog: 'from_container', packet: tcp(A.ip, 40100, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { isNew: true } },
      { prog: 'to_container', packet: tcp(B1.ip, 8080, A.ip, 40100, TCP.SYN | TCP.ACK), verdict: 'pass', event: { isReply: true } },
    ]);
    expect(f.dp.maps.ct.get(ctViewKey(a, b, 6))).toMatchObject({ tx_packets: 1, rx_packets: 1, flags: CtFlag.Outbound | CtFlag.SeenReply });
  });

  it('re-checks the cached endpoint when the revision moves: a removed endpoint can no longer send', () => {
    runSteps(f, [
      { prog: 'from_container', packet: tcp(A.ip, 40200, B1.ip, 8080, TCP.SYN), verdict: 'pass' },
      { prog: 'from_container', packet: tcp(A.ip, 40200, B1.ip, 8080, TCP.ACK), verdict: 'pass' },
    ]);
    f.endpoints.remove(A.ip);
    runSteps(f, [{
      prog: 'from_container', packet: tcp(A.ip, 40200, B1.ip, 8080, TCP.ACK), verdict: 'drop', dropReason: DropReason.InvalidSource,
      event: { verdict: 'dropped', dropReason: DropReason.InvalidSource },
    }]);
  });

  it('ignores a reply index whose view is gone: the reply is not translated', () => {
    const v = runSteps(f, [{
      prog: 'from_container', packet: tcp(A.ip, 40300, VIP, 80, TCP.SYN), verdict: 'pass',
      capture: (r, vv) => { vv.backend = endpointOf(r, 'dst'); },
    }]);
    const [bip] = v.backend!.split(':');
    f.dp.maps.ct.delete(ctViewKey({ ip: A.ip, port: 40300 }, { ip: VIP, port: 80 }, 6));
    runSteps(f, [{
      prog: 'to_container', packet: tcp(bip!, 8080, A.ip, 40300, TCP.SYN | TCP.ACK), verdict: 'pass', src: `${bip}:8080`,
      event: { isReply: false, isNew: true },
    }]);
  });

  it('spreads new connections over the backends and keeps each on its own', () => {
    const chosen = new Map<number, string>();
    for (let port = 41000; port < 41064; port++) {
      const r = f.run('from_container', buildSyn(port));
      chosen.set(port, endpointOf(r, 'dst'));
    }
    expect(new Set(chosen.values())).toEqual(new Set(BACKENDS));
    for (const [port, backend] of chosen) {
      expect(endpointOf(f.run('from_container', buildSyn(port, TCP.ACK)), 'dst')).toBe(backend);
    }
  });

  it('spreads over more backends than the frontend carries copies of (slot lookups beyond the first four)', () => {
    const vip = '10.250.100.9';
    const backends = Array.from({ length: 6 }, (_, i) => ({ id: 50 + i, address: `10.250.5.${i + 1}`, port: 8080 }));
    f.services.upsert({ address: vip, port: 80, protocol: 'TCP', revNatId: 9, backends });
    const seen = new Set<string>();
    for (let port = 47000; port < 47120; port++) seen.add(endpointOf(f.run('from_container', buildSyn(port, TCP.SYN, vip)), 'dst'));
    expect(seen).toEqual(new Set(backends.map((b) => `${b.address}:8080`)));
  });

  it('UDP: datagrams to a ClusterIP reach the backend and answers show the service address', () => {
    runSteps(f, [
      { prog: 'from_container', packet: udp(A.ip, 5000, VIP, 53), verdict: 'pass', dst: `${B1.ip}:5353`, event: { flags: F.New | F.Translated, protocol: 17 } },
      { prog: 'to_container', packet: udp(B1.ip, 5353, A.ip, 5000, Buffer.from('pong')), verdict: 'pass', src: `${VIP}:53`, event: { isReply: true, flags: F.Reply | F.Translated } },
      { prog: 'from_container', packet: udp(A.ip, 5000, VIP, 53), verdict: 'pass', dst: `${B1.ip}:5353`, event: null },
      // A zero UDP checksum ("none") stays zero through the rewrite.
      {
        prog: 'from_container', packet: { ip: { src: A.ip, dst: VIP }, udp: { sport: 5001, dport: 53, payload: Buffer.from('x'), noChecksum: true } },
        verdict: 'pass', dst: `${B1.ip}:5353`, check: (r) => expect(r.out.readUInt16BE(14 + 20 + 6)).toBe(0),
      },
    ]);
  });

  it('drops a connection to a service without backends with reason "no service backends"', () => {
    runSteps(f, [{
      prog: 'from_container', packet: tcp(A.ip, 40002, VIP_EMPTY, 80, TCP.SYN), verdict: 'drop', dropReason: DropReason.NoServiceBackends,
      event: { verdict: 'dropped', dropReason: DropReason.NoServiceBackends, dropReasonText: 'no service backends', service: { ip: VIP_EMPTY, port: 80 }, endpointId: A.ep },
    }]);
  });

  it('never picks a terminating backend while an active one exists; an established connection keeps it', () => {
    const term = { address: VIP_TERM, port: 80, protocol: 'TCP' as const, revNatId: 4 };
    f.services.upsert({ ...term, backends: [{ id: 1, address: B1.ip, port: 8080 }] });
    const est = endpointOf(f.run('from_container', buildSyn(42000, TCP.SYN, VIP_TERM)), 'dst');
    expect(est).toBe(`${B1.ip}:8080`);
    f.services.upsert({ ...term, backends: [{ id: 1, address: B1.ip, port: 8080, state: 'terminating' }, { id: 2, address: B2.ip, port: 8080 }] });
    for (let port = 42100; port < 42140; port++) {
      expect(endpointOf(f.run('from_container', buildSyn(port, TCP.SYN, VIP_TERM)), 'dst')).toBe(`${B2.ip}:8080`);
    }
    expect(endpointOf(f.run('from_container', buildSyn(42000, TCP.ACK, VIP_TERM)), 'dst')).toBe(est);
    // Only terminating backends left: they still serve new connections.
    f.services.upsert({ ...term, backends: [{ id: 1, address: B1.ip, port: 8080, state: 'terminating' }] });
    expect(endpointOf(f.run('from_container', buildSyn(42200, TCP.SYN, VIP_TERM)), 'dst')).toBe(`${B1.ip}:8080`);
  });

  it('keeps an established connection on a backend removed from the service; new ones avoid it', () => {
    const r0 = f.run('from_container', buildSyn(43000));
    const est = endpointOf(r0, 'dst');
    const other = BACKENDS.find((b) => b !== est)!;
    const keep = other.startsWith(B1.ip) ? { id: 1, address: B1.ip, port: 8080 } : { id: 2, address: B2.ip, port: 8080 };
    f.services.upsert({ address: VIP, port: 80, protocol: 'TCP', revNatId: 1, backends: [keep] });
    expect(f.services.list().find((s) => s.address === VIP && s.port === 80)!.backends.map((b) => b.id)).toEqual([keep.id]);
    expect(endpointOf(f.run('from_container', buildSyn(43000, TCP.ACK)), 'dst')).toBe(est);
    for (let port = 43100; port < 43120; port++) expect(endpointOf(f.run('from_container', buildSyn(port)), 'dst')).toBe(other);
  });

  it('sessionAffinity=ClientIP sends every connection of a client to one backend', () => {
    const first = endpointOf(f.run('from_container', buildSyn(44000, TCP.SYN, VIP_AFF)), 'dst');
    for (let port = 44001; port < 44030; port++) expect(endpointOf(f.run('from_container', buildSyn(port, TCP.SYN, VIP_AFF)), 'dst')).toBe(first);
    const aff = f.dp.maps.affinity.entries();
    expect(aff).toHaveLength(1);
    expect(aff[0]![1].backend_id).toBe(first.startsWith(B1.ip) ? 1 : 2);
  });

  it('treats a bare SYN after FIN on the same tuple as a new connection', () => {
    runSteps(f, [
      { prog: 'from_container', packet: tcp(A.ip, 45000, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { isNew: true } },
      { prog: 'from_container', packet: tcp(A.ip, 45000, B1.ip, 8080, TCP.FIN | TCP.ACK), verdict: 'pass', event: { isNew: false, tcpFlags: ['FIN', 'ACK'] } },
      { prog: 'from_container', packet: tcp(A.ip, 45000, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { isNew: true } },
    ]);
  });

  it('leaves traffic to a pod address alone (what the socket LB already translated)', () => {
    runSteps(f, [{ prog: 'from_container', packet: tcp(A.ip, 46000, B1.ip, 8080, TCP.SYN), verdict: 'pass', unchanged: true, event: { flags: F.New, destination: { ip: B1.ip, port: 8080, identity: B1.id } } }]);
  });
});

function buildSyn(sport: number, flags: number = TCP.SYN, vip = VIP): Buffer {
  return buildPacket(tcp(A.ip, sport, vip, 80, flags));
}
