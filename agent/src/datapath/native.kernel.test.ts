// The agent's datapath adapter against real pinned maps: service/ipcache/endpoint/policy
// writes read back as written, state survives a reload (restart), and pins that no longer
// fit the programs (an upgrade changed a map) are recreated instead of failing the load.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../native/index.js';
import { defaultConfig, mapSizesOf, type AgentConfig } from '../config.js';
import { ServicePlanner } from '../services/plan.js';
import { emptyServiceMaps, type WantedFrontend } from '../services/model.js';
import { dropIncompatiblePins, NativeDatapath } from './native.js';

const pinDir = `/sys/fs/bpf/lumen-test-agent-${randomBytes(3).toString('hex')}`;
const objectsBuilt = existsSync('bpf/.output/lxc.bpf.o') && existsSync('agent/native/build/Release/lumen_bpf.node');
const bpffs = /\s\/sys\/fs\/bpf\sbpf\s/.test(readFileSync('/proc/self/mounts', 'utf8'));
const skip = process.getuid?.() !== 0 ? 'needs root' : !objectsBuilt ? 'needs npm run build:bpf and build:native' : !bpffs ? 'needs bpffs at /sys/fs/bpf' : '';

const small = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  ...defaultConfig(), bpffsDir: pinDir, mapSizeServices: 1024, mapSizeBackends: 1024, mapSizeRevNat: 1024, mapSizeConntrack: 4096,
  mapSizeIpcache: 1024, mapSizeEndpoints: 256, mapSizePolicy: 1024, mapSizeAffinity: 1024, mapSizeSock: 1024, eventsRingBytes: 1 << 16, ...over,
});
const node = { name: 'n1', ip: '10.250.0.1', addresses: ['10.250.0.1'], podCIDR: '10.250.1.0/24' };

function open(config: AgentConfig): NativeDatapath {
  dropIncompatiblePins(pinDir, ['lxc', 'sock'], mapSizesOf(config) as unknown as Record<string, number>);
  return new NativeDatapath(Datapath.load({ pinDir, objects: ['lxc', 'sock'], config: { nodeAddress: node.ip }, mapSizes: mapSizesOf(config) }), config, node);
}

const fe: WantedFrontend = {
  addr: '10.96.0.10', port: 80, proto: 6, kind: 'ClusterIP', service: { namespace: 'ns', name: 'web' }, portName: '', affinityTimeout: 60, local: false,
  backends: [{ addr: '10.250.1.5', port: 8080, state: 'active' }, { addr: '10.250.1.6', port: 8080, state: 'terminating' }],
};

describe.skipIf(!!skip)(`native datapath adapter${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => Datapath.unpin(pinDir));
  afterAll(() => Datapath.unpin(pinDir));

  it('writes services, ipcache, endpoints and policy and reads them back; a reload keeps them', async () => {
    const dp = open(small());
    const planner = new ServicePlanner();
    const plan = planner.plan([fe], emptyServiceMaps());
    await dp.writeServices(plan.phases);
    expect(await dp.readServices()).toEqual(plan.next);
    await dp.writeIpcache([['10.250.1.5/32', 300], ['10.0.0.0/8', 1 << 24]], []);
    await dp.writeEndpoint('10.250.1.5', { ifindex: 7, endpointId: 3, identity: 300, flags: 1 });
    const entry = { endpointId: 3, direction: 'ingress' as const, remoteIdentity: 301, protocol: 6 as const, portLow: 8000, portHigh: 8100, verdict: 'allow' as const, ruleId: 99 };
    expect((await dp.syncPolicy([3], [entry])).written).toBeGreaterThan(1); // a range is several prefix blocks
    expect([...(await dp.policyEndpointIds())]).toEqual([3]);
    await dp.close();

    const again = open(small());
    expect(await again.readServices()).toEqual(plan.next);
    expect(await again.readIpcache()).toEqual(new Map([['10.0.0.0/8', 1 << 24], ['10.250.1.5/32', 300]]));
    expect((await again.readEndpoints()).get('10.250.1.5')).toEqual({ ifindex: 7, endpointId: 3, identity: 300, flags: 1 });
    // Same entries again: nothing to write.
    expect(await again.syncPolicy([3], [entry])).toEqual({ written: 0, deleted: 0 });
    expect((await again.syncPolicy([3], [])).deleted).toBeGreaterThan(1);
    await again.writeIpcache([], ['10.0.0.0/8']);
    expect([...(await again.readIpcache()).keys()]).toEqual(['10.250.1.5/32']);
    // An entry deleted behind the adapter's back is not seen until it rereads the map.
    await again.syncPolicy([3], [entry]);
    const [firstKey] = again.dp.maps.policy.entries()[0]!;
    again.dp.maps.policy.delete(firstKey);
    expect(await again.syncPolicy([3], [entry])).toEqual({ written: 0, deleted: 0 });
    again.rereadPolicy();
    expect(await again.syncPolicy([3], [entry])).toEqual({ written: 1, deleted: 0 });
    expect((await again.syncPolicy([3], [])).deleted).toBeGreaterThan(1);
    const pressure = await again.mapPressure();
    expect(pressure.find((m) => m.name === 'lumen_services')).toEqual({ name: 'lumen_services', maxEntries: 1024, entries: 3 });
    await again.close();
  });

  it('counts the connection tables for map pressure (batch walk), reusing a count for a while', async () => {
    const dp = open(small());
    const entry = (i: number) => [
      { saddr: '10.250.1.5', daddr: `10.9.${i >> 8}.${i & 255}`, sport: 40000, dport: 80, proto: 6, scope: 0, pad: 0 },
      dp.dp.maps.ct.value.decode(Buffer.alloc(dp.dp.maps.ct.value.size), 0),
    ] as const;
    dp.dp.maps.ct.setMany(Array.from({ length: 1000 }, (_, i) => entry(i)));
    const ct = (await dp.mapPressure()).find((m) => m.name === 'lumen_ct');
    expect(ct).toEqual({ name: 'lumen_ct', maxEntries: 4096, entries: 1000 });
    dp.dp.maps.ct.setMany(Array.from({ length: 10 }, (_, i) => entry(2000 + i)));
    expect((await dp.mapPressure()).find((m) => m.name === 'lumen_ct')?.entries).toBe(1000); // the count is reused
    expect(dp.dp.maps.ct.count()).toBe(1010);
    await dp.close();
  });

  it('recreates only the pins that no longer fit (here: a bigger services map)', async () => {
    const bigger = small({ mapSizeServices: 2048 });
    expect(dropIncompatiblePins(pinDir, ['lxc', 'sock'], mapSizesOf(bigger) as unknown as Record<string, number>)).toEqual(['lumen_services']);
    const dp = open(bigger);
    expect((await dp.readServices()).services.size).toBe(0);
    expect((await dp.readIpcache()).size).toBe(1); // untouched maps keep their entries
    await dp.close();
    expect(readdirSync(pinDir)).toContain('lumen_services');
  });
});
