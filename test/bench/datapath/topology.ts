// The benchmark's namespaces: a node, a client pod and a backend pod holding three
// backend addresses, wired like the tests' pods (on-link gateway, /32 routes, no default
// routes), all named lumen-bench-*.
import { ipNetns, type Sandbox } from '../../../bpf/tests/lib/netns';

export const BACKEND_IPS = ['10.250.30.11', '10.250.30.12', '10.250.30.13'];
export const BACKEND_PORT = 8080;
export const CLIENT_IP = '10.250.30.2';
const GW = '10.250.30.1';

export interface BenchTopology {
  node: string;
  client: string;
  backend: string;
  clientHostIfindex: number;
  backendHostIfindex: number;
}

function ifindexIn(ns: string, dev: string): number {
  return Number(ipNetns(ns, 'cat', `/sys/class/net/${dev}/ifindex`).trim());
}

export function buildBenchTopology(sb: Sandbox): BenchTopology {
  const node = sb.netns('n');
  const client = sb.netns('c');
  const backend = sb.netns('b');
  ipNetns(node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  sb.veth(client, 'lumen-bench-pc', node, 'lumen-bench-hc', `${CLIENT_IP}/32`);
  sb.veth(backend, 'lumen-bench-pb', node, 'lumen-bench-hb');
  for (const ip of BACKEND_IPS) ipNetns(backend, 'ip', 'addr', 'add', `${ip}/32`, 'dev', 'lumen-bench-pb');
  for (const dev of ['lumen-bench-hc', 'lumen-bench-hb']) ipNetns(node, 'ip', 'addr', 'add', `${GW}/32`, 'dev', dev);
  ipNetns(node, 'ip', 'route', 'add', `${CLIENT_IP}/32`, 'dev', 'lumen-bench-hc', 'src', GW);
  for (const ip of BACKEND_IPS) ipNetns(node, 'ip', 'route', 'add', `${ip}/32`, 'dev', 'lumen-bench-hb', 'src', GW);
  // Service addresses (10.96/12 here) and pods are reached through the gateway only.
  for (const [ns, dev] of [[client, 'lumen-bench-pc'], [backend, 'lumen-bench-pb']] as const) {
    for (const cidr of ['10.250.0.0/16', '10.96.0.0/12']) ipNetns(ns, 'ip', 'route', 'add', cidr, 'via', GW, 'dev', dev, 'onlink');
  }
  return {
    node, client, backend,
    clientHostIfindex: ifindexIn(node, 'lumen-bench-hc'),
    backendHostIfindex: ifindexIn(node, 'lumen-bench-hb'),
  };
}

/** Service i's ClusterIP: 10.96.0.0/12 holds 1M addresses, plenty for 10k services. */
export function serviceVip(i: number): string {
  const n = 0x0a600000 + 10 + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
