// Local endpoints (pods on this node that Lumen's CNI set up): the in-memory registry the
// reconcilers, the API view and flow enrichment read.
import type { Enforcement, EndpointHealth, Labels } from '../../../src/shared/agent-api/index.js';
import { EP_F_AUDIT, EP_F_ENFORCE_EGRESS, EP_F_ENFORCE_INGRESS, type EndpointEntry } from '../datapath/port.js';

export interface LocalEndpoint {
  id: number;
  containerId: string;
  ifName: string;
  ip: string;
  namespace: string;
  pod: string;
  podUid?: string;
  hostIf: string;
  ifindex: number;
  netns?: string;
  identity: number;
  labels: Labels;
  enforcement: { ingress: Enforcement; egress: Enforcement };
  /** Policy revision realized in the maps (bumped each time its entries or flags change). */
  policyRevision: number;
  health: EndpointHealth;
  message?: string;
}

export function endpointFlags(ep: Pick<LocalEndpoint, 'enforcement'>): number {
  let flags = 0;
  const { ingress, egress } = ep.enforcement;
  if (ingress !== 'disabled') flags |= EP_F_ENFORCE_INGRESS;
  if (egress !== 'disabled') flags |= EP_F_ENFORCE_EGRESS;
  if (ingress === 'audit' || egress === 'audit') flags |= EP_F_AUDIT;
  return flags;
}

export function endpointEntry(ep: LocalEndpoint): EndpointEntry {
  return { ifindex: ep.ifindex, endpointId: ep.id, identity: ep.identity, flags: endpointFlags(ep) };
}

export class EndpointRegistry {
  /** Set by the periodic resync: compare the endpoints map with the registry (repairs drift). */
  rereadMaps = false;
  private readonly byId = new Map<number, LocalEndpoint>();
  private readonly byContainer = new Map<string, LocalEndpoint>();
  private readonly byPod = new Map<string, LocalEndpoint>();
  private readonly byIp = new Map<string, LocalEndpoint>();

  static containerKey(containerId: string, ifName: string): string {
    return `${containerId}/${ifName}`;
  }

  put(ep: LocalEndpoint): void {
    this.remove(ep.id);
    this.byId.set(ep.id, ep);
    this.byContainer.set(EndpointRegistry.containerKey(ep.containerId, ep.ifName), ep);
    this.byPod.set(`${ep.namespace}/${ep.pod}`, ep);
    this.byIp.set(ep.ip, ep);
  }

  remove(id: number): LocalEndpoint | undefined {
    const ep = this.byId.get(id);
    if (!ep) return undefined;
    this.byId.delete(id);
    this.byContainer.delete(EndpointRegistry.containerKey(ep.containerId, ep.ifName));
    if (this.byPod.get(`${ep.namespace}/${ep.pod}`) === ep) this.byPod.delete(`${ep.namespace}/${ep.pod}`);
    if (this.byIp.get(ep.ip) === ep) this.byIp.delete(ep.ip);
    return ep;
  }

  get(id: number): LocalEndpoint | undefined { return this.byId.get(id); }
  byContainerId(containerId: string, ifName: string): LocalEndpoint | undefined {
    return this.byContainer.get(EndpointRegistry.containerKey(containerId, ifName));
  }
  byPodName(namespace: string, name: string): LocalEndpoint | undefined { return this.byPod.get(`${namespace}/${name}`); }
  byAddress(ip: string): LocalEndpoint | undefined { return this.byIp.get(ip); }
  all(): LocalEndpoint[] { return [...this.byId.values()].sort((a, b) => a.id - b.id); }
  get size(): number { return this.byId.size; }
}
