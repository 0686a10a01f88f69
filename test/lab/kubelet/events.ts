// Records core/v1 Events for pods the way a kubelet does (source kubelet/<node>),
// folding repeats of the same reason and message into one Event with a count.
import { KubeError, type KubeClient } from '../lib/kube';
import type { Log } from '../lib/proc';
import type { Pod } from './types';

interface Recorded {
  name: string;
  count: number;
  firstTimestamp: string;
}

export class EventRecorder {
  private readonly seen = new Map<string, Recorded>();

  constructor(
    private readonly client: KubeClient,
    private readonly node: string,
    private readonly log: Log,
  ) {}

  /** Fire and forget: an event that cannot be written is logged, never fatal. */
  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    this.write(pod, type, reason, message, fieldPath).catch((e: unknown) => {
      // A namespace being deleted refuses new events; a kubelet drops them silently too.
      if (e instanceof KubeError && (e.status === 404 || (e.status === 403 && /being terminated/.test(e.message)))) return;
      this.log(`event ${reason} for ${pod.metadata.namespace}/${pod.metadata.name} not recorded: ${(e as Error).message}`);
    });
  }

  forget(podUid: string): void {
    for (const k of this.seen.keys()) if (k.startsWith(`${podUid}|`)) this.seen.delete(k);
  }

  private async write(pod: Pod, type: string, reason: string, message: string, fieldPath?: string): Promise<void> {
    const ns = pod.metadata.namespace;
    const now = new Date().toISOString();
    const key = `${pod.metadata.uid}|${reason}|${fieldPath ?? ''}|${message}`;
    const prev = this.seen.get(key);
    if (prev) {
      prev.count++;
      await this.client.mergePatch(`/api/v1/namespaces/${ns}/events/${prev.name}`, { count: prev.count, lastTimestamp: now });
      return;
    }
    const name = `${pod.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    const rec: Recorded = { name, count: 1, firstTimestamp: now };
    this.seen.set(key, rec);
    await this.client.create(`/api/v1/namespaces/${ns}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: ns,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.node },
      reportingComponent: 'kubelet',
      reportingInstance: this.node,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}
