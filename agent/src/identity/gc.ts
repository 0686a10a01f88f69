// Garbage collection of Identity objects no endpoint uses, by one agent at a time: the
// holder of a Lease in lumen-system. An identity is deleted only after it has been seen
// unused for the whole grace period (and is older than it), with a uid precondition.
import { isConflict, isNotFound, type KubeClient } from '../k8s/client.js';
import { kindPaths } from '../k8s/watches.js';
import { log } from '../log.js';
import type { IdentityObject } from './types.js';

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

/** A minimal Lease-based lock (optimistic concurrency on resourceVersion). */
export class LeaseLock {
  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    readonly name: string,
    readonly holder: string,
    readonly durationSeconds = 30,
  ) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.name}`;
  }

  /** Takes or renews the lease; false when someone else holds a live one (or won a race). */
  async acquire(now = new Date()): Promise<boolean> {
    const spec = (transitions: number, acquireTime: string) => ({
      holderIdentity: this.holder,
      leaseDurationSeconds: this.durationSeconds,
      renewTime: now.toISOString().replace('Z', '000Z'),
      acquireTime,
      leaseTransitions: transitions,
    });
    try {
      let lease: Lease;
      try {
        lease = await this.client.get<Lease>(this.path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.create(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace },
          spec: spec(0, now.toISOString().replace('Z', '000Z')),
        });
        return true;
      }
      const held = lease.spec.holderIdentity;
      const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
      const expired = renewed + (lease.spec.leaseDurationSeconds ?? this.durationSeconds) * 1000 < now.getTime();
      if (held && held !== this.holder && !expired) return false;
      const mine = held === this.holder;
      await this.client.replace(this.path, {
        ...lease,
        spec: spec((lease.spec.leaseTransitions ?? 0) + (mine ? 0 : 1), mine && lease.spec.acquireTime ? lease.spec.acquireTime : now.toISOString().replace('Z', '000Z')),
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw new Error(`lease ${this.namespace}/${this.name}`, { cause: err });
    }
  }
}

export interface IdentityGcSources {
  identities(): Iterable<IdentityObject>;
  /** Identity numbers referenced by any LumenEndpoint in the cluster (and locally pending ones). */
  usedIds(): Set<number>;
}

export class IdentityGc {
  private readonly unusedSince = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly lease: LeaseLock,
    private readonly sources: IdentityGcSources,
    private readonly graceMs: number,
    private readonly intervalMs: number,
  ) {}

  /** One pass; returns the ids deleted (none when not the lease holder). */
  async runOnce(now = Date.now()): Promise<number[]> {
    const used = this.sources.usedIds();
    const seen = new Set<number>();
    const candidates: IdentityObject[] = [];
    for (const obj of this.sources.identities()) {
      const id = Number(obj.metadata.name);
      seen.add(id);
      if (used.has(id)) {
        this.unusedSince.delete(id);
        continue;
      }
      const since = this.unusedSince.get(id) ?? now;
      this.unusedSince.set(id, since);
      const created = obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : now;
      if (now - since >= this.graceMs && now - created >= this.graceMs) candidates.push(obj);
    }
    for (const id of this.unusedSince.keys()) if (!seen.has(id)) this.unusedSince.delete(id);
    if (candidates.length === 0 || !(await this.lease.acquire(new Date(now)))) return [];
    const deleted: number[] = [];
    for (const obj of candidates) {
      try {
        await this.client.delete(`${kindPaths.identities}/${obj.metadata.name}`, {
          apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
        });
        deleted.push(Number(obj.metadata.name));
        this.unusedSince.delete(Number(obj.metadata.name));
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) log.warn('identity-gc', `deleting identity ${obj.metadata.name} failed`, err);
      }
    }
    if (deleted.length) log.info('identity-gc', `deleted ${deleted.length} unused identities: ${deleted.join(', ')}`);
    return deleted;
  }

  start(): void {
    const tick = () => {
      this.runOnce()
        .catch((err: unknown) => log.warn('identity-gc', 'pass failed', err))
        .finally(() => { if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref(); });
    };
    this.timer = setTimeout(tick, this.intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
