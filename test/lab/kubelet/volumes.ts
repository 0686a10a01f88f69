// Pod volumes: which objects they need (ConfigMaps, Secrets, service-account tokens),
// the files each volume holds, and the bind mounts a container gets. Pure functions;
// materialize.ts writes them.
import { posix } from 'node:path';
import { fieldRefValue, resourceFieldValue, type RuntimeFields } from './env';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from './types';

export interface TokenSpec {
  /** Stable key of this token request within the pod (volume/index). */
  key: string;
  serviceAccount: string;
  audience?: string;
  expirationSeconds: number;
}

export interface VolumeRefs {
  configMaps: string[];
  secrets: string[];
  tokens: TokenSpec[];
}

export interface VolumeData {
  configMaps: Map<string, { data: Record<string, string>; binaryData: Record<string, string> } | undefined>;
  /** Secret data already base64-decoded to bytes. */
  secrets: Map<string, Record<string, Buffer> | undefined>;
  tokens: Map<string, string>;
}

export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

export type VolumeKind = 'hostPath' | 'emptyDir' | 'files';

export class VolumeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VolumeError';
  }
}

export function volumeKind(v: Volume): VolumeKind {
  if (v.hostPath) return 'hostPath';
  if (v.emptyDir) return 'emptyDir';
  if (v.configMap || v.secret || v.projected || v.downwardAPI) return 'files';
  const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  throw new VolumeError(`volume "${v.name}": type ${type} is not supported by the lab kubelet (hostPath, emptyDir, configMap, secret, projected, downwardAPI are)`);
}

export function volumeRefs(pod: Pod): VolumeRefs {
  const cms = new Set<string>();
  const secrets = new Set<string>();
  const tokens: TokenSpec[] = [];
  const sa = pod.spec.serviceAccountName ?? 'default';
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap) cms.add(v.configMap.name);
    if (v.secret) secrets.add(v.secret.secretName);
    v.projected?.sources.forEach((s, i) => {
      if (s.configMap) cms.add(s.configMap.name);
      if (s.secret) secrets.add(s.secret.name);
      if (s.serviceAccountToken) {
        tokens.push({
          key: `${v.name}/${i}`,
          serviceAccount: sa,
          ...(s.serviceAccountToken.audience ? { audience: s.serviceAccountToken.audience } : {}),
          expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3600,
        });
      }
    });
  }
  return { configMaps: [...cms], secrets: [...secrets], tokens };
}

function checkRelPath(p: string, where: string): string {
  const norm = posix.normalize(p);
  if (!p || p.startsWith('/') || norm.startsWith('..') || norm.split('/').includes('..')) {
    throw new VolumeError(`${where}: path ${JSON.stringify(p)} must be relative and must not contain ".."`);
  }
  return norm;
}

function keyedFiles(all: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, where: string, optional: boolean): VolumeFile[] {
  if (!items?.length) return Object.entries(all).map(([k, content]) => ({ path: checkRelPath(k, where), content, mode }));
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = all[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeError(`${where}: key "${item.key}" not found`);
    }
    files.push({ path: checkRelPath(item.path, where), content, mode: item.mode ?? mode });
  }
  return files;
}

function configMapBytes(cm: { data: Record<string, string>; binaryData: Record<string, string> }): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data)) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData)) out[k] = Buffer.from(v, 'base64');
  return out;
}

function downwardFiles(pod: Pod, container: Container | undefined, items: DownwardAPIVolumeFile[] | undefined, mode: number, rt: RuntimeFields, where: string): VolumeFile[] {
  return (items ?? []).map((item) => {
    let value: string;
    if (item.fieldRef) value = fieldRefValue(pod, item.fieldRef.fieldPath, rt);
    else if (item.resourceFieldRef) {
      const c = pod.spec.containers.find((x) => x.name === item.resourceFieldRef!.containerName) ?? container ?? pod.spec.containers[0]!;
      value = resourceFieldValue(c, item.resourceFieldRef, rt);
    } else throw new VolumeError(`${where}: item ${item.path} has neither fieldRef nor resourceFieldRef`);
    return { path: checkRelPath(item.path, where), content: Buffer.from(value), mode: item.mode ?? mode };
  });
}

/** The files of a configMap/secret/projected/downwardAPI volume. */
export function volumeFiles(pod: Pod, v: Volume, data: VolumeData, rt: RuntimeFields): VolumeFile[] {
  const ns = pod.metadata.namespace;
  const where = `volume "${v.name}" of pod ${ns}/${pod.metadata.name}`;
  if (v.configMap) {
    const cm = data.configMaps.get(v.configMap.name);
    if (!cm) {
      if (v.configMap.optional) return [];
      throw new VolumeError(`${where}: configmap "${v.configMap.name}" not found`);
    }
    return keyedFiles(configMapBytes(cm), v.configMap.items, v.configMap.defaultMode ?? 0o644, where, !!v.configMap.optional);
  }
  if (v.secret) {
    const s = data.secrets.get(v.secret.secretName);
    if (!s) {
      if (v.secret.optional) return [];
      throw new VolumeError(`${where}: secret "${v.secret.secretName}" not found`);
    }
    return keyedFiles(s, v.secret.items, v.secret.defaultMode ?? 0o644, where, !!v.secret.optional);
  }
  if (v.downwardAPI) return downwardFiles(pod, undefined, v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644, rt, where);
  if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    v.projected.sources.forEach((s, i) => {
      if (s.serviceAccountToken) {
        const token = data.tokens.get(`${v.name}/${i}`);
        if (token === undefined) throw new VolumeError(`${where}: no token for source ${i}`);
        // Tokens are private to the pod: the kubelet writes them 0600 unless a mode is set.
        files.push({ path: checkRelPath(s.serviceAccountToken.path, where), content: Buffer.from(token), mode: v.projected!.defaultMode ?? 0o600 });
      } else if (s.configMap) {
        const cm = data.configMaps.get(s.configMap.name);
        if (!cm) {
          if (s.configMap.optional) return;
          throw new VolumeError(`${where}: configmap "${s.configMap.name}" not found`);
        }
        files.push(...keyedFiles(configMapBytes(cm), s.configMap.items, mode, where, !!s.configMap.optional));
      } else if (s.secret) {
        const sec = data.secrets.get(s.secret.name);
        if (!sec) {
          if (s.secret.optional) return;
          throw new VolumeError(`${where}: secret "${s.secret.name}" not found`);
        }
        files.push(...keyedFiles(sec, s.secret.items, mode, where, !!s.secret.optional));
      } else if (s.downwardAPI) {
        files.push(...downwardFiles(pod, undefined, s.downwardAPI.items, mode, rt, where));
      }
    });
    return files;
  }
  throw new VolumeError(`${where}: not a file-backed volume`);
}

export interface Bind {
  /** Source path as the node sees it. */
  src: string;
  /** Destination inside the container's mount namespace. */
  dst: string;
  readOnly: boolean;
  /** hostPath types that create the source when missing. */
  create?: 'dir' | 'file';
}

/**
 * Bind mounts for one container, parents before children. `sourceOf` maps a volume name
 * to its directory in the node's view (hostPath: the path itself).
 */
export function containerBinds(pod: Pod, container: Container, sourceOf: (v: Volume) => string): Bind[] {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const binds: Bind[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    const where = `container ${container.name} of pod ${pod.metadata.namespace}/${pod.metadata.name}`;
    if (!v) throw new VolumeError(`${where}: volumeMount "${m.name}" names no volume of the pod`);
    if (!m.mountPath.startsWith('/')) throw new VolumeError(`${where}: mountPath ${JSON.stringify(m.mountPath)} must be absolute`);
    let src = sourceOf(v);
    if (m.subPath) src = posix.join(src, checkRelPath(m.subPath, `${where}: subPath`));
    const kind = volumeKind(v);
    // Kubernetes mounts configMap/secret/projected/downwardAPI volumes read-only regardless.
    const readOnly = !!m.readOnly || kind === 'files';
    const t = v.hostPath?.type;
    const create = t === 'DirectoryOrCreate' ? 'dir' : t === 'FileOrCreate' ? 'file' : undefined;
    binds.push({ src, dst: posix.normalize(m.mountPath), readOnly, ...(create && !m.subPath ? { create } : {}) });
  }
  return binds.sort((a, b) => a.dst.split('/').length - b.dst.split('/').length);
}

