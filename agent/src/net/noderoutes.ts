// Direct routing between nodes: in the node's network namespace, a route to every other
// node's pod CIDR via that node's InternalIP. Routes carry Lumen's protocol number so the
// agent finds (and removes) exactly its own.
import { ipBatch, ipJson } from './exec.js';

/** rtnetlink protocol tag of routes the agent owns (unassigned in iproute2's rt_protos). */
export const LUMEN_ROUTE_PROTO = 167;

export interface PeerNode { name: string; podCIDR: string; internalIP: string }

interface RouteJson { dst: string; gateway?: string; protocol?: string | number }

export async function listLumenRoutes(netns?: string): Promise<RouteJson[]> {
  return ipJson<RouteJson[]>(['route', 'show', 'proto', String(LUMEN_ROUTE_PROTO)], netns);
}

/** Makes Lumen's routes exactly `peers` (own node excluded by the caller). */
export async function syncNodeRoutes(peers: PeerNode[], netns?: string): Promise<{ added: number; removed: number }> {
  const have = await listLumenRoutes(netns);
  const want = new Map(peers.map((p) => [p.podCIDR, p.internalIP]));
  const lines: string[] = [];
  let added = 0;
  let removed = 0;
  for (const r of have) {
    if (want.get(r.dst) !== r.gateway) {
      lines.push(`route del ${r.dst} proto ${LUMEN_ROUTE_PROTO}`);
      removed++;
    }
  }
  for (const [dst, via] of want) {
    if (!have.some((r) => r.dst === dst && r.gateway === via)) {
      lines.push(`route replace ${dst} via ${via} proto ${LUMEN_ROUTE_PROTO}`);
      added++;
    }
  }
  await ipBatch(lines, netns);
  return { added, removed };
}

/** The interface holding `ip` (the node's uplink for host.bpf.o). */
export async function interfaceWithAddress(ip: string, netns?: string): Promise<{ ifname: string; ifindex: number } | undefined> {
  const links = await ipJson<{ ifindex: number; ifname: string; addr_info: { family: string; local: string }[] }[]>(['-4', 'addr', 'show'], netns);
  const found = links.find((l) => l.addr_info.some((a) => a.local === ip));
  return found && { ifname: found.ifname, ifindex: found.ifindex };
}
