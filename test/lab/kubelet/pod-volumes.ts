// Fetches what a pod's volumes and env need from the API as the node (ConfigMaps,
// Secrets, service-account tokens through the TokenRequest API) and writes the volumes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeError, type KubeClient } from '../lib/kube';
import type { RuntimeFields } from './env';
import { writeAtomically } from './materialize';
import type { Pod } from './types';
import { volumeFiles, volumeKind, volumeRefs, type TokenSpec, type VolumeData } from './volumes';

interface ConfigMapObj { data?: Record<string, string>; binaryData?: Record<string, string> }
interface SecretObj { data?: Record<string, string> }

async function getOrUndefined<T>(client: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await client.get<T>(path);
  } catch (e) {
    if (e instanceof KubeError && e.status === 404) return undefined;
    throw e;
  }
}

export async function fetchConfigMaps(client: KubeClient, ns: string, names: string[]): Promise<Map<string, { data: Record<string, string>; binaryData: Record<string, string> } | undefined>> {
  const out = new Map<string, { data: Record<string, string>; binaryData: Record<string, string> } | undefined>();
  await Promise.all(names.map(async (name) => {
    const cm = await getOrUndefined<ConfigMapObj>(client, `/api/v1/namespaces/${ns}/configmaps/${name}`);
    out.set(name, cm ? { data: cm.data ?? {}, binaryData: cm.binaryData ?? {} } : undefined);
  }));
  return out;
}

export async function fetchSecrets(client: KubeClient, ns: string, names: string[]): Promise<Map<string, Record<string, Buffer> | undefined>> {
  const out = new Map<string, Record<string, Buffer> | undefined>();
  await Promise.all(names.map(async (name) => {
    const s = await getOrUndefined<SecretObj>(client, `/api/v1/namespaces/${ns}/secrets/${name}`);
    out.set(name, s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : undefined);
  }));
  return out;
}

/** Text view of secrets for env vars. */
export function secretsAsText(m: Map<string, Record<string, Buffer> | undefined>): Map<string, Record<string, string> | undefined> {
  return new Map([...m].map(([k, v]) => [k, v ? Object.fromEntries(Object.entries(v).map(([kk, b]) => [kk, b.toString('utf8')])) : undefined]));
}

/** A bound token for the pod's service account (NodeRestriction only allows pod-bound tokens). */
export async function requestToken(client: KubeClient, pod: Pod, spec: TokenSpec): Promise<{ token: string; expiresAt: number }> {
  const res = await client.create<{ status: { token: string; expirationTimestamp: string } }>(
    `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${spec.serviceAccount}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: spec.audience ? [spec.audience] : [],
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    },
  );
  return { token: res.status.token, expiresAt: Date.parse(res.status.expirationTimestamp) };
}

export interface MaterializeResult {
  /** When the earliest token should be refreshed (80% of its lifetime, as a kubelet does). */
  refreshAt?: number;
}

/** Writes every volume of the pod under `<podDir>/volumes/<name>`. */
export async function materializeVolumes(client: KubeClient, pod: Pod, podDir: string, rt: RuntimeFields): Promise<MaterializeResult> {
  const ns = pod.metadata.namespace;
  const refs = volumeRefs(pod);
  const [configMaps, secrets] = await Promise.all([fetchConfigMaps(client, ns, refs.configMaps), fetchSecrets(client, ns, refs.secrets)]);
  const tokens = new Map<string, string>();
  let refreshAt: number | undefined;
  const now = Date.now();
  await Promise.all(refs.tokens.map(async (spec) => {
    const t = await requestToken(client, pod, spec);
    tokens.set(spec.key, t.token);
    const at = now + (t.expiresAt - now) * 0.8;
    refreshAt = refreshAt === undefined ? at : Math.min(refreshAt, at);
  }));
  const data: VolumeData = { configMaps, secrets, tokens };
  for (const v of pod.spec.volumes ?? []) {
    const kind = volumeKind(v);
    const dir = join(podDir, 'volumes', v.name);
    if (kind === 'emptyDir') mkdirSync(dir, { recursive: true, mode: 0o777 });
    else if (kind === 'files') writeAtomically(dir, volumeFiles(pod, v, data, rt));
  }
  return refreshAt === undefined ? {} : { refreshAt };
}
