// The LumenEndpoint custom resource (lumen.dev/v1, namespaced, named like its pod): what
// the console reads about a pod's datapath state. Owned by the pod, so Kubernetes' GC
// removes it with the pod even when no agent is running.
import { isNotFound, type KubeClient } from '../k8s/client.js';
import { kindPaths, LUMEN_GROUP, LUMEN_VERSION } from '../k8s/watches.js';
import type { Enforcement, EndpointHealth, Labels } from '../../../src/shared/agent-api/index.js';

export const NODE_LABEL = 'lumen.dev/node';

export interface LumenEndpointStatus {
  id: number;
  node: string;
  ips: string[];
  interface?: string;
  containerId?: string;
  identity: { id: number; labels: Labels };
  enforcement: { ingress: Enforcement; egress: Enforcement };
  policyRevision: number;
  health: EndpointHealth;
  message?: string;
}

export interface LumenEndpointObject {
  apiVersion: 'lumen.dev/v1';
  kind: 'LumenEndpoint';
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; blockOwnerDeletion?: boolean; controller?: boolean }[];
  };
  status?: LumenEndpointStatus;
}

const path = (ns: string, name?: string): string =>
  `/apis/${LUMEN_GROUP}/${LUMEN_VERSION}/namespaces/${ns}/lumenendpoints${name ? `/${name}` : ''}`;

export function lumenEndpointObject(pod: { namespace: string; name: string; uid?: string }, status: LumenEndpointStatus): LumenEndpointObject {
  return {
    apiVersion: 'lumen.dev/v1',
    kind: 'LumenEndpoint',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      labels: { [NODE_LABEL]: status.node, 'app.kubernetes.io/managed-by': 'lumen-agent' },
      ownerReferences: pod.uid ? [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false, controller: false }] : undefined,
    },
    status,
  };
}

/**
 * Writes LumenEndpoints. The status lives in `.status`; if the CRD enables the status
 * subresource the write goes there, otherwise to the object (detected on first use).
 */
export class LumenEndpointWriter {
  private statusSubresource: boolean | undefined;

  constructor(private readonly client: KubeClient) {}

  /** Creates or updates the object so it carries `status` (and the owner reference). */
  async upsert(pod: { namespace: string; name: string; uid?: string }, status: LumenEndpointStatus): Promise<void> {
    const obj = lumenEndpointObject(pod, status);
    try {
      let existing: LumenEndpointObject | undefined;
      try {
        existing = await this.client.get<LumenEndpointObject>(path(pod.namespace, pod.name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const ownerUid = existing?.metadata.ownerReferences?.[0]?.uid;
      if (existing && pod.uid && ownerUid && ownerUid !== pod.uid) {
        // Left over from an earlier pod of the same name: replace it, never adopt it.
        await this.client.delete(path(pod.namespace, pod.name)).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
        existing = undefined;
      }
      if (!existing) {
        const created = await this.client.create<LumenEndpointObject>(path(pod.namespace), obj);
        if (this.statusSubresource === false) return;
        if (JSON.stringify(created.status) === JSON.stringify(status)) {
          this.statusSubresource = false;
          return;
        }
      }
      await this.patchStatus(pod.namespace, pod.name, status);
    } catch (err) {
      throw new Error(`writing LumenEndpoint ${pod.namespace}/${pod.name}`, { cause: err });
    }
  }

  async patchStatus(ns: string, name: string, status: Partial<LumenEndpointStatus>): Promise<void> {
    if (this.statusSubresource !== false) {
      try {
        await this.client.mergePatch(`${path(ns, name)}/status`, { status });
        this.statusSubresource = true;
        return;
      } catch (err) {
        if (!isNotFound(err) || this.statusSubresource === true) throw err;
        this.statusSubresource = false;
      }
    }
    await this.client.mergePatch(path(ns, name), { status });
  }

  async remove(ns: string, name: string): Promise<void> {
    try {
      await this.client.delete(path(ns, name));
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`deleting LumenEndpoint ${ns}/${name}`, { cause: err });
    }
  }

  /** This node's LumenEndpoints (start-up: find the ones whose pod is gone). */
  async listForNode(node: string): Promise<LumenEndpointObject[]> {
    const res = await this.client.get<{ items: LumenEndpointObject[] }>(
      `${kindPaths.lumenendpoints}?labelSelector=${encodeURIComponent(`${NODE_LABEL}=${node}`)}`,
    );
    return res.items;
  }
}
