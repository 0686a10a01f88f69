// Server-side apply of the plan's objects, one by one with progress: CRDs waited for Established before anything uses them, field conflicts reported by manager and field.
import type { K8sObject } from '../../../resources/manifests.js';
import type { ApplyObjectState, FieldConflict } from '../../shared/contract/index.js';
import { HttpStatusError } from '../cluster/errors.js';
import type { KubeApi } from './kube.js';
import { objectKey, objectPath } from './resources.js';
import { sleep } from './sleep.js';

export interface ApplyHooks {
  signal?: AbortSignal;
  onObject?(state: ApplyObjectState): void;
}

export type ApplyOutcome =
  | { status: 'applied' }
  | { status: 'conflict'; conflicts: FieldConflict[] }
  | { status: 'failed'; key: string; error: unknown };

/** "conflict with "kubectl" using apps/v1: .spec.template..." → manager + field, per cause. */
export function parseConflicts(key: string, error: HttpStatusError): FieldConflict[] {
  const causes = (error.status?.details as { causes?: { reason?: string; message?: string; field?: string }[] } | undefined)?.causes ?? [];
  const out = causes
    .filter((c) => c.reason === 'FieldManagerConflict' || /conflict with/.test(c.message ?? ''))
    .map((c) => ({ key, manager: /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? 'another manager', field: c.field ?? c.message ?? '?' }));
  return out.length > 0 ? out : [{ key, manager: 'another manager', field: error.status?.message ?? 'unknown field' }];
}


/** Waits until a CRD is Established (its kinds are served); says what it last saw. */
export async function waitEstablished(kube: KubeApi, crd: K8sObject, timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no status yet';
  for (;;) {
    const live = await kube.get<{ status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }>(objectPath(crd), signal ? { signal } : {});
    const conditions = live.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    const names = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (names) throw new Error(`CRD ${crd.metadata.name}: names not accepted: ${names.message ?? names.reason ?? ''}`);
    last = conditions.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`).join(', ') || last;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} was not Established within ${timeoutMs / 1000} s; its conditions: ${last}`);
    await sleep(250, signal);
  }
}

/**
 * Applies `objects` in order. A conflict stops the run (nothing after it is applied) so the
 * user decides; running again with `force` takes the fields over. Idempotent: re-running
 * after a failure re-applies what is already there without change.
 */
export async function applyObjects(kube: KubeApi, objects: readonly K8sObject[], force: boolean, hooks: ApplyHooks = {}): Promise<ApplyOutcome> {
  const opts = hooks.signal ? { signal: hooks.signal } : {};
  for (const o of objects) {
    const key = objectKey(o);
    hooks.onObject?.({ key, kind: o.kind, status: 'applying', message: null });
    try {
      await kube.apply(objectPath(o), o, { force, ...opts });
    } catch (error) {
      if (error instanceof HttpStatusError && error.statusCode === 409) {
        const conflicts = parseConflicts(key, error);
        hooks.onObject?.({ key, kind: o.kind, status: 'conflict', message: `fields owned by ${[...new Set(conflicts.map((c) => c.manager))].join(', ')}` });
        return { status: 'conflict', conflicts };
      }
      hooks.onObject?.({ key, kind: o.kind, status: 'failed', message: kube.classify(error).message });
      return { status: 'failed', key, error };
    }
    if (o.kind === 'CustomResourceDefinition') {
      hooks.onObject?.({ key, kind: o.kind, status: 'waiting', message: 'waiting until the API serves it (Established)' });
      try {
        await waitEstablished(kube, o, 60_000, hooks.signal);
      } catch (error) {
        hooks.onObject?.({ key, kind: o.kind, status: 'failed', message: error instanceof Error ? error.message : String(error) });
        return { status: 'failed', key, error };
      }
    }
    hooks.onObject?.({ key, kind: o.kind, status: 'applied', message: null });
  }
  return { status: 'applied' };
}
