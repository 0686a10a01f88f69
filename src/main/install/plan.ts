// The plan: every object the install applies (rendered from the options), what each does to the cluster, and a diff against what is there (server dry-run apply).
import { LUMEN_VERSION, PART_OF_LABEL, renderManifests, type K8sObject } from '../../../resources/manifests.js';
import type { InstallOptions, Plan, PlanObject } from '../../shared/contract/index.js';
import { logger } from '../log.js';
import { comparable, pruneTo, redactSecret, sortKeys, toYaml, unifiedDiff } from './diff.js';
import type { KubeApi } from './kube.js';
import { agentConfigOf } from './options.js';
import { collectionPath, kindInfo, objectKey, objectPath } from './resources.js';
import type { InstallSecrets } from './secrets.js';

const log = logger('install:plan');

type Json = Parameters<typeof sortKeys>[0];

export interface PlanResult {
  plan: Plan;
  /** What apply sends, in order (with the real secrets; never sent to the renderer). */
  objects: K8sObject[];
  /** Each object as it was before (null: did not exist), to roll an upgrade back. */
  previous: Map<string, K8sObject | null>;
}

/** Renders the install's objects for these options (throws OptionError naming bad options). */
export function renderInstall(options: InstallOptions, secrets: InstallSecrets, version = LUMEN_VERSION): K8sObject[] {
  return renderManifests({
    apiServer: options.apiServer,
    secrets,
    image: options.image,
    imagePullPolicy: options.imagePullPolicy,
    namespace: options.namespace,
    version,
    config: agentConfigOf(options),
  });
}

/** The object minus what the server manages: what re-applying restores (secrets kept). */
export function restorable(live: Record<string, unknown>): K8sObject {
  const out = JSON.parse(JSON.stringify(live)) as K8sObject;
  delete out.status;
  const meta = out.metadata as Record<string, unknown>;
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink']) delete meta[k];
  return out;
}

export interface PlanHooks {
  signal?: AbortSignal;
  onProgress?(done: number, total: number, key: string): void;
}

export async function buildPlan(kube: KubeApi, options: InstallOptions, secrets: InstallSecrets, existingVersion: string | null, hooks: PlanHooks = {}): Promise<PlanResult> {
  const objects = renderInstall(options, secrets);
  const opts = hooks.signal ? { signal: hooks.signal } : {};
  const previous = new Map<string, K8sObject | null>();
  const planned: PlanObject[] = [];
  let locals = 0;
  for (const [index, o] of objects.entries()) {
    const key = objectKey(o);
    hooks.onProgress?.(index, objects.length, key);
    const base = {
      key, apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? null, name: o.metadata.name,
      yaml: toYaml(redactSecret(o as Record<string, Json> as never, 'length')),
    };
    const live = await kube.getOptional<Record<string, unknown>>(objectPath(o), opts);
    previous.set(key, live ? restorable(live) : null);
    if (!live) {
      planned.push({ ...base, action: 'create', diff: null });
      continue;
    }
    let after: Json;
    let fromServer = true;
    try {
      // What the object will be after the apply, as the server computes it (defaults, merges, other managers' fields).
      after = sortKeys(comparable(await kube.apply(objectPath(o), o, { dryRun: true, force: true, ...opts })));
    } catch (error) {
      log.info(`dry-run apply of ${key} failed (${kube.classify(error).message}); comparing locally`);
      after = sortKeys(comparable(o));
      fromServer = false;
      locals++;
    }
    const before = sortKeys(comparable(live));
    const shownBefore = fromServer ? before : pruneTo(before, after);
    const diff = unifiedDiff(toYaml(shownBefore), toYaml(after));
    planned.push({ ...base, action: diff.length > 0 ? 'update' : 'unchanged', diff: diff.length > 0 ? diff : null });
  }
  hooks.onProgress?.(objects.length, objects.length, '');

  // Objects labelled as Lumen's that this version does not have: shown, left as they are.
  const keys = new Set(planned.map((p) => p.key));
  for (const kind of [...new Set(objects.map((o) => o.kind))]) {
    const ns = kindInfo(kind).namespaced ? options.namespace : undefined;
    const found = await kube.list<K8sObject>(collectionPath(kind, ns), { labelSelector: `${PART_OF_LABEL}=lumen`, ...opts }).catch(() => ({ items: [] as K8sObject[] }));
    for (const item of found.items) {
      const full = { ...item, kind, apiVersion: item.apiVersion ?? objects.find((o) => o.kind === kind)!.apiVersion };
      const key = objectKey(full);
      if (keys.has(key)) continue;
      keys.add(key);
      planned.push({
        key, apiVersion: full.apiVersion, kind, namespace: item.metadata.namespace ?? null, name: item.metadata.name, action: 'extra',
        yaml: toYaml(comparable(full)), diff: null,
      });
    }
  }

  const counts = { create: 0, update: 0, unchanged: 0, extra: 0 };
  for (const p of planned) counts[p.action]++;
  const upgrade = existingVersion !== null || counts.update + counts.unchanged > 0;
  return {
    plan: {
      context: kube.context,
      options,
      upgrade,
      fromVersion: existingVersion,
      toVersion: LUMEN_VERSION,
      objects: planned,
      counts,
      diffSource: counts.update + counts.unchanged === 0 ? 'none' : locals === 0 ? 'server-dry-run' : 'local',
    },
    objects,
    previous,
  };
}

/** Multi-document YAML of a plan for saving (GitOps): Secret values stay redacted, with a note on how to create them. */
export function planYaml(plan: Plan): string {
  const header = [
    `# Lumen ${plan.toVersion} install for context "${plan.context}" (namespace ${plan.options.namespace}).`,
    '# Apply with: kubectl apply --server-side --field-manager=lumen-console -f <this file>',
    '# Secret values are redacted: the console never hands them out. Create the two Secrets',
    '# (lumen-agent-tls: tls.crt/tls.key; lumen-agent-token: token) with your secret tooling,',
    '# or print complete manifests with: npm run manifests -- --api-server <url> --image <ref>',
    '',
  ].join('\n');
  return header + plan.objects.filter((o) => o.action !== 'extra').map((o) => o.yaml).join('---\n');
}
