// Time-driven datapath behaviour with short load-time settings: periodic flow reports
// for long-lived connections and conntrack expiry.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctViewKey } from '../../agent/native/abi';
import { EventFlag } from '../../src/shared/flow/datapath';
import { kernelSkipReason } from './lib/env';
import { A, B1, Fixture, VIP } from './lib/fixture';
import { buildPacket } from './lib/packet';
import { udp } from './lib/steps';

const skip = kernelSkipReason();

describe.skipIf(!!skip)(`report interval and conntrack expiry${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const f = new Fixture();
  beforeAll(() => f.start({ reportIntervalMs: 150, ctTimeouts: { otherSec: 0.4 } }));
  afterAll(() => f.stop());

  it('reports a long-lived flow at most once per interval', async () => {
    f.reset();
    const pkt = buildPacket(udp(A.ip, 6000, B1.ip, 9000));
    expect(f.run('from_container', pkt).events.map((e) => e.isNew)).toEqual([true]);
    for (let i = 0; i < 5; i++) expect(f.run('from_container', pkt).events).toEqual([]);
    await sleep(200);
    const r = f.run('from_container', pkt);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]!.flags & EventFlag.Periodic).toBe(EventFlag.Periodic);
    expect(r.events[0]!.packets).toBe(7);
  });

  it('forgets an idle UDP connection after its timeout: the next datagram is new again', async () => {
    f.reset();
    const pkt = buildPacket(udp(A.ip, 6001, VIP, 53));
    expect(f.run('from_container', pkt).events[0]).toMatchObject({ isNew: true });
    expect(f.run('from_container', pkt).events).toEqual([]);
    const key = ctViewKey({ ip: A.ip, port: 6001 }, { ip: VIP, port: 53 }, 17);
    const before = f.dp.maps.ct.get(key)!.last_seen_ns;
    await sleep(500);
    expect(f.run('from_container', pkt).events[0]).toMatchObject({ isNew: true, packets: 1 });
    expect(f.dp.maps.ct.get(key)!.last_seen_ns).toBeGreaterThan(before + 400e6);
  });
});
