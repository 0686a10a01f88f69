// Cluster-wide identity allocation through Identity objects: find by label hash, else
// create at a hash-derived number with linear probing on conflict. Racing agents with the
// same labels try the same numbers, so they end on one identity; different label sets
// racing for one number end on two (the loser's create gets AlreadyExists and moves on).
import { isAlreadyExists, isNotFound, type KubeClient } from '../k8s/client.js';
import { kindPaths } from '../k8s/watches.js';
import { log } from '../log.js';
import {
  CLUSTER_ID_MAX,
  CLUSTER_ID_MIN,
  LABELS_HASH_LABEL,
  identityObject,
  labelsHash,
  preferredId,
  sameLabels,
  type IdentityObject,
  type Labels,
} from './types.js';

const MAX_PROBES = 4096;

export interface AllocationResult {
  id: number;
  /** True when this call created the Identity object. */
  created: boolean;
}

export class IdentityAllocator {
  /** hash → identities seen (from the watch) so most allocations need no request. */
  private readonly byHash = new Map<string, Map<number, Labels>>();

  constructor(private readonly client: KubeClient) {}

  /** Feeds the allocator from the identities watch. */
  observe(obj: IdentityObject, deleted = false): void {
    const id = Number(obj.metadata.name);
    const labels = obj.spec?.labels;
    if (!Number.isInteger(id) || !labels) return;
    const hash = labelsHash(labels);
    let set = this.byHash.get(hash);
    if (deleted) {
      set?.delete(id);
      if (set?.size === 0) this.byHash.delete(hash);
      return;
    }
    if (!set) this.byHash.set(hash, (set = new Map()));
    set.set(id, labels);
  }

  /** The identity already known for these labels (smallest id if duplicates exist). */
  lookup(labels: Labels): number | undefined {
    const set = this.byHash.get(labelsHash(labels));
    let best: number | undefined;
    for (const [id, l] of set ?? []) if (sameLabels(l, labels) && (best === undefined || id < best)) best = id;
    return best;
  }

  private async findRemote(labels: Labels): Promise<number | undefined> {
    const sel = encodeURIComponent(`${LABELS_HASH_LABEL}=${labelsHash(labels)}`);
    const list = await this.client.get<{ items: IdentityObject[] }>(`${kindPaths.identities}?labelSelector=${sel}`);
    let best: number | undefined;
    for (const obj of list.items) {
      if (obj.metadata.deletionTimestamp || !sameLabels(obj.spec?.labels ?? {}, labels)) continue;
      this.observe(obj);
      const id = Number(obj.metadata.name);
      if (best === undefined || id < best) best = id;
    }
    return best;
  }

  async allocate(labels: Labels): Promise<AllocationResult> {
    const known = this.lookup(labels);
    if (known !== undefined) return { id: known, created: false };
    try {
      const remote = await this.findRemote(labels);
      if (remote !== undefined) return { id: remote, created: false };
      const span = CLUSTER_ID_MAX - CLUSTER_ID_MIN + 1;
      let id = preferredId(labels);
      for (let probe = 0; probe < MAX_PROBES; probe++, id = CLUSTER_ID_MIN + ((id - CLUSTER_ID_MIN + 1) % span)) {
        try {
          const created = await this.client.create<IdentityObject>(kindPaths.identities, identityObject(id, labels));
          this.observe(created);
          // Another agent may have created the same set at an earlier probe position that
          // was free for it but taken for us (a GC in between): converge on the smallest.
          const settled = await this.findRemote(labels);
          log.info('identity', `allocated identity ${id} for ${Object.keys(labels).length} labels`);
          return { id: settled ?? id, created: settled === undefined || settled === id };
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const existing = await this.client.get<IdentityObject>(`${kindPaths.identities}/${id}`).catch((e: unknown) => {
            if (isNotFound(e)) return undefined; // deleted in between: try the same number again
            throw e;
          });
          if (!existing) {
            id = CLUSTER_ID_MIN + ((id - CLUSTER_ID_MIN - 1 + span) % span);
            continue;
          }
          if (sameLabels(existing.spec?.labels ?? {}, labels) && !existing.metadata.deletionTimestamp) {
            this.observe(existing);
            return { id, created: false };
          }
        }
      }
      throw new Error(`no free identity number after ${MAX_PROBES} probes`);
    } catch (err) {
      throw new Error(`allocating an identity for labels {${Object.keys(labels).sort().join(', ')}}`, { cause: err });
    }
  }

  /** Re-creates an identity a local endpoint still uses after someone deleted it. */
  async restore(id: number, labels: Labels): Promise<void> {
    try {
      const obj = await this.client.create<IdentityObject>(kindPaths.identities, identityObject(id, labels));
      this.observe(obj);
      log.warn('identity', `identity ${id} was deleted while in use on this node: re-created it`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw new Error(`restoring identity ${id}`, { cause: err });
    }
  }
}
