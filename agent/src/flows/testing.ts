// Test fixtures for the flow pipeline and the API: datapath names, a small cluster behind FlowLookups, raw events (used by tests and the benchmark).
import type { FlowLookups, Labels } from '../api/view.js';
import { datapathNames, type DatapathNames, type RawFlowEvent } from './raw.js';

const identityLabels: Record<number, Labels> = { 300: { app: 'client' }, 301: { app: 'web' }, 2: { 'reserved:world': '' } };

/** The real datapath names (src/shared/flow/datapath.ts): verdict 1 FORWARDED, 2 DROPPED, 3 AUDIT; drop 1 policy denied; obs 1 from-endpoint, 2 to-endpoint; flags 1 reply, 4 translated. */
export const testNames: DatapathNames = datapathNames;

export const testLookups: FlowLookups = {
  nodeName: 'node-a',
  endpointById: (id) => (id === 12 ? { id, pod: { namespace: 'prod', name: 'web-1' }, identity: 301, labels: { app: 'web' } } : undefined),
  peerByIp: (ip) =>
    ({
      '10.201.0.5': { namespace: 'shop', pod: 'client-1', node: 'node-b', identity: 300 },
      '10.201.1.9': { namespace: 'prod', pod: 'web-1', node: 'node-a', identity: 301 },
      '172.28.1.12': { node: 'node-b', identity: 6 },
    })[ip],
  identityLabels: (id) => (identityLabels as Record<number, Labels>)[id],
  serviceByFrontend: (fe) => (fe.ip === '10.97.0.10' && fe.port === 80 ? { namespace: 'prod', name: 'web' } : undefined),
  ruleById: (id) => (id === 7 ? { policy: { namespace: 'prod', name: 'allow-shop' }, direction: 'ingress', ruleIndex: 2 } : undefined),
  selectingPolicies: (ep, dir) => (ep === 12 && dir === 'ingress' ? [{ namespace: 'prod', name: 'default-deny' }, { namespace: 'prod', name: 'allow-shop' }] : []),
};

export function rawEvent(over: Partial<RawFlowEvent> = {}): RawFlowEvent {
  return {
    time_ns: 1_000_000_000, packets: 1, bytes: 74,
    saddr: '10.201.0.5', daddr: '10.201.1.9', sport: 40000, dport: 8080, proto: 6,
    verdict: 1, drop_reason: 0, obs_point: 2, src_identity: 300, dst_identity: 301, endpoint_id: 12, ifindex: 7,
    rule_id: 0, svc_addr: '0.0.0.0', svc_port: 0, tcp_flags: 0x02, flags: 0, ...over,
  } as RawFlowEvent;
}
