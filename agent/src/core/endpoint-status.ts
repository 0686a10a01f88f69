// A local endpoint's LumenEndpoint status.
import type { LumenEndpointStatus } from '../endpoints/lumenendpoint.js';
import type { AgentContext } from './context.js';
import type { LocalEndpoint } from './endpoints.js';

export function lumenEndpointStatus(ctx: AgentContext, ep: LocalEndpoint): LumenEndpointStatus {
  const s: LumenEndpointStatus = {
    id: ep.id,
    node: ctx.node.name,
    ips: [ep.ip],
    interface: ep.hostIf,
    containerId: ep.containerId,
    identity: { id: ep.identity, labels: ep.labels },
    enforcement: { ...ep.enforcement },
    policyRevision: ep.policyRevision,
    health: ep.health,
  };
  if (ep.message) s.message = ep.message;
  return s;
}
