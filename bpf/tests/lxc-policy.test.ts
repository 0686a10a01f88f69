// Packet tables for identity policy on the pod veth programs: allow/deny per identity,
// port and port range, wildcards and their precedence, unknown identities, replies,
// established traffic, audit mode.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { PolicyEntry } from '../../agent/native/index';
import { DropReason, EventFlag, ReservedIdentity } from '../../src/shared/flow/datapath';
import { kernelSkipReason } from './lib/env';
import { A, B1, Fixture, NODE, PEER, VIP, WORLD_IP } from './lib/fixture';
import { TCP } from './lib/packet';
import { runSteps, tcp, udp, type Step } from './lib/steps';

const skip = kernelSkipReason();

function rule(p: Partial<PolicyEntry> & Pick<PolicyEntry, 'endpointId' | 'direction' | 'ruleId'>): PolicyEntry {
  return { remoteIdentity: 0, protocol: 6, portLow: 0, portHigh: 65535, verdict: 'allow', ...p };
}

const allowed = (ruleId: number): Partial<Step> => ({ verdict: 'pass', event: { verdict: 'forwarded', ruleId } });
const denied = (ruleId: number): Partial<Step> => ({
  verdict: 'drop', dropReason: DropReason.PolicyDenied,
  event: { verdict: 'dropped', dropReason: DropReason.PolicyDenied, dropReasonText: 'policy denied', ruleId },
});

interface Case {
  name: string;
  enforce: { a?: 'ingress' | 'egress' | 'both'; b1?: 'ingress' | 'egress' | 'both' };
  audit?: boolean;
  rules: PolicyEntry[];
  steps: Step[];
}

const I = 'ingress' as const;
const E = 'egress' as const;

const CASES: Case[] = [
  {
    name: 'egress: allow per identity and port, default deny names rule 0, an explicit deny names its rule',
    enforce: { a: 'egress' },
    rules: [
      rule({ endpointId: A.ep, direction: E, remoteIdentity: B1.id, portLow: 8080, portHigh: 8080, ruleId: 11 }),
      rule({ endpointId: A.ep, direction: E, protocol: 17, portLow: 53, portHigh: 53, ruleId: 12 }),
      rule({ endpointId: A.ep, direction: E, remoteIdentity: PEER.id, portLow: 9000, portHigh: 9000, verdict: 'deny', ruleId: 13 }),
      rule({ endpointId: A.ep, direction: E, protocol: 17, portLow: 5353, portHigh: 5353, remoteIdentity: B1.id, ruleId: 14 }),
    ],
    steps: [
      { prog: 'from_container', packet: tcp(A.ip, 40000, B1.ip, 8080, TCP.SYN), ...allowed(11) } as Step,
      { prog: 'from_container', packet: tcp(A.ip, 40001, B1.ip, 9090, TCP.SYN), ...denied(0) } as Step,
      { prog: 'from_container', packet: tcp(A.ip, 40002, PEER.ip, 9000, TCP.SYN), ...denied(13) } as Step,
      { prog: 'from_container', packet: udp(A.ip, 40003, PEER.ip, 53), ...allowed(12) } as Step,
      // Policy sees the backend after load balancing: VIP:53 -> B1:5353.
      { prog: 'from_container', packet: udp(A.ip, 40004, VIP, 53), verdict: 'pass', dst: `${B1.ip}:5353`, event: { ruleId: 14, flags: EventFlag.New | EventFlag.Translated } },
    ],
  },
  {
    name: 'ingress: port range per identity, any-identity deny, any-protocol allow wins over deny',
    enforce: { b1: 'ingress' },
    rules: [
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 8000, portHigh: 8100, ruleId: 21 }),
      rule({ endpointId: B1.ep, direction: I, verdict: 'deny', ruleId: 22 }),
      rule({ endpointId: B1.ep, direction: I, protocol: 0, portLow: 7000, portHigh: 7000, ruleId: 23 }),
    ],
    steps: [
      { prog: 'to_container', packet: tcp(A.ip, 40010, B1.ip, 8000, TCP.SYN), ...allowed(21) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40011, B1.ip, 8100, TCP.SYN), ...allowed(21) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40012, B1.ip, 8101, TCP.SYN), ...denied(22) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40013, B1.ip, 7999, TCP.SYN), ...denied(22) } as Step,
      { prog: 'to_container', packet: tcp(PEER.ip, 40014, B1.ip, 8050, TCP.SYN), ...denied(22) } as Step,
      { prog: 'to_container', packet: tcp(PEER.ip, 40015, B1.ip, 7000, TCP.SYN), ...allowed(23) } as Step,
      { prog: 'to_container', packet: udp(PEER.ip, 40016, B1.ip, 7000), ...allowed(23) } as Step,
      { prog: 'to_container', packet: udp(PEER.ip, 40017, B1.ip, 7001), verdict: 'drop', dropReason: DropReason.PolicyDenied, event: { ruleId: 0 } },
    ],
  },
  {
    name: 'a specific identity beats any-identity for the reported rule',
    enforce: { b1: 'ingress' },
    rules: [
      rule({ endpointId: B1.ep, direction: I, portLow: 80, portHigh: 80, ruleId: 30 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 80, portHigh: 80, ruleId: 31 }),
      rule({ endpointId: B1.ep, direction: I, portLow: 22, portHigh: 22, verdict: 'deny', ruleId: 32 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 22, portHigh: 22, ruleId: 33 }),
    ],
    steps: [
      { prog: 'to_container', packet: tcp(A.ip, 40020, B1.ip, 80, TCP.SYN), ...allowed(31) } as Step,
      { prog: 'to_container', packet: tcp(PEER.ip, 40021, B1.ip, 80, TCP.SYN), ...allowed(30) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40022, B1.ip, 22, TCP.SYN), ...allowed(33) } as Step,
      { prog: 'to_container', packet: tcp(PEER.ip, 40023, B1.ip, 22, TCP.SYN), ...denied(32) } as Step,
    ],
  },
  {
    name: 'overlapping ranges in one class: allow wins over deny',
    enforce: { b1: 'ingress' },
    rules: [
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 1000, portHigh: 2000, ruleId: 40 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 1500, portHigh: 1500, verdict: 'deny', ruleId: 41 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 3000, portHigh: 4000, verdict: 'deny', ruleId: 42 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 3500, portHigh: 3500, ruleId: 43 }),
    ],
    steps: [
      { prog: 'to_container', packet: tcp(A.ip, 40030, B1.ip, 1500, TCP.SYN), ...allowed(40) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40031, B1.ip, 3500, TCP.SYN), ...allowed(43) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40032, B1.ip, 3499, TCP.SYN), ...denied(42) } as Step,
      { prog: 'to_container', packet: tcp(A.ip, 40033, B1.ip, 4001, TCP.SYN), ...denied(0) } as Step,
    ],
  },
  {
    name: 'an address nobody knows is world; the ipcache answers by longest prefix',
    enforce: { b1: 'ingress' },
    rules: [
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: ReservedIdentity.World, portLow: 8080, portHigh: 8080, ruleId: 50 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: ReservedIdentity.RemoteNode, portLow: 8080, portHigh: 8080, ruleId: 51 }),
      rule({ endpointId: B1.ep, direction: I, remoteIdentity: ReservedIdentity.Host, portLow: 8080, portHigh: 8080, ruleId: 52 }),
    ],
    steps: [
      { prog: 'to_container', packet: tcp(WORLD_IP, 40040, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { ruleId: 50, source: { ip: WORLD_IP, port: 40040, identity: ReservedIdentity.World } } },
      { prog: 'to_container', packet: tcp('10.250.0.77', 40041, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { ruleId: 51, source: { ip: '10.250.0.77', port: 40041, identity: ReservedIdentity.RemoteNode } } },
      { prog: 'to_container', packet: tcp(NODE, 40042, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { ruleId: 52, source: { ip: NODE, port: 40042, identity: ReservedIdentity.Host } } },
      { prog: 'to_container', packet: tcp(WORLD_IP, 40043, B1.ip, 8081, TCP.SYN), ...denied(0) } as Step,
    ],
  },
  {
    name: 'replies pass without a policy lookup; a new connection from the same endpoint does not',
    enforce: { b1: 'egress' },
    rules: [],
    steps: [
      { prog: 'to_container', packet: tcp(A.ip, 40050, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { isNew: true } },
      { prog: 'from_container', packet: tcp(B1.ip, 8080, A.ip, 40050, TCP.SYN | TCP.ACK), verdict: 'pass', event: { isReply: true, ruleId: 0, verdict: 'forwarded' } },
      // Flags already seen in this direction: aggregated, no event.
      { prog: 'from_container', packet: tcp(B1.ip, 8080, A.ip, 40050, TCP.ACK), verdict: 'pass', event: null },
      { prog: 'from_container', packet: tcp(B1.ip, 45000, A.ip, 8080, TCP.SYN), ...denied(0) } as Step,
    ],
  },
  {
    name: 'audit mode: would-deny passes with verdict audit and the deciding rule',
    enforce: { b1: 'ingress' },
    audit: true,
    rules: [rule({ endpointId: B1.ep, direction: I, remoteIdentity: PEER.id, portLow: 22, portHigh: 22, verdict: 'deny', ruleId: 60 })],
    steps: [
      { prog: 'to_container', packet: tcp(A.ip, 40060, B1.ip, 8080, TCP.SYN), verdict: 'pass', event: { verdict: 'audit', ruleId: 0, dropReason: 0 } },
      { prog: 'to_container', packet: tcp(PEER.ip, 40061, B1.ip, 22, TCP.SYN), verdict: 'pass', event: { verdict: 'audit', ruleId: 60 } },
    ],
  },
];

describe.skipIf(!!skip)(`policy on pod veths${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  beforeAll(() => f.start());
  afterAll(() => f.stop());

  for (const c of CASES) {
    it(c.name, () => {
      f.reset({ enforce: c.enforce, audit: c.audit });
      const byEp = new Map<number, PolicyEntry[]>();
      for (const r of c.rules) byEp.set(r.endpointId, [...(byEp.get(r.endpointId) ?? []), r]);
      for (const [ep, rules] of byEp) f.policy.replaceEndpoint(ep, rules);
      runSteps(f, c.steps);
    });
  }

  it('checks established non-reply packets too: removing the allow stops the connection', () => {
    f.reset({ enforce: { b1: 'ingress' } });
    f.policy.replaceEndpoint(B1.ep, [rule({ endpointId: B1.ep, direction: I, remoteIdentity: A.id, portLow: 8080, portHigh: 8080, ruleId: 70 })]);
    runSteps(f, [
      { prog: 'to_container', packet: tcp(A.ip, 40070, B1.ip, 8080, TCP.SYN), ...allowed(70) } as Step,
      { prog: 'from_container', packet: tcp(B1.ip, 8080, A.ip, 40070, TCP.SYN | TCP.ACK), verdict: 'pass' },
      { prog: 'to_container', packet: tcp(A.ip, 40070, B1.ip, 8080, TCP.ACK), verdict: 'pass' },
    ]);
    const diff = f.policy.replaceEndpoint(B1.ep, []);
    runSteps(f, [
      { prog: 'to_container', packet: tcp(A.ip, 40070, B1.ip, 8080, TCP.ACK | TCP.PSH), ...denied(0) } as Step,
      // Replies are still let through: only the policed direction is cut.
      { prog: 'from_container', packet: tcp(B1.ip, 8080, A.ip, 40070, TCP.ACK | TCP.PSH), verdict: 'pass' },
    ]);
    if (diff.deletes.length !== 1) throw new Error(`expected one policy key deleted, got ${diff.deletes.length}`);
  });

  it('re-decides established connections when the ipcache or the endpoint flags change', () => {
    f.reset({ enforce: { b1: 'ingress' } });
    f.policy.replaceEndpoint(B1.ep, [rule({ endpointId: B1.ep, direction: I, remoteIdentity: PEER.id, portLow: 8080, portHigh: 8080, ruleId: 80 })]);
    runSteps(f, [
      { prog: 'to_container', packet: tcp(PEER.ip, 40080, B1.ip, 8080, TCP.SYN), ...allowed(80) } as Step,
      { prog: 'to_container', packet: tcp(PEER.ip, 40080, B1.ip, 8080, TCP.ACK), verdict: 'pass' },
    ]);
    // The peer's address now belongs to another identity: its established flow is judged anew.
    f.ipcache.set(`${PEER.ip}/32`, 4444);
    runSteps(f, [{ prog: 'to_container', packet: tcp(PEER.ip, 40080, B1.ip, 8080, TCP.ACK), ...denied(0) } as Step]);
    f.ipcache.set(`${PEER.ip}/32`, PEER.id);
    runSteps(f, [{ prog: 'to_container', packet: tcp(PEER.ip, 40080, B1.ip, 8080, TCP.ACK | TCP.PSH), verdict: 'pass' }]);
    // Enforcement switched off and on for an established connection without any allow.
    runSteps(f, [{ prog: 'to_container', packet: tcp(A.ip, 40081, B1.ip, 9999, TCP.SYN), ...denied(0) } as Step]);
    f.endpoints.upsert({ address: B1.ip, ifindex: 1, endpointId: B1.ep, identity: B1.id });
    runSteps(f, [
      { prog: 'to_container', packet: tcp(A.ip, 40081, B1.ip, 9999, TCP.SYN), verdict: 'pass', event: { isNew: true, ruleId: 0 } },
      { prog: 'to_container', packet: tcp(A.ip, 40081, B1.ip, 9999, TCP.ACK), verdict: 'pass' },
    ]);
    f.endpoints.upsert({ address: B1.ip, ifindex: 1, endpointId: B1.ep, identity: B1.id, enforceIngress: true });
    runSteps(f, [{ prog: 'to_container', packet: tcp(A.ip, 40081, B1.ip, 9999, TCP.ACK | TCP.PSH), ...denied(0) } as Step]);
  });
});
