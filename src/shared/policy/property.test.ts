// Property: for any cluster, policies and flow, evaluate() gives the same verdict as the
// datapath would with compile()'s entries (reference ipcache + reference lookup), and the rule
// id the datapath reports names a rule evaluate() says allows the flow (or the default deny).
import { describe, expect, it } from 'vitest';
import { assignCidrIdentities, requiredCidrs } from './cidr-identities.js';
import { compile } from './compile.js';
import { evaluate } from './evaluate.js';
import { datapathDecision, ReferenceIpcache, referenceIpcacheEntries } from './lookup.js';
import { protocolNumber } from './match.js';
import { buildPolicyModel, type PolicyModel } from './model.js';
import { RULE_ID_NONE } from './rule-ids.js';
import { generateFlow, generateWorld, Prng } from './testing/generate.js';
import type { CompiledPolicy, Direction, FlowPeer, PolicyEndpoint, PolicyFlow } from './types.js';

const WORLDS = 400;
const FLOWS_PER_WORLD = 100;

function endpointOf(model: PolicyModel, side: FlowPeer): PolicyEndpoint | undefined {
  if ('endpoint' in side) return side.endpoint;
  for (const me of model.endpoints) if (me.endpoint.ips.includes(side.ip)) return me.endpoint;
  return undefined;
}
const ipOf = (side: FlowPeer): string => ('endpoint' in side ? side.endpoint.ips[0]! : side.ip);

function checkFlow(model: PolicyModel, compiled: CompiledPolicy, cidrIds: Map<string, number>, ipcaches: Map<string, ReferenceIpcache>, flow: PolicyFlow, where: string): void {
  const verdict = evaluate(model, flow);
  const src = endpointOf(model, flow.src);
  const dst = endpointOf(model, flow.dst);
  if (src !== undefined && src === dst) {
    expect(verdict.allowed, where).toBe(true);
    return;
  }
  const sides: [Direction, PolicyEndpoint | undefined, FlowPeer][] = [
    ['egress', src, flow.dst],
    ['ingress', dst, flow.src],
  ];
  let passes = true;
  for (const [direction, local, remote] of sides) {
    const v = verdict[direction];
    if (local === undefined) {
      expect(v.applies, `${where} ${direction}`).toBe(false);
      continue;
    }
    const compiledEp = compiled.endpoints.find((e) => e.endpointId === local.id)!;
    let ipcache = ipcaches.get(local.nodeName!);
    if (ipcache === undefined) {
      ipcache = new ReferenceIpcache(referenceIpcacheEntries(model, local.nodeName, cidrIds));
      ipcaches.set(local.nodeName!, ipcache);
    }
    const remoteIdentity = ipcache.lookup(ipOf(remote));
    expect(remoteIdentity, `${where} ${direction} remote identity`).toBe(v.remote.identity === 2 && remoteIdentity >= 1 << 24 ? remoteIdentity : v.remote.identity);
    const d = datapathDecision(compiledEp, direction, remoteIdentity, protocolNumber(flow.protocol), flow.port);
    const ctx = `${where} ${direction}: ${v.reason}\n${JSON.stringify(flow)}`;
    expect(compiledEp[direction].enforced, ctx).toBe(v.enforced);
    expect(compiledEp[direction].selectedBy, ctx).toEqual(v.selectedBy);
    expect(d.passes, ctx).toBe(v.allowed);
    expect(d.audit, ctx).toBe(v.wouldDeny);
    if (v.enforced && v.allowedBy.length > 0) {
      expect(v.allowedBy.map((m) => m.ruleId), ctx).toContain(d.ruleId);
    } else if (v.enforced) {
      expect(d.ruleId, ctx).not.toBe(RULE_ID_NONE);
      expect(compiled.rules.get(d.ruleId), ctx).toMatchObject({ kind: 'default-deny', direction, selectedBy: v.selectedBy });
    }
    passes &&= d.passes;
  }
  expect(passes, where).toBe(verdict.allowed);
}

describe('property: evaluate() == compile() + datapath lookup', () => {
  it(`holds for ${WORLDS} random clusters x ${FLOWS_PER_WORLD} flows`, () => {
    const stats = { flows: 0, allowed: 0, denied: 0, enforcedChecks: 0, byRemote: {} as Record<string, number>, ipBlockAllows: {} as Record<string, number>, namedPortAllows: 0 };
    for (let seed = 1; seed <= WORLDS; seed++) {
      const rng = new Prng(seed);
      const world = generateWorld(rng);
      const model = buildPolicyModel(world.inputs);
      const cidrIds = assignCidrIdentities(requiredCidrs(model));
      const compiled = compile(model, { endpointIds: world.inputs.endpoints.map((e) => e.id!), cidrIdentities: cidrIds });
      const ipcaches = new Map<string, ReferenceIpcache>();
      for (let i = 0; i < FLOWS_PER_WORLD; i++) {
        const flow = generateFlow(rng, world);
        checkFlow(model, compiled, cidrIds, ipcaches, flow, `seed ${seed} flow ${i}`);
        const v = evaluate(model, flow);
        stats.flows++;
        if (v.allowed) stats.allowed++;
        else stats.denied++;
        for (const d of [v.egress, v.ingress]) {
          if (!d.enforced) continue;
          stats.enforcedChecks++;
          stats.byRemote[d.remote.kind] = (stats.byRemote[d.remote.kind] ?? 0) + 1;
          for (const m of d.allowedBy) {
            if (m.ref.kind !== 'policy') continue;
            const ref = m.ref;
            const pol = model.policies.find((p) => p.key === ref.policy)!;
            const rule = pol[ref.direction]![ref.ruleIndex]!;
            const peer = rule.peers === 'all' ? undefined : rule.peers.find((p) => p.index === m.peerIndex);
            if (peer?.kind === 'ipBlock') stats.ipBlockAllows[d.remote.kind] = (stats.ipBlockAllows[d.remote.kind] ?? 0) + 1;
            const port = rule.ports === 'all' ? undefined : rule.ports.find((p) => p.index === m.portIndex);
            if (port?.name !== undefined) stats.namedPortAllows++;
          }
        }
      }
    }
    console.info('[policy.property]', JSON.stringify(stats));
    // The generator must exercise both outcomes and real enforcement, or the property is vacuous.
    expect(stats.denied).toBeGreaterThan(stats.flows * 0.05);
    expect(stats.allowed).toBeGreaterThan(stats.flows * 0.3);
    expect(stats.enforcedChecks).toBeGreaterThan(stats.flows * 0.2);
    for (const kind of ['pod', 'host', 'remote-node', 'kube-apiserver', 'world']) expect(stats.byRemote[kind] ?? 0, kind).toBeGreaterThan(100);
    for (const kind of ['pod', 'remote-node', 'kube-apiserver', 'world']) expect(stats.ipBlockAllows[kind] ?? 0, `ipBlock allows ${kind}`).toBeGreaterThan(20);
    expect(stats.namedPortAllows).toBeGreaterThan(50);
  }, 120_000);
});
