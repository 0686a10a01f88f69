// A two-node lab in network namespaces for real-traffic tests and benchmarks:
//   node1: client pod C and backend pod B1 (pod CIDR 10.250.10.0/24), uplink to an
//          external client netns (10.251.0.0/24) and a link to node2 (10.251.1.0/24);
//   node2: backend pod B2 (10.250.20.0/24), no Lumen.
// Pods reach everything through an on-link gateway on their veth (no default routes);
// forwarding is enabled inside the node namespaces only.
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipNetns, sh, waitForLine, type Sandbox } from './netns';

const TRAFFIC = join(dirname(fileURLToPath(import.meta.url)), 'traffic.mjs');

export interface Pod {
  name: string;
  ns: string;
  ip: string;
  /** host side of the pod veth, in the node namespace */
  hostIf: string;
  hostIfindex: number;
}

export interface Topology {
  node1: string;
  node2: string;
  ext: string;
  client: Pod;
  b1: Pod;
  b2: Pod;
  /** node1's address on the external network (NodePort frontends). */
  node1Addr: string;
  extAddr: string;
  /** node1 interfaces carrying NodePort traffic */
  uplink: { name: string; ifindex: number };
  interNode: { name: string; ifindex: number };
}

function ifindexIn(ns: string, dev: string): number {
  return Number(ipNetns(ns, 'cat', `/sys/class/net/${dev}/ifindex`).trim());
}

function pod(sb: Sandbox, node: string, name: string, ip: string, gw: string, ifPrefix: string): Pod {
  const ns = sb.netns(name);
  const hostIf = `${ifPrefix}h${name}`;
  sb.veth(ns, `${ifPrefix}p${name}`, node, hostIf, `${ip}/32`);
  // The gateway address lives on every host-side veth of the node (like a router IP).
  ipNetns(node, 'ip', 'addr', 'add', `${gw}/32`, 'dev', hostIf);
  ipNetns(node, 'ip', 'route', 'add', `${ip}/32`, 'dev', hostIf, 'src', gw);
  for (const cidr of ['10.250.0.0/16', '10.251.0.0/16']) ipNetns(ns, 'ip', 'route', 'add', cidr, 'via', gw, 'dev', `${ifPrefix}p${name}`, 'onlink');
  return { name, ns, ip, hostIf, hostIfindex: ifindexIn(node, hostIf) };
}

/** Builds the namespaces; `ifPrefix` starts every interface name (<= 15 chars total). */
export function buildTopology(sb: Sandbox, ifPrefix: string): Topology {
  const node1 = sb.netns('n1');
  const node2 = sb.netns('n2');
  const ext = sb.netns('ext');
  for (const n of [node1, node2]) {
    ipNetns(n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // ICMP redirects would teach the external client shortcuts around node1.
    ipNetns(n, 'sysctl', '-qw', 'net.ipv4.conf.all.send_redirects=0');
  }
  sb.veth(ext, `${ifPrefix}ex`, node1, `${ifPrefix}up`, '10.251.0.2/24');
  ipNetns(node1, 'ip', 'addr', 'add', '10.251.0.1/24', 'dev', `${ifPrefix}up`);
  sb.veth(node1, `${ifPrefix}12`, node2, `${ifPrefix}21`, '10.251.1.1/24');
  ipNetns(node2, 'ip', 'addr', 'add', '10.251.1.2/24', 'dev', `${ifPrefix}21`);
  ipNetns(node1, 'ip', 'route', 'add', '10.250.20.0/24', 'via', '10.251.1.2');
  ipNetns(node2, 'ip', 'route', 'add', '10.250.10.0/24', 'via', '10.251.1.1');
  ipNetns(node2, 'ip', 'route', 'add', '10.251.0.0/24', 'via', '10.251.1.1');
  const client = pod(sb, node1, 'c', '10.250.10.10', '10.250.10.1', ifPrefix);
  const b1 = pod(sb, node1, 'b1', '10.250.10.11', '10.250.10.1', ifPrefix);
  const b2 = pod(sb, node2, 'b2', '10.250.20.10', '10.250.20.1', ifPrefix);
  return {
    node1, node2, ext, client, b1, b2, node1Addr: '10.251.0.1', extAddr: '10.251.0.2',
    uplink: { name: `${ifPrefix}up`, ifindex: ifindexIn(node1, `${ifPrefix}up`) },
    interNode: { name: `${ifPrefix}12`, ifindex: ifindexIn(node1, `${ifPrefix}12`) },
  };
}

export async function startServer(sb: Sandbox, p: Pod, tcpPort: number, udpPort: number): Promise<ChildProcess> {
  const proc = sb.spawn(p.ns, [process.execPath, TRAFFIC, 'server', p.name, String(tcpPort), String(udpPort)]);
  await waitForLine(proc, /^ready$/);
  return proc;
}

export interface DriverResult {
  ok: boolean;
  error?: string;
  server?: string;
  seenAs?: string;
  peer?: string;
  from?: string;
  reply?: string;
}

/** A long-lived client process in a namespace (optionally in a cgroup) taking commands. */
export class Driver {
  private next = 1;
  private readonly waiting = new Map<number, (r: DriverResult) => void>();

  private constructor(private readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (!l.startsWith('{')) return;
      const r = JSON.parse(l) as DriverResult & { id: number };
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }

  static async start(sb: Sandbox, ns: string, cgroup?: string): Promise<Driver> {
    const proc = sb.spawn(ns, [process.execPath, TRAFFIC, 'driver'], cgroup ? { cgroup } : {});
    await waitForLine(proc, /^ready$/);
    return new Driver(proc);
  }

  cmd(op: string, args: Record<string, unknown> = {}): Promise<DriverResult> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async tcp(host: string, port: number, timeoutMs = 2000): Promise<DriverResult> {
    return this.cmd('tcp-once', { host, port, timeoutMs });
  }

  async udp(host: string, port: number, timeoutMs = 2000): Promise<DriverResult> {
    return this.cmd('udp-once', { host, port, timeoutMs });
  }

  close(): void {
    this.proc.stdin?.end();
  }
}

export { sh };
