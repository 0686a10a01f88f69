// Seeded random clusters, NetworkPolicies and flows for property tests. Small vocabularies so
// that selectors, ipBlocks and named ports actually hit things; no dependencies.
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from '../../k8s/index.js';
import type { EnforcementMode, FlowPeer, PolicyFlow, PolicyInputs } from '../types.js';
import { endpointsFor, ns, pod, policy, type Cluster } from './fixtures.js';

/** mulberry32: tiny, fast, good enough for test generation. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  some<T>(items: readonly T[], max: number): T[] {
    const n = this.int(0, Math.min(max, items.length));
    const pool = [...items];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pool.splice(this.int(0, pool.length - 1), 1)[0]!);
    return out;
  }
}

const POD_KEYS = ['app', 'tier', 'role', 'pod-template-hash'];
const POD_VALUES = ['a', 'b', 'c'];
const NS_KEYS = ['team', 'env', 'kubernetes.io/metadata.name'];
const NS_NAMES = ['ns0', 'ns1', 'ns2'];
const NS_VALUES = ['x', 'y', ...NS_NAMES];
const PORT_NAMES = ['http', 'dns', 'sctp', 'metrics', 'nope'];
const PORT_NUMBERS = [53, 80, 443, 3868, 8080, 9100];

function selector(rng: Prng, keys: readonly string[], values: readonly string[]): LabelSelector {
  if (rng.chance(0.35)) return {};
  const sel: LabelSelector = {};
  if (rng.chance(0.6)) sel.matchLabels = Object.fromEntries(rng.some(keys, 2).map((k) => [k, rng.pick(values)]));
  if (rng.chance(0.5)) {
    sel.matchExpressions = rng.some(keys, 2).map((key) => {
      const operator = rng.pick(['In', 'NotIn', 'Exists', 'DoesNotExist']);
      return operator === 'In' || operator === 'NotIn' ? { key, operator, values: rng.some(values, 2).concat(rng.pick(values)) } : { key, operator };
    });
  }
  return sel;
}

export interface GeneratedWorld {
  cluster: Cluster;
  inputs: PolicyInputs;
  /** Addresses flows may use besides pods: nodes, apiserver, outside addresses. */
  addresses: string[];
  cidrPool: string[];
}

function cidrPool(cluster: Cluster): string[] {
  const pool = ['0.0.0.0/0', '10.0.0.0/8', '10.200.0.0/16', '172.28.9.0/24', '203.0.113.0/24', '203.0.113.0/25', '203.0.113.128/26'];
  for (const p of cluster.pods) pool.push(`${p.status!.podIP}/32`, `${p.status!.podIP!.split('.').slice(0, 3).join('.')}.0/24`);
  for (const n of cluster.nodes) pool.push(`${n.addresses[0]}/32`);
  for (const a of cluster.apiserverAddresses) pool.push(`${a}/32`);
  return [...new Set(pool)];
}

/** A strictly smaller prefix inside `cidr` that contains `near` if given, else random bits. */
function subPrefix(rng: Prng, cidr: string, near: string | undefined): string | undefined {
  const [addr, len] = cidr.split('/');
  const prefix = Number(len);
  if (prefix >= 32) return undefined;
  const sub = rng.int(prefix + 1, 32);
  const toNum = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const base = toNum(addr!);
  let pick = near !== undefined && (toNum(near) & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) >>> 0 === base ? toNum(near) : base + rng.int(0, 2 ** (32 - prefix) - 1);
  pick = (pick & (sub === 32 ? 0xffffffff : (0xffffffff << (32 - sub)) >>> 0)) >>> 0;
  return `${[pick >>> 24, (pick >>> 16) & 255, (pick >>> 8) & 255, pick & 255].join('.')}/${sub}`;
}

function peer(rng: Prng, world: { cidrPool: string[]; specialCidrs: string[]; addresses: string[]; podIps: string[] }): NetworkPolicyPeer {
  const kind = rng.int(0, 3);
  if (kind === 0) return { podSelector: selector(rng, POD_KEYS, POD_VALUES) };
  if (kind === 1) return { namespaceSelector: selector(rng, NS_KEYS, NS_VALUES) };
  if (kind === 2) return { namespaceSelector: selector(rng, NS_KEYS, NS_VALUES), podSelector: selector(rng, POD_KEYS, POD_VALUES) };
  // Favour prefixes around nodes and the apiserver: they are where remote-node/kube-apiserver
  // matching differs between nodes, the rarest and most error-prone case.
  const cidr = rng.chance(0.3) ? rng.pick(world.specialCidrs) : rng.pick(world.cidrPool);
  const except: string[] = [];
  for (let i = rng.int(0, 2); i > 0; i--) {
    const e = subPrefix(rng, cidr, rng.chance(0.7) ? rng.pick([...world.addresses, ...world.podIps]) : undefined);
    if (e !== undefined) except.push(e);
  }
  return { ipBlock: except.length > 0 ? { cidr, except } : { cidr } };
}

function port(rng: Prng): NetworkPolicyPort {
  const out: NetworkPolicyPort = {};
  if (rng.chance(0.5)) out.protocol = rng.pick(['TCP', 'UDP', 'SCTP']);
  const kind = rng.int(0, 3);
  if (kind === 1) out.port = rng.pick(PORT_NUMBERS);
  if (kind === 2) {
    out.port = rng.pick(PORT_NUMBERS);
    out.endPort = out.port + rng.int(0, 9000);
    if (out.endPort > 65535) out.endPort = 65535;
  }
  if (kind === 3) out.port = rng.pick(PORT_NAMES);
  // Named ports carry their own protocol in the pod spec: match it more often than chance.
  if (kind === 3 && rng.chance(0.6)) out.protocol = out.port === 'dns' ? 'UDP' : out.port === 'sctp' ? 'SCTP' : 'TCP';
  return out;
}

function rules(rng: Prng, dir: 'from' | 'to', world: Parameters<typeof peer>[1]): object[] | undefined {
  if (rng.chance(0.25)) return undefined;
  const n = rng.int(0, 3);
  const out: object[] = [];
  for (let i = 0; i < n; i++) {
    const rule: Record<string, unknown> = {};
    if (!rng.chance(0.3)) rule[dir] = rng.chance(0.05) ? [] : Array.from({ length: rng.int(1, 3) }, () => peer(rng, world));
    if (!rng.chance(0.35)) rule.ports = Array.from({ length: rng.int(1, 3) }, () => port(rng));
    out.push(rule);
  }
  return out;
}

export function generateWorld(rng: Prng): GeneratedWorld {
  const nodeCount = rng.chance(0.15) ? 1 : rng.int(2, 3);
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `n${i}`, addresses: [`172.28.9.${11 + i}`] }));
  const namespaces = NS_NAMES.map((name) => ns(name, Object.fromEntries(rng.some(['team', 'env'], 2).map((k) => [k, rng.pick(['x', 'y'])]))));
  const pods: Pod[] = [];
  const podCount = rng.int(2, 12);
  for (let i = 0; i < podCount; i++) {
    const node = rng.int(0, nodeCount - 1);
    const labels = Object.fromEntries(rng.some(POD_KEYS, 3).map((k) => [k, rng.pick(POD_VALUES)]));
    const ports = rng.some(PORT_NAMES.slice(0, 4), 3).map((name) => {
      const num = name === 'dns' ? rng.pick([53, 5353]) : name === 'sctp' ? 3868 : rng.pick([80, 8080, 9100]);
      return `${name}:${num}/${name === 'dns' ? 'UDP' : name === 'sctp' ? 'SCTP' : 'TCP'}`;
    });
    pods.push(pod({ ns: rng.pick(NS_NAMES), name: `p${i}`, labels, ip: `10.200.${node}.${10 + i}`, node: `n${node}`, ports }));
  }
  const cluster: Cluster = { namespaces, pods, nodes, apiserverAddresses: rng.chance(0.8) ? ['172.28.9.1'] : [] };
  const pool = cidrPool(cluster);
  const addresses = [...nodes.map((n) => n.addresses[0]!), ...cluster.apiserverAddresses, '203.0.113.5', '203.0.113.200', '203.0.113.130', '8.8.8.8', '10.9.9.9', '10.200.0.250', '172.28.9.99'];
  const podIps = pods.map((p) => p.status!.podIP!);
  const specialCidrs = ['172.28.9.0/24', ...nodes.map((n) => `${n.addresses[0]}/32`), ...cluster.apiserverAddresses.map((a) => `${a}/32`)];
  const world = { cidrPool: pool, specialCidrs, addresses, podIps };
  const policies: NetworkPolicy[] = [];
  for (let i = rng.int(rng.chance(0.1) ? 0 : 1, 5); i > 0; i--) {
    const spec: Record<string, unknown> = { podSelector: selector(rng, POD_KEYS, POD_VALUES) };
    const types = rng.pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    if (types) spec.policyTypes = types;
    const ingress = rules(rng, 'from', world);
    const egress = rules(rng, 'to', world);
    if (ingress) spec.ingress = ingress;
    if (egress) spec.egress = egress;
    policies.push(policy(rng.pick(NS_NAMES), `pol${i}`, spec));
  }
  const enforcement: EnforcementMode = rng.chance(0.8) ? 'default' : rng.pick(['always', 'never']);
  const endpoints = endpointsFor(pods, namespaces);
  const inputs: PolicyInputs = { policies, endpoints, nodes, apiserverAddresses: cluster.apiserverAddresses, enforcement };
  if (rng.chance(0.2)) inputs.auditNamespaces = [rng.pick(NS_NAMES)];
  if (rng.chance(0.3)) inputs.identities = [{ id: 5000, labels: { app: 'ghost', 'ns:kubernetes.io/metadata.name': 'ns1' } }];
  return { cluster, inputs, addresses, cidrPool: pool };
}

export function generateFlow(rng: Prng, world: GeneratedWorld): PolicyFlow {
  const side = (): FlowPeer => {
    if (rng.chance(0.6)) {
      const ep = rng.pick(world.inputs.endpoints);
      return rng.chance(0.5) ? { endpoint: ep } : { ip: ep.ips[0]! };
    }
    const infra = [...world.cluster.nodes.map((n) => n.addresses[0]!), ...world.cluster.apiserverAddresses];
    const r = rng.next();
    return { ip: r < 0.4 ? rng.pick(infra) : r < 0.7 ? rng.pick(['203.0.113.5', '203.0.113.130', '203.0.113.200']) : rng.pick(world.addresses) };
  };
  const src = side();
  const dst = side();
  // Often aim at a port the destination pod really has, so named ports get exercised.
  const dstEp = 'endpoint' in dst ? dst.endpoint : world.inputs.endpoints.find((e) => e.ips[0] === dst.ip);
  const real = dstEp?.ports ?? [];
  if (real.length > 0 && rng.chance(0.5)) {
    const p = rng.pick(real);
    return { src, dst, protocol: p.protocol, port: p.port };
  }
  const protocol = rng.pick(['TCP', 'TCP', 'UDP', 'SCTP', 'ICMP']);
  const port = protocol === 'ICMP' ? 0 : rng.chance(0.8) ? rng.pick([...PORT_NUMBERS, 5353, 1]) : rng.int(0, 65535);
  return { src, dst, protocol, port };
}
