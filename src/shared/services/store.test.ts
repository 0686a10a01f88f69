// ServiceIndex: incremental recomputation (only the touched service changes), slices moving
// between services, deletes, and the 5,000-service / 50,000-endpoint scale the console needs.
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../k8s/index.js';
import { desiredServices } from './model.js';
import { ServiceIndex } from './store.js';
import { summarizeService } from './summary.js';

function svc(ns: string, name: string, ip: string): Service {
  return { metadata: { name, namespace: ns }, spec: { clusterIP: ip, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'grpc', port: 9000 }] } };
}

function slice(ns: string, name: string, service: string, ips: string[], terminatingFrom = ips.length): EndpointSlice {
  return {
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'grpc', port: 9000, protocol: 'TCP' }],
    endpoints: ips.map((ip, i) => ({ addresses: [ip], nodeName: `n${i % 3}`, conditions: i >= terminatingFrom ? { ready: false, serving: true, terminating: true } : { ready: true } })),
  };
}

describe('ServiceIndex', () => {
  it('recomputes only the service an event touches', () => {
    const index = new ServiceIndex();
    index.replaceAll([svc('a', 's1', '10.96.0.1'), svc('a', 's2', '10.96.0.2')], [slice('a', 's1-x', 's1', ['10.0.0.1']), slice('a', 's2-x', 's2', ['10.0.0.2'])]);
    expect(index.keys().sort()).toEqual(['a/s1', 'a/s2']);
    const s1 = index.get('a/s1')!;
    const s2 = index.get('a/s2')!;
    const row2 = index.summary('a/s2')!;
    index.takeChanged();
    index.upsertSlice(slice('a', 's1-x', 's1', ['10.0.0.1', '10.0.0.3'], 1));
    expect(index.takeChanged()).toEqual(['a/s1']);
    expect(index.get('a/s2')).toBe(s2);
    expect(index.summary('a/s2')).toBe(row2);
    expect(index.get('a/s1')).not.toBe(s1);
    expect(index.summary('a/s1')!.backends).toEqual({ total: 2, ready: 1, serving: 2, terminating: 1 });
  });

  it('moves a slice whose service label changes, and handles deletes', () => {
    const index = new ServiceIndex({ nodeAddresses: ['172.28.1.11'] });
    index.upsertService(svc('a', 's1', '10.96.0.1'));
    index.upsertService(svc('a', 's2', '10.96.0.2'));
    index.upsertSlice(slice('a', 'x', 's1', ['10.0.0.1']));
    expect(index.summary('a/s1')!.backends.total).toBe(1);
    index.takeChanged();
    index.upsertSlice(slice('a', 'x', 's2', ['10.0.0.1']));
    expect(index.takeChanged().sort()).toEqual(['a/s1', 'a/s2']);
    expect(index.summary('a/s1')!.backends.total).toBe(0);
    expect(index.summary('a/s2')!.backends.total).toBe(1);
    index.deleteSlice('a/x');
    expect(index.summary('a/s2')!.backends.total).toBe(0);
    // A slice can arrive before its Service; the service then sees it.
    index.upsertSlice(slice('a', 'early', 's3', ['10.0.0.9']));
    expect(index.get('a/s3')).toBeUndefined();
    index.upsertService(svc('a', 's3', '10.96.0.3'));
    expect(index.get('a/s3')!.ports[0]!.backends.map((b) => b.ip)).toEqual(['10.0.0.9']);
    index.deleteService('a/s3');
    expect(index.keys().sort()).toEqual(['a/s1', 'a/s2']);
    const v = index.version;
    index.deleteService('a/nope');
    expect(index.version).toBe(v);
  });

  it('handles 5,000 services and 50,000 endpoints without quadratic work', () => {
    const services: Service[] = [];
    const slices: EndpointSlice[] = [];
    for (let i = 0; i < 5000; i++) {
      const ns = `ns${i % 50}`;
      services.push(svc(ns, `svc${i}`, `10.96.${i >> 8}.${i & 255}`));
      const ips = Array.from({ length: 10 }, (_, k) => `10.${200 + (k % 3)}.${(i >> 8) & 255}.${(i + k * 7) & 255}`);
      slices.push(slice(ns, `svc${i}-a`, `svc${i}`, ips.slice(0, 5)), slice(ns, `svc${i}-b`, `svc${i}`, ips.slice(5), 4));
    }
    const t0 = performance.now();
    const all = desiredServices(services, slices, { nodeAddresses: ['172.28.1.11', '172.28.1.12'] });
    const rows = [...all.values()].map(summarizeService);
    const batchMs = performance.now() - t0;

    const index = new ServiceIndex({ nodeAddresses: ['172.28.1.11', '172.28.1.12'] });
    const t1 = performance.now();
    index.replaceAll(services, slices);
    const indexRows = index.summaries();
    const indexMs = performance.now() - t1;
    const t2 = performance.now();
    for (let i = 0; i < 1000; i++) {
      index.upsertSlice(slice(`ns${i % 50}`, `svc${i}-a`, `svc${i}`, [`10.250.0.${i & 255}`]));
      index.summary(`ns${i % 50}/svc${i}`);
    }
    const updatesMs = performance.now() - t2;

    expect(rows).toHaveLength(5000);
    expect(indexRows).toHaveLength(5000);
    expect(rows.reduce((n, r) => n + r.backends.total, 0)).toBeGreaterThan(45_000);
    expect(indexRows[0]).toEqual(rows[0]);
    console.info(`[services.scale] 5000 services/50000 endpoints: batch ${batchMs.toFixed(0)} ms, index ${indexMs.toFixed(0)} ms, 1000 slice updates ${updatesMs.toFixed(1)} ms`);
    // Generous bounds: they only catch accidental quadratic work (which would take minutes).
    expect(batchMs).toBeLessThan(5000);
    expect(updatesMs).toBeLessThan(2000);
  }, 60_000);
});
