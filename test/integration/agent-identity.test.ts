// Identity allocation against the lab's real kube-apiserver: agents racing for one label set
// end with one identity; label sets racing for one number end with two; GC under a Lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHandle } from '../lab/index.js';
import { renderManifests } from '../../resources/manifests.js';
import { selfSignedCertificate, generateToken } from '../../resources/certs.js';
import { IdentityAllocator } from '../../agent/src/identity/allocator.js';
import { IdentityGc, LeaseLock } from '../../agent/src/identity/gc.js';
import { LABELS_HASH_LABEL, labelsHash, preferredId, type IdentityObject, type Labels } from '../../agent/src/identity/types.js';
import type { KubeClient } from '../../agent/src/k8s/client.js';
import { kindPaths } from '../../agent/src/k8s/watches.js';
import { agentLab, apply, applyAll, labClient, labSkipReason, namespace, remove, type K8sObject } from './agent-helpers.js';

const labRef = agentLab();
const run = `t${Date.now().toString(36)}`;

let lab: LabHandle;
let a: KubeClient;
let b: KubeClient;

async function identitiesWithHash(labels: Labels): Promise<IdentityObject[]> {
  const sel = encodeURIComponent(`${LABELS_HASH_LABEL}=${labelsHash(labels)}`);
  return (await a.get<{ items: IdentityObject[] }>(`${kindPaths.identities}?labelSelector=${sel}`)).items;
}

describe.skipIf(!!labSkipReason)(`identities against the lab apiserver${labSkipReason ? ` (skipped: ${labSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    lab = labRef.lab as LabHandle;
    a = labClient(lab.kubeconfig);
    b = labClient(lab.kubeconfig);
    const cert = selfSignedCertificate({ commonName: 'lumen-agent', hosts: ['127.0.0.1'] });
    const objs = renderManifests({ apiServer: lab.apiServer, secrets: { tlsCert: cert.certPem, tlsKey: cert.keyPem, token: generateToken() } });
    await applyAll(a, objs.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') as K8sObject[]);
    await apply(a, namespace('lumen-system'));
  });
  afterAll(async () => {
    // Remove what this run created (identities carry the run tag in their labels).
    const all = (await a.get<{ items: IdentityObject[] }>(kindPaths.identities)).items;
    for (const o of all) if (Object.values(o.spec.labels).includes(run)) await remove(a, o as unknown as K8sObject);
    a?.close();
    b?.close();
  });

  it('two agents racing for one label set end with one identity', async () => {
    const labels = { app: 'race', 'ns:kubernetes.io/metadata.name': 'default', run };
    const agents = [new IdentityAllocator(a), new IdentityAllocator(b)];
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => agents[i % 2]!.allocate(labels)));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created).length).toBe(1);
    const objs = await identitiesWithHash(labels);
    expect(objs.map((o) => Number(o.metadata.name))).toEqual([...ids]);
    expect(objs[0]!.spec.labels).toEqual(labels);
  });

  it('two label sets racing for the same number end with two identities', async () => {
    // Find two label sets whose preferred numbers collide (birthday search over a tag).
    const byId = new Map<number, Labels>();
    let pair: [Labels, Labels] | undefined;
    for (let i = 0; !pair; i++) {
      const labels = { app: `collide-${i}`, run };
      const id = preferredId(labels);
      const other = byId.get(id);
      if (other) pair = [other, labels];
      else byId.set(id, labels);
    }
    const [r1, r2] = await Promise.all([new IdentityAllocator(a).allocate(pair[0]), new IdentityAllocator(b).allocate(pair[1])]);
    expect(r1.id).not.toBe(r2.id);
    expect(Math.abs(r1.id - r2.id)).toBeLessThanOrEqual(2);
    for (const [labels, r] of [[pair[0], r1], [pair[1], r2]] as const) {
      const obj = await a.get<IdentityObject>(`${kindPaths.identities}/${r.id}`);
      expect(obj.spec.labels).toEqual(labels);
    }
  });

  it('labels are immutable on the API side', async () => {
    const labels = { app: 'immutable', run };
    const { id } = await new IdentityAllocator(a).allocate(labels);
    await expect(a.mergePatch(`${kindPaths.identities}/${id}`, { spec: { labels: { app: 'changed', run } } })).rejects.toThrow(/immutable/);
  });

  it('GC deletes only unused identities after the grace period, one agent at a time', async () => {
    const used = await new IdentityAllocator(a).allocate({ app: 'gc-used', run });
    const unused = await new IdentityAllocator(a).allocate({ app: 'gc-unused', run });
    const list = async () => (await a.get<{ items: IdentityObject[] }>(kindPaths.identities)).items.filter((o) => Object.values(o.spec.labels).includes(run));
    const lease = `lumen-identity-gc-${run}`;
    const sources = { identities: () => list(), usedIds: () => new Set([used.id]) };
    let snapshot = await list();
    const grace = 60_000;
    const gcA = new IdentityGc(a, new LeaseLock(a, 'lumen-system', lease, 'node-a', 30), { identities: () => snapshot, usedIds: sources.usedIds }, grace, 1000);
    const gcB = new IdentityGc(b, new LeaseLock(b, 'lumen-system', lease, 'node-b', 30), { identities: () => snapshot, usedIds: sources.usedIds }, grace, 1000);
    // The first pass only records "unused since"; nothing goes before the grace period.
    const t0 = Date.now();
    expect(await gcA.runOnce(t0)).toEqual([]);
    expect(await gcA.runOnce(t0 + grace / 2)).toEqual([]);
    const first = await gcA.runOnce(t0 + grace + 1000);
    expect(first).toContain(unused.id);
    expect(first).not.toContain(used.id);
    // node-b cannot take node-a's live lease: it deletes nothing even with candidates.
    await new IdentityAllocator(b).allocate({ app: 'gc-late', run });
    snapshot = await list();
    expect(await gcB.runOnce(Date.now())).toEqual([]);
    expect(await gcB.runOnce(Date.now() + grace + 1000)).toEqual([]);
    const left = (await list()).map((o) => Number(o.metadata.name));
    expect(left).toContain(used.id);
    expect(left).not.toContain(unused.id);
    await remove(a, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: lease, namespace: 'lumen-system' } });
  });
});
