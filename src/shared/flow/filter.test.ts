// Flow filter language: the three spellings parse to the same filter, errors name the token, the matcher applies AND/OR/negation/sides/time.
import { describe, expect, it } from 'vitest';
import type { Flow } from './flow.js';
import { FilterError, flowFilterFromEntries, flowFilterFromQuery, flowFilterToQuery, flowFilterToText, isEmptyFilter, matchFlow, parseDuration, parseFlowFilter } from './filter.js';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function flow(over: Partial<Flow> = {}): Flow {
  return {
    time: '2025-06-01T11:59:00.000Z',
    node: 'node-a',
    verdict: 'FORWARDED',
    observationPoint: 'to-endpoint',
    protocol: 'TCP',
    ipProtocol: 6,
    source: { ip: '10.201.0.5', port: 40000, identity: 300, labels: { app: 'client', 'ns:kubernetes.io/metadata.name': 'shop' }, namespace: 'shop', pod: 'client-7d9f', node: 'node-a' },
    destination: { ip: '10.201.1.9', port: 8080, identity: 301, labels: { app: 'web' }, namespace: 'prod', pod: 'web-1', node: 'node-b' },
    isReply: false,
    tcpFlags: ['SYN'],
    packets: 1,
    bytes: 60,
    endpointId: 12,
    ifindex: 7,
    ...over,
  };
}

const parse = (text: string) => parseFlowFilter(text, { now: NOW });
const matches = (text: string, f: Flow = flow()) => matchFlow(parse(text), f);

describe('parser', () => {
  it('accepts key:value and key=value, comma lists and repeated keys as OR', () => {
    const a = parse('namespace:shop,prod verdict=dropped');
    const b = parse('namespace:shop namespace:prod verdict:DROPPED');
    expect(a.clauses).toEqual(b.clauses);
    expect(a.clauses).toEqual([
      { field: 'namespace', side: 'either', negate: false, values: ['shop', 'prod'] },
      { field: 'verdict', negate: false, values: ['DROPPED'] },
    ]);
  });

  it('resolves since/until against now', () => {
    const f = parse('since:5m until:2025-06-01T11:59:30Z');
    expect(f.since).toBe('2025-06-01T11:55:00.000Z');
    expect(f.until).toBe('2025-06-01T11:59:30.000Z');
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('5 minutes')).toBeUndefined();
  });

  it('query string and text forms agree and round-trip', () => {
    const q = new URLSearchParams('to-port=80,443&!verdict=FORWARDED&pod=shop/client-*&follow=true&limit=5');
    const fromQuery = flowFilterFromQuery(q, { now: NOW });
    const fromText = parse('to-port:80,443 !verdict:FORWARDED pod:shop/client-*');
    expect(fromQuery.clauses).toEqual(fromText.clauses);
    expect(flowFilterFromQuery(flowFilterToQuery(fromText), { now: NOW }).clauses).toEqual(fromText.clauses);
    expect(parse(flowFilterToText(fromText)).clauses).toEqual(fromText.clauses);
  });

  it.each([
    ['port:http', /"port:http".*port 0-65535 or a range/],
    ['port:90-80', /range/],
    ['to-port:70000', /port 0-65535/],
    ['namspace:x', /unknown key \(did you mean "namespace"\?\)/],
    ['bogus:1', /unknown key \(known keys: namespace/],
    ['verdict:ok', /expected one of FORWARDED, DROPPED, AUDIT/],
    ['protocol:http', /TCP, UDP, SCTP, ICMP/],
    ['identity:web', /numeric identity/],
    ['ip:10.0.0.300', /IPv4 address or CIDR/],
    ['ip:10.0.0.0/40', /IPv4 address or CIDR/],
    ['since:yesterday', /duration before now/],
    ['from-verdict:DROPPED', /takes no from-\/to- prefix/],
    ['!since:5m', /takes no "!"/],
    ['namespace', /expected key:value/],
    ['pod:Shop/X', /expected a pod/],
    ['namespace:a,,b', /empty value/],
    ['since:1m until:5m', /until.*is before since/],
  ])('rejects %s', (text, why) => {
    expect(() => parse(text)).toThrow(FilterError);
    expect(() => parse(text)).toThrow(why);
  });

  it('an empty filter keeps everything', () => {
    expect(isEmptyFilter(parse('  '))).toBe(true);
    expect(matches('')).toBe(true);
  });
});

describe('matcher', () => {
  it('matches peer keys on either side unless from-/to- says which', () => {
    expect(matches('namespace:prod')).toBe(true);
    expect(matches('namespace:shop')).toBe(true);
    expect(matches('from-namespace:prod')).toBe(false);
    expect(matches('to-namespace:prod')).toBe(true);
    expect(matches('to-port:8080 from-port:40000')).toBe(true);
    expect(matches('from-port:8080')).toBe(false);
    expect(matches('port:8000-8100')).toBe(true);
  });

  it('matches pods exactly, by name in any namespace, or by prefix', () => {
    expect(matches('pod:prod/web-1')).toBe(true);
    expect(matches('pod:web-1')).toBe(true);
    expect(matches('pod:shop/web-1')).toBe(false);
    expect(matches('pod:shop/client-*')).toBe(true);
    expect(matches('to-pod:client-*')).toBe(false);
  });

  it('ANDs keys, ORs values, negates with !', () => {
    expect(matches('namespace:prod verdict:DROPPED')).toBe(false);
    expect(matches('namespace:prod verdict:DROPPED,FORWARDED')).toBe(true);
    expect(matches('!verdict:FORWARDED')).toBe(false);
    expect(matches('!namespace:kube-system')).toBe(true);
    expect(matches('!from-identity:300')).toBe(false);
    expect(matches('!to-identity:300')).toBe(true);
  });

  it('matches identity, labels, ip/cidr, node, protocol, reply, drop reason, service', () => {
    expect(matches('identity:301')).toBe(true);
    expect(matches('from-label:app=client')).toBe(true);
    expect(matches('label:ns:kubernetes.io/metadata.name=shop')).toBe(true);
    expect(matches('to-label:app')).toBe(true);
    expect(matches('to-label:app=client')).toBe(false);
    expect(matches('ip:10.201.1.0/24')).toBe(true);
    expect(matches('from-ip:10.201.1.0/24')).toBe(false);
    expect(matches('ip:0.0.0.0/0')).toBe(true);
    expect(matches('to-node:node-b')).toBe(true);
    expect(matches('protocol:udp')).toBe(false);
    expect(matches('reply:false')).toBe(true);
    const dropped = flow({ verdict: 'DROPPED', dropReason: 'Policy denied', service: { frontend: { ip: '10.97.0.10', port: 80, protocol: 'TCP' }, name: { namespace: 'prod', name: 'web' } } });
    expect(matches('drop-reason:"Policy denied"', dropped)).toBe(true);
    expect(matches('drop-reason:"no service backends"', dropped)).toBe(false);
    expect(matchFlow(flowFilterFromEntries([['drop-reason', 'policy denied']]), dropped)).toBe(true);
    expect(parse(flowFilterToText(parse('drop-reason:"policy denied"'))).clauses).toEqual(parse('reason:"policy denied"').clauses);
    expect(() => parse('drop-reason:"policy')).toThrow(/unterminated/);
    expect(matches('service:prod/web', dropped)).toBe(true);
    expect(matches('service:web', dropped)).toBe(true);
    expect(matches('service:web')).toBe(false);
  });

  it('applies since/until to the flow time', () => {
    expect(matches('since:2m')).toBe(true);
    expect(matches('since:30s')).toBe(false);
    expect(matches('until:2m')).toBe(false);
  });
});
