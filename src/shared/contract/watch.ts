// Watch subscriptions: the renderer subscribes to resource kinds and receives batched deltas.
import { z } from 'zod';
import { LumenErrorPayload } from './errors.js';

/** Lumen's CRDs (identities, lumenendpoints) are cached too; until an install creates them their lists fail (404) and retry. */
export const resourceKinds = ['nodes', 'namespaces', 'pods', 'services', 'endpointslices', 'networkpolicies', 'identities', 'lumenendpoints'] as const;
export const ResourceKind = z.enum(resourceKinds);
export type ResourceKind = z.infer<typeof ResourceKind>;

/** A Kubernetes object as sent to the renderer; checked for identity, the rest passes through. */
export const WireObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    resourceVersion: z.string().optional(),
  }),
});
export type WireObject = z.infer<typeof WireObject>;

export const WatchSubscribeRequest = z.strictObject({
  kinds: z.array(ResourceKind).min(1).max(resourceKinds.length),
});

export const WatchSubscription = z.strictObject({
  subscription: z.string(),
});

/**
 * A batch for one kind. `reset` means "replace what you hold with `upserted`" (the first
 * delta of a subscription); otherwise apply upserts and deletes (keys are
 * "namespace/name" or "name"). `source` mirrors the cache batch that caused it.
 */
export const WatchDelta = z.strictObject({
  subscription: z.string(),
  kind: ResourceKind,
  source: z.enum(['snapshot', 'list', 'relist', 'watch']),
  reset: z.boolean(),
  upserted: z.array(WireObject),
  deleted: z.array(z.string()),
  resourceVersion: z.string(),
});
export type WatchDelta = z.infer<typeof WatchDelta>;

export const WatchKindStatus = z.strictObject({
  kind: ResourceKind,
  status: z.enum(['idle', 'listing', 'watching', 'backoff', 'disposed']),
  synced: z.boolean(),
  count: z.number().int().nonnegative(),
  error: LumenErrorPayload.nullable(),
});
export type WatchKindStatus = z.infer<typeof WatchKindStatus>;
