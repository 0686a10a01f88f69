// Flow pipeline: ring semantics, enrichment (peers, service, policy explanations), store counters, follow subscriptions, lost events, decode errors.
import { describe, expect, it } from 'vitest';
import { parseFlowFilter } from '../../../src/shared/flow/index.js';
import type { FlowStreamLine } from '../../../src/shared/flow/index.js';
import { createEnricher } from './enrich.js';
import { FlowPipeline } from './pipeline.js';
import { rawEvent, testLookups, testNames } from './testing.js';
import { FLOW_EVENT_SIZE, decodeFlowRecord, decodeFlowRecordGeneric } from './raw.js';
import { flowEvent } from '../../native/abi.js';
import { Ring } from './ring.js';
import { FlowStore } from './store.js';

const fixedClock = { wallMs: (ns: number) => Date.parse('2025-06-01T12:00:00Z') + Math.floor(ns / 1e6) };

describe('decodeFlowRecord', () => {
  it('gives exactly what the addon\'s generic codec gives, for random records', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 500; i++) {
      const rec = Buffer.alloc(FLOW_EVENT_SIZE);
      for (let b = 0; b < rec.length; b++) rec[b] = Math.floor(rand() * 256);
      rec.writeUInt32LE(Math.floor(rand() * 0x1fffff), 4); // keep u64 values below 2^53 as the kernel's are
      rec.writeUInt32LE(0, 12);
      rec.writeUInt32LE(0, 20);
      for (const off of [67, 70, 71]) rec[off] = 0; // padding
      expect(decodeFlowRecord(rec)).toEqual(decodeFlowRecordGeneric(rec));
    }
    expect(() => decodeFlowRecord(new Uint8Array(71))).toThrow(/71 bytes, lumen_flow_event is 72/);
  });
});

describe('Ring', () => {
  it('keeps the newest capacity items in order', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
    expect(r.last(2, () => true)).toEqual([4, 5]);
    expect(r.last(5, (x) => x % 2 === 1)).toEqual([3, 5]);
    r.clear();
    expect(r.toArray()).toEqual([]);
    expect(() => new Ring(0)).toThrow(/positive integer/);
  });
});

describe('enrich', () => {
  const e = createEnricher(testLookups, testNames, fixedClock);

  it('fills time, names, peers, flags', () => {
    const f = e.enrich(rawEvent());
    expect(f).toMatchObject({
      time: '2025-06-01T12:00:01.000Z', node: 'node-a', verdict: 'FORWARDED', observationPoint: 'to-endpoint', protocol: 'TCP',
      source: { ip: '10.201.0.5', port: 40000, identity: 300, labels: { app: 'client' }, namespace: 'shop', pod: 'client-1', node: 'node-b' },
      destination: { ip: '10.201.1.9', port: 8080, identity: 301, namespace: 'prod', pod: 'web-1' },
      isReply: false, tcpFlags: ['SYN'], packets: 1, bytes: 74,
    });
    expect(f.dropReason).toBeUndefined();
    expect(f.policy).toBeUndefined();
    expect(e.enrich(rawEvent({ tcp_flags: 0x12, flags: 0x1 }))).toMatchObject({ tcpFlags: ['SYN', 'ACK'], isReply: true });
    expect(e.enrich(rawEvent({ proto: 17, tcp_flags: 0x12 })).tcpFlags).toEqual([]);
    expect(e.enrich(rawEvent({ saddr: '1.2.3.4', src_identity: 2 })).source).toEqual({ ip: '1.2.3.4', port: 40000, identity: 2, labels: { 'reserved:world': '' } });
  });

  it('names the rule that allowed, and explains a default deny', () => {
    expect(e.enrich(rawEvent({ rule_id: 7 })).policy).toMatchObject({ decision: 'allowed', direction: 'ingress', summary: 'allowed by prod/allow-shop ingress rule 2' });
    const denied = e.enrich(rawEvent({ verdict: 2, drop_reason: 1 }));
    expect(denied.dropReason).toBe('policy denied');
    expect(denied.policy?.summary).toBe('denied: ingress, selected by prod/default-deny, prod/allow-shop and no rule allows it');
    expect(e.enrich(rawEvent({ verdict: 3 })).policy).toMatchObject({ decision: 'audit' });
    expect(e.enrich(rawEvent({ verdict: 2, drop_reason: 2 })).policy).toBeUndefined();
    expect(e.enrich(rawEvent({ rule_id: 99 })).policy?.summary).toMatch(/rule id 99 \(unknown/);
    expect(e.enrich(rawEvent({ verdict: 2, drop_reason: 1, obs_point: 1, endpoint_id: 99 })).policy?.summary).toMatch(/egress, policy enforcement is on for every endpoint/);
  });

  it('reuses policy explanations while the lookups return the same objects, and rebuilds them when they change', () => {
    let rule = { policy: { namespace: 'prod', name: 'allow-shop' }, direction: 'ingress' as const, ruleIndex: 2 };
    let selecting = [{ namespace: 'prod', name: 'a' }];
    const en = createEnricher({ ...testLookups, ruleById: () => rule, selectingPolicies: () => selecting }, testNames, fixedClock);
    const a = en.enrich(rawEvent({ rule_id: 7 })).policy;
    expect(en.enrich(rawEvent({ rule_id: 7 })).policy).toBe(a);
    rule = { ...rule, ruleIndex: 3 };
    expect(en.enrich(rawEvent({ rule_id: 7 })).policy?.summary).toBe('allowed by prod/allow-shop ingress rule 3');
    expect(en.enrich(rawEvent({ rule_id: 7, verdict: 2 })).policy?.summary).toBe('denied by prod/allow-shop ingress rule 3');
    expect(en.enrich(rawEvent({ verdict: 2, drop_reason: 1 })).policy?.summary).toMatch(/selected by prod\/a and/);
    selecting = [{ namespace: 'prod', name: 'b' }];
    expect(en.enrich(rawEvent({ verdict: 2, drop_reason: 1 })).policy?.summary).toMatch(/selected by prod\/b and/);
  });

  it('adds the service the client addressed when translated', () => {
    const f = e.enrich(rawEvent({ flags: 0x4, svc_addr: '10.97.0.10', svc_port: 80 }));
    expect(f.service).toEqual({ frontend: { ip: '10.97.0.10', port: 80, protocol: 'TCP' }, name: { namespace: 'prod', name: 'web' } });
    expect(e.enrich(rawEvent({ flags: 0x4, svc_addr: '10.97.0.11', svc_port: 53, proto: 17 })).service).toEqual({ frontend: { ip: '10.97.0.11', port: 53, protocol: 'UDP' } });
    expect(e.enrich(rawEvent({ svc_addr: '10.97.0.10', svc_port: 80 })).service).toBeUndefined();
  });

  it('rejects an unknown verdict', () => {
    expect(() => e.enrich(rawEvent({ verdict: 9 }))).toThrow(/unknown verdict code 9/);
  });
});

describe('FlowStore and FlowPipeline', () => {
  const make = (bufferSize = 4, now = () => Date.parse('2025-06-01T12:00:05Z')) => {
    const logs: string[] = [];
    const p = new FlowPipeline({
      lookups: testLookups, names: testNames, bufferSize, clock: fixedClock, now, log: (m) => logs.push(m),
      decode: (rec) => {
        if (rec.byteLength !== 4) throw new Error('bad length');
        return rawEvent({ dport: new DataView(rec.buffer, rec.byteOffset).getUint16(0), verdict: rec[2]! });
      },
    });
    return { p, logs };
  };
  const rec = (port: number, verdict = 1) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint16(0, port);
    b[2] = verdict;
    return b;
  };

  it('keeps the newest flows, counts by verdict and drop reason, and queries with a filter', () => {
    const { p } = make(4);
    p.processRecords([rec(1), rec(2, 2), rec(3), rec(4), rec(5, 2), rec(6)]);
    const s = p.store;
    expect(s.totalFlows).toBe(6);
    expect(s.query(parseFlowFilter(''), 100).map((f) => f.destination.port)).toEqual([3, 4, 5, 6]);
    expect(s.query(parseFlowFilter('verdict:DROPPED'), 100).map((f) => f.destination.port)).toEqual([5]);
    expect(s.query(parseFlowFilter(''), 2).map((f) => f.destination.port)).toEqual([5, 6]);
    expect(Object.fromEntries(s.byVerdict)).toEqual({ FORWARDED: 4, DROPPED: 2 });
    expect(Object.fromEntries(s.dropsByReason)).toEqual({ none: 2 });
    expect(s.stats()).toMatchObject({ total: 6, bufferSize: 4, buffered: 4, lost: 0, decodeErrors: 0 });
  });

  it('decodes real lumen_flow_event records with the addon codec (default decoder)', () => {
    const logs: string[] = [];
    const p = new FlowPipeline({ lookups: testLookups, bufferSize: 8, clock: fixedClock, log: (m) => logs.push(m) });
    const rec = flowEvent.encode(rawEvent({ dport: 443, verdict: 2, drop_reason: 1, flags: 0x5, svc_addr: '10.97.0.10', svc_port: 80 }));
    expect(rec.length).toBe(FLOW_EVENT_SIZE);
    p.processRecords([new Uint8Array(rec), rec.subarray(0, 40)]);
    const [f] = p.store.query(parseFlowFilter(''), 10);
    expect(f).toMatchObject({ verdict: 'DROPPED', dropReason: 'policy denied', isReply: true, destination: { port: 443 }, service: { name: { namespace: 'prod', name: 'web' } } });
    expect(p.store.decodeErrors).toBe(1);
    expect(logs[0]).toMatch(/40 bytes, lumen_flow_event is 72/);
  });

  it('counts decode and enrich errors, logs rate-limited', () => {
    const { p, logs } = make();
    p.processRecords([new Uint8Array(3), rec(1, 9), new Uint8Array(5), rec(2)]);
    expect(p.store.decodeErrors).toBe(3);
    expect(p.store.totalFlows).toBe(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/cannot decode a 3-byte flow event: bad length/);
  });

  it('streams matching flows and lost notices to followers until they unsubscribe', () => {
    const { p } = make(8);
    p.processRecords([rec(80), rec(81)]);
    const lines: FlowStreamLine[] = [];
    const stop = p.store.follow(parseFlowFilter('to-port:80-90'), (l) => lines.push(l), { backlog: 1 });
    p.processRecords([rec(82), rec(443), rec(83)]);
    p.reportLostTotal(5);
    p.reportLostTotal(5); // same absolute value: no new notice
    p.reportLostTotal(7);
    expect(p.store.followers).toBe(1);
    stop();
    p.processRecords([rec(84)]);
    expect(p.store.followers).toBe(0);
    const summary = lines.map((l) => ('flow' in l ? l.flow.destination.port : `lost ${l.lost.count}/${l.lost.total}`));
    expect(summary).toEqual([81, 82, 83, 'lost 5/5', 'lost 2/7']);
    expect(p.store.lost).toBe(7);
  });

  it('ingestRecords processes in slices without starving the event loop, and skips (counted) beyond its queue', async () => {
    let t = Date.parse('2025-06-01T12:00:05Z');
    const slow = (rec: Uint8Array) => {
      const until = performance.now() + 0.05; // 50 µs per event: 2,000 events = 100 ms of work
      while (performance.now() < until);
      return rawEvent({ dport: rec[0]! });
    };
    const p = new FlowPipeline({ lookups: testLookups, bufferSize: 8, decode: slow, maxQueued: 2000, sliceMs: 5, now: () => t });
    const lines: FlowStreamLine[] = [];
    p.store.follow(parseFlowFilter('to-port:999'), (l) => lines.push(l));
    const batch = Array.from({ length: 1500 }, () => new Uint8Array([7]));
    p.ingestRecords(batch);
    p.ingestRecords(batch); // 500 fit, 1000 skipped
    expect(p.store.skipped).toBe(1000);
    expect(p.queuedRecords).toBe(2000);
    let timerRanAfter = -1;
    const timer = new Promise<void>((resolve) => setTimeout(() => {
      timerRanAfter = p.store.totalFlows;
      resolve();
    }, 1));
    await p.flush();
    await timer;
    expect(p.store.totalFlows).toBe(2000);
    expect(timerRanAfter).toBeGreaterThanOrEqual(0);
    expect(timerRanAfter).toBeLessThan(2000); // the timer got a turn while the queue drained
    expect(lines).toEqual([{ lost: { reason: 'agent-overloaded', count: 1000, total: 1000, time: expect.any(String) } }]);
    t += 2000;
    p.ingestRecords(Array.from({ length: 2500 }, () => new Uint8Array([7])));
    await p.flush();
    p.processRecords([new Uint8Array([7])]); // the next flow after a second carries the pending notice
    expect(lines.at(-1)).toMatchObject({ lost: { reason: 'agent-overloaded', count: 500, total: 1500 } });
    expect(p.store.stats().skipped).toBe(1500);
  });

  it('computes the flow rate over complete seconds', () => {
    let t = Date.parse('2025-06-01T12:00:00.500Z');
    const store = new FlowStore(16, () => t);
    const f = createEnricher(testLookups, testNames, fixedClock).enrich(rawEvent());
    expect(store.rate()).toBe(0);
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 10; i++) store.add(f);
      t += 1000;
    }
    // 4 complete seconds of 10 flows each.
    expect(store.rate()).toBe(10);
    t += 120_000;
    expect(store.rate()).toBe(0);
  });
});
