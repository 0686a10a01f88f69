// What every pod worker of a node shares: the node's plan, its API identity, its
// prober and event recorder, and the image table's context.
import type { KubeClient } from '../lib/kube';
import type { NodePlan } from '../lib/layout';
import type { Log } from '../lib/proc';
import type { RuntimeFields } from './env';
import type { EventRecorder } from './events';
import type { ImageContext } from './images';
import type { NodeProber } from './probes';

export interface NodeContext {
  instance: number;
  node: NodePlan;
  client: KubeClient;
  log: Log;
  events: EventRecorder;
  prober: NodeProber;
  images: ImageContext;
  allocatable: RuntimeFields['nodeAllocatable'];
  /** The `kubernetes` Service's ClusterIP and port, once known. */
  kubernetesService: () => { ip: string; port: number } | undefined;
}

/** Restart back-off as the kubelet applies it: the first restart is immediate, then 10 s doubling to 5 min. */
export function restartDelayMs(restarts: number): number {
  if (restarts <= 0) return 0;
  return Math.min(10_000 * 2 ** (restarts - 1), 300_000);
}
