// Helpers for lab tests: wait for pods and objects through the API, with failures that
// say what was last seen.
import type { KubeClient } from './lib/kube';
import { waitFor } from './lib/proc';
import type { Pod } from './kubelet/types';

export async function waitForPod(client: KubeClient, ns: string, name: string, what: string, pred: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await waitFor(`pod ${ns}/${name} ${what}`, timeoutMs, async () => {
      last = await client.getOptional<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);
      return last && pred(last) ? last : undefined;
    }, 100);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen status: ${JSON.stringify(last?.status ?? 'no pod')}`, { cause: e });
  }
}

export function isReady(p: Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function waitForGone(client: KubeClient, path: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${path} to be deleted`, timeoutMs, async () => ((await client.getOptional(path)) ? undefined : true), 100);
}

/** Creates a namespace and waits for its default ServiceAccount (pods are rejected before it exists). */
export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await waitFor(`serviceaccount ${name}/default`, 30_000, async () => ((await client.getOptional(`/api/v1/namespaces/${name}/serviceaccounts/default`)) ? true : undefined), 100);
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
}

export interface EventView {
  reason: string;
  message: string;
  type: string;
  count?: number;
  involvedObject: { name: string; kind: string };
}

export async function podEvents(client: KubeClient, ns: string, pod: string): Promise<EventView[]> {
  const list = await client.list<EventView>(`/api/v1/namespaces/${ns}/events`, { fieldSelector: `involvedObject.name=${pod}` });
  return list.items;
}

export async function waitForEvent(client: KubeClient, ns: string, pod: string, reason: string, timeoutMs = 30_000): Promise<EventView> {
  return waitFor(`event ${reason} for pod ${ns}/${pod}`, timeoutMs, async () => (await podEvents(client, ns, pod)).find((e) => e.reason === reason), 200);
}

/** A pod pinned to a node (bypassing the scheduler, as kubelet tests want). */
export function pinnedPod(name: string, node: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName: node, terminationGracePeriodSeconds: 2, ...spec } };
}
