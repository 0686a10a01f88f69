// The agent core's shared state, handed to each reconciler and to the CNI handler.
import type { AgentConfig, AgentEnv } from '../config.js';
import type { DatapathPort } from '../datapath/port.js';
import type { IdentityAllocator } from '../identity/allocator.js';
import type { Ipam } from '../cni/ipam.js';
import type { KubeClient } from '../k8s/client.js';
import type { Watches } from '../k8s/watches.js';
import type { LumenEndpointWriter } from '../endpoints/lumenendpoint.js';
import type { ServicePlanner } from '../services/plan.js';
import type { EndpointRegistry } from './endpoints.js';
import type { PolicyState } from './policy-state.js';
import type { ServiceState } from './service-state.js';

export interface NodeInfo {
  name: string;
  /** The node's InternalIP (NODE_IP): NodePort frontends, uplink, routes. */
  ip: string;
  addresses: string[];
  podCIDR: string;
  uplink?: { ifname: string; ifindex: number };
}

export type ReconcilePart = 'ipcache' | 'services' | 'policy' | 'routes' | 'endpoints';

export interface AgentContext {
  readonly config: AgentConfig;
  readonly env: AgentEnv;
  readonly client: KubeClient;
  readonly watches: Watches;
  readonly datapath: DatapathPort;
  readonly node: NodeInfo;
  readonly ipam: Ipam;
  readonly endpoints: EndpointRegistry;
  readonly identities: IdentityAllocator;
  readonly lumenEndpoints: LumenEndpointWriter;
  readonly planner: ServicePlanner;
  readonly services: ServiceState;
  readonly policy: PolicyState;
  /** Network namespace of the node side (tests); unset = the agent's own. */
  readonly nodeNetns?: string;
  schedule(part: ReconcilePart): void;
}
