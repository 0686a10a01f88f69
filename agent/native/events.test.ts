// Flow event decoding from ring-buffer batches.
import { describe, expect, it } from 'vitest';
import { flowEvent } from './abi';
import { decodeBatch, splitRecords } from './events';

function record(payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  const pad = Buffer.alloc((8 - (payload.length % 8)) % 8);
  return Buffer.concat([head, payload, pad]);
}

describe('decodeBatch', () => {
  it('decodes events with names and the service address', () => {
    const raw = flowEvent.encode({
      ...flowEvent.zero(), time_ns: 5e9, packets: 2, bytes: 120, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 40000, dport: 80,
      proto: 6, verdict: 2, drop_reason: 1, obs_point: 2, src_identity: 300, dst_identity: 301, endpoint_id: 9, ifindex: 4,
      rule_id: 77, svc_addr: '10.96.0.1', svc_port: 443, tcp_flags: 0x12, flags: 0x0004 | 0x0001,
    });
    const { events, skipped } = decodeBatch(Buffer.concat([record(raw), record(Buffer.alloc(5))]), (ns) => ns / 1e6);
    expect(skipped).toBe(1);
    expect(events).toEqual([{
      time: 5000, monotonicNs: 5e9, source: { ip: '10.0.0.1', port: 40000, identity: 300 }, destination: { ip: '10.0.0.2', port: 80, identity: 301 },
      protocol: 6, verdict: 'dropped', dropReason: 1, dropReasonText: 'policy denied', obsPoint: 'to-endpoint', endpointId: 9, ifindex: 4,
      ruleId: 77, service: { ip: '10.96.0.1', port: 443 }, tcpFlags: ['SYN', 'ACK'], isReply: true, isNew: false, packets: 2, bytes: 120, flags: 5,
    }]);
  });

  it('rejects a truncated batch', () => {
    const r = record(Buffer.alloc(72));
    expect(() => splitRecords(r.subarray(0, 40))).toThrow(/truncated record at offset 0/);
  });
});
