// Tests of node problem rules: what the Status view says about a node with a problem.
import { describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../../shared/agent-api/index.js';
import { addSample, mapSizeKey, nodeProblems, type NodeFacts } from './problems.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const agent = (patch: Partial<AgentStatus> = {}): AgentStatus => ({
  node: 'n1', health: 'ok', problems: [], ready: true,
  versions: { agent: '0.1.0', kernel: '6.8', node: 'v20' },
  datapath: { kubeProxyReplacement: true, socketLB: true, nodePort: true, policyEnforcement: 'default', auditNamespaces: [], uplinks: ['eth0'], attachedEndpoints: 3 },
  maps: [{ name: 'lumen_services', maxEntries: 1000, entries: 10, pressure: 0.01 }],
  sync: { initialSyncAt: '2026-01-01T11:00:00Z', initialSyncMs: 500, lastSyncAt: '2026-01-01T11:59:00Z', kinds: { Node: '2026-01-01T11:59:30Z', Pod: null } },
  counts: { endpoints: 3, identities: 5, services: 2, policies: 0 },
  flows: { ratePerSecond: 1, total: 10, lost: 0, decodeErrors: 0, skipped: 0, bufferSize: 100, buffered: 10 },
  uptimeSeconds: 3600, time: '2026-01-01T12:00:00Z', ...patch,
});
const pod = { name: 'lumen-agent-x', phase: 'Running', ready: true, restarts: 0, reason: null };
const facts = (patch: Partial<NodeFacts> = {}): NodeFacts => ({ nodeReady: true, pod, podCondition: null, agent: agent(), agentError: null, history: [], now, ...patch });
const kinds = (f: NodeFacts) => nodeProblems(f).map((p) => p.kind);

describe('nodeProblems', () => {
  it('a healthy node has none', () => {
    expect(nodeProblems(facts())).toEqual([]);
  });

  it('says when the agent is missing, not running or not ready, and why', () => {
    expect(nodeProblems(facts({ pod: null, agent: null }))[0]!.text).toBe('no agent pod on this node: the DaemonSet has not scheduled one');
    expect(nodeProblems(facts({ pod: { ...pod, phase: 'Pending', ready: false, reason: 'ImagePullBackOff' }, agent: null }))[0]!.text).toBe('the agent is not running: pod lumen-agent-x is Pending (ImagePullBackOff)');
    const notReady = nodeProblems(facts({ pod: { ...pod, ready: false, restarts: 2 }, agent: agent({ ready: false, problems: ['waiting for the first sync of pods'] }) }));
    expect(notReady[0]).toEqual({ severity: 'error', kind: 'agent-not-ready', text: 'the agent is not ready: waiting for the first sync of pods (2 restarts)' });
  });

  it('flags maps nearly full with the key to raise', () => {
    const p = nodeProblems(facts({ agent: agent({ maps: [{ name: 'lumen_policy', maxEntries: 100, entries: 93, pressure: 0.93 }, { name: 'lumen_ct', maxEntries: 100, entries: null, pressure: null }] }) }));
    expect(p).toEqual([{ severity: 'error', kind: 'map-pressure', text: 'lumen_policy is 93% full (93/100); raise map-size-policy' }]);
    expect(mapSizeKey('lumen_rev_nat')).toBe('map-size-rev-nat');
  });

  it('flags lost events rising within the last minute, not old losses', () => {
    const history = [{ t: now - 50_000, rate: 5, lost: 10 }, { t: now, rate: 5, lost: 42 }];
    expect(nodeProblems(facts({ history }))[0]!.text).toBe('32 flow events lost in the last minute (the kernel ring buffer was full); raise events-ring-bytes');
    expect(kinds(facts({ history: [{ t: now - 120_000, rate: 5, lost: 10 }, { t: now, rate: 5, lost: 10 }] }))).toEqual([]);
  });

  it('flags a stale view of the API and a first sync that never came', () => {
    const stale = agent({ sync: { initialSyncAt: 'x', initialSyncMs: 1, lastSyncAt: '2026-01-01T11:30:00Z', kinds: { Node: '2026-01-01T11:40:00Z' } } });
    expect(nodeProblems(facts({ agent: stale }))[0]!.text).toBe('its view of the API is stale: last event 20 min ago');
    expect(kinds(facts({ agent: agent({ sync: { initialSyncAt: null, initialSyncMs: null, lastSyncAt: null, kinds: {} }, uptimeSeconds: 300 }) }))).toEqual(['sync-stale']);
  });

  it('reports an agent the console cannot reach', () => {
    expect(nodeProblems(facts({ agent: null, agentError: 'forbidden' }))).toEqual([{ severity: 'warning', kind: 'agent-unreachable', text: 'cannot ask the agent: forbidden' }]);
  });
});

describe('addSample', () => {
  it('keeps ten minutes and spaces samples', () => {
    let h = addSample([], { t: 0, rate: 1, lost: 0 });
    h = addSample(h, { t: 1000, rate: 2, lost: 0 });
    expect(h).toHaveLength(1);
    h = addSample(h, { t: 2000, rate: 2, lost: 0 });
    h = addSample(h, { t: 11 * 60_000, rate: 3, lost: 0 });
    expect(h.map((s) => s.t)).toEqual([11 * 60_000]);
  });
});
