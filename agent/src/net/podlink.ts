// Pod interface plumbing for CNI: the veth pair (host side `lxc<hash>`, pod side
// CNI_IFNAME inside the pod's netns), the pod's address, link-local gateway and routes,
// and the node's /32 route back to the pod.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CommandError, ipBatch, ipJson, run } from './exec.js';

/** The pod's gateway: link-local, answered by a permanent neighbour entry (no proxy ARP). */
export const POD_GATEWAY = '169.254.1.1';

export interface LinkInfo { ifindex: number; ifname: string; address: string; operstate?: string; mtu?: number }

/** Host-side veth name: "lxc" + 12 hex of a hash of the container id and interface (15 chars). */
export function hostIfName(containerId: string, ifName: string): string {
  return `lxc${createHash('sha256').update(`${containerId}/${ifName}`).digest('hex').slice(0, 12)}`;
}

export async function linkShow(name: string, netns?: string): Promise<LinkInfo | undefined> {
  try {
    const links = await ipJson<LinkInfo[]>(['link', 'show', 'dev', name], netns);
    return links[0];
  } catch (err) {
    if (err instanceof CommandError && /does not exist|Cannot find device/.test(err.stderr)) return undefined;
    throw err;
  }
}

export interface PodLinkSpec {
  hostIf: string;
  netns: string;
  ifName: string;
  ip: string;
  /** Destinations routed via the gateway; 'default' adds a default route instead. */
  routes: string[] | 'default';
  mtu?: number;
  /** Network namespace of the node side; unset = the agent's own (hostNetwork) one. Tests use it. */
  nodeNetns?: string;
}

export interface PodLink { host: LinkInfo; pod: LinkInfo }

/**
 * Creates the veth pair and configures both ends. Idempotent for a retried ADD: an
 * existing host veth is removed first (its peer goes with it), so the result is fresh.
 */
export async function setupPodLink(spec: PodLinkSpec): Promise<PodLink> {
  const node = spec.nodeNetns;
  if (await linkShow(spec.hostIf, node)) await run(['ip', 'link', 'del', 'dev', spec.hostIf], { netns: node });
  const mtu = spec.mtu ? ['mtu', String(spec.mtu)] : [];
  // The peer is created directly inside the pod's namespace under its final name, so it
  // never collides with a host interface name.
  await run(['ip', 'link', 'add', spec.hostIf, ...mtu, 'type', 'veth', 'peer', 'name', spec.ifName, ...mtu, 'netns', spec.netns], { netns: node });
  try {
    await hostVethSysctls(spec.hostIf, node);
    // The datapath is IPv4-only: no IPv6 (router solicitations, DAD) in the pod either.
    await setSysctl(`net/ipv6/conf/${spec.ifName}/disable_ipv6`, '1', spec.netns).catch(() => undefined);
    await ipBatch([`link set dev ${spec.hostIf} up`], node);
    const host = await linkShow(spec.hostIf, node);
    if (!host) throw new Error(`veth ${spec.hostIf} vanished right after creation`);
    const routes = spec.routes === 'default'
      ? [`route replace default via ${POD_GATEWAY} dev ${spec.ifName} src ${spec.ip}`]
      : spec.routes.map((dst) => `route replace ${dst} via ${POD_GATEWAY} dev ${spec.ifName} src ${spec.ip}`);
    await ipBatch([
      'link set dev lo up',
      `addr replace ${spec.ip}/32 dev ${spec.ifName}`,
      `link set dev ${spec.ifName} up`,
      `neigh replace ${POD_GATEWAY} dev ${spec.ifName} lladdr ${host.address} nud permanent`,
      `route replace ${POD_GATEWAY} dev ${spec.ifName} scope link`,
      ...routes,
    ], spec.netns);
    await ipBatch([`route replace ${spec.ip}/32 dev ${spec.hostIf} scope link`], node);
    const pod = await linkShow(spec.ifName, spec.netns);
    if (!pod) throw new Error(`pod interface ${spec.ifName} is missing in ${spec.netns}`);
    return { host, pod };
  } catch (err) {
    await run(['ip', 'link', 'del', 'dev', spec.hostIf], { netns: node, okCodes: [1, 2] }).catch(() => undefined);
    throw err;
  }
}

/**
 * Host-side veth settings. NodePort replies of a local backend are reverse-translated on
 * this veth to the node's own address as source; the stack drops forwarded packets with a
 * local source unless accept_local is set on the interface they arrive on. The datapath is
 * IPv4-only: no IPv6 (router solicitations, DAD) on the veth. Also run on restored veths.
 */
export async function hostVethSysctls(hostIf: string, nodeNetns?: string): Promise<void> {
  await setSysctl(`net/ipv4/conf/${hostIf}/accept_local`, '1', nodeNetns);
  await setSysctl(`net/ipv6/conf/${hostIf}/disable_ipv6`, '1', nodeNetns).catch(() => undefined);
}

/**
 * Where the agent writes its own netns' sysctls. A container runtime mounts /proc/sys
 * read-only in unprivileged containers, so a DaemonSet mounts the host's /proc/sys/net
 * writable at /host/proc/sys/net (with hostNetwork it is the agent's netns either way).
 */
function sysctlRoot(): string {
  return process.env.LUMEN_PROC_SYS ?? (existsSync('/host/proc/sys/net') ? '/host/proc/sys' : '/proc/sys');
}

/** Writes a per-netns sysctl (in `netns` through nsenter, else in the agent's own). */
async function setSysctl(key: string, value: string, netns?: string): Promise<void> {
  if (!/^[\w./-]+$/.test(key)) throw new Error(`bad sysctl key ${key}`);
  if (netns) await run(['sh', '-c', `echo ${value} > /proc/sys/${key}`], { netns });
  else await writeFile(`${sysctlRoot()}/${key}`, value);
}

/** Removes the host veth (the peer and the /32 route go with it). Missing is fine. */
export async function teardownPodLink(hostIf: string, ip?: string, nodeNetns?: string): Promise<void> {
  if (await linkShow(hostIf, nodeNetns)) await run(['ip', 'link', 'del', 'dev', hostIf], { netns: nodeNetns });
  // A stale /32 from a half-done ADD would misroute the next pod that gets this address.
  if (ip) await run(['ip', 'route', 'del', `${ip}/32`, 'dev', hostIf], { netns: nodeNetns, okCodes: [1, 2] }).catch(() => undefined);
}

/** Verifies what setupPodLink made; returns a list of problems (empty = fine). */
export async function checkPodLink(spec: PodLinkSpec): Promise<string[]> {
  const problems: string[] = [];
  const host = await linkShow(spec.hostIf, spec.nodeNetns);
  if (!host) return [`host interface ${spec.hostIf} is missing`];
  const pod = await linkShow(spec.ifName, spec.netns).catch((err: Error) => {
    problems.push(`cannot inspect ${spec.ifName} in ${spec.netns}: ${err.message}`);
    return undefined;
  });
  if (!pod && problems.length === 0) problems.push(`interface ${spec.ifName} is missing in ${spec.netns}`);
  if (pod) {
    const addrs = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(['addr', 'show', 'dev', spec.ifName], spec.netns);
    const has = addrs[0]?.addr_info.some((a) => a.local === spec.ip && a.prefixlen === 32);
    if (!has) problems.push(`${spec.ifName} does not hold ${spec.ip}/32`);
    const routes = await ipJson<{ dst: string; gateway?: string }[]>(['route', 'show', 'dev', spec.ifName], spec.netns);
    const want = spec.routes === 'default' ? ['default'] : spec.routes;
    for (const dst of want) {
      if (!routes.some((r) => r.dst === dst && r.gateway === POD_GATEWAY)) problems.push(`route ${dst} via ${POD_GATEWAY} is missing in the pod`);
    }
  }
  const back = await ipJson<{ dst: string; dev: string }[]>(['route', 'show', `${spec.ip}/32`], spec.nodeNetns);
  if (!back.some((r) => r.dev === spec.hostIf)) problems.push(`node route ${spec.ip}/32 dev ${spec.hostIf} is missing`);
  return problems;
}

/** All host-side pod veths on this node (for start-up reconciliation). */
export async function listHostVeths(nodeNetns?: string): Promise<LinkInfo[]> {
  const links = await ipJson<LinkInfo[]>(['link', 'show', 'type', 'veth'], nodeNetns);
  return links.filter((l) => /^lxc[0-9a-f]{12}$/.test(l.ifname));
}
