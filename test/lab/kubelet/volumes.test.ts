import { mkdtempSync, readFileSync, readlinkSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuntimeFields } from './env';
import { writeAtomically } from './materialize';
import type { Pod, Volume } from './types';
import { containerBinds, volumeFiles, volumeKind, volumeRefs, type VolumeData } from './volumes';

const rt: RuntimeFields = { podIP: '10.200.0.3', podIPs: ['10.200.0.3'], hostIP: '172.28.0.11', nodeAllocatable: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '1Gi' } };

function podWith(volumes: Volume[], mounts: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }> = []): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } }, spec: { serviceAccountName: 'sa1', volumes, containers: [{ name: 'c', image: 'i', volumeMounts: mounts }] } };
}

const data: VolumeData = {
  configMaps: new Map([['cm', { data: { a: 'A', 'b.txt': 'B' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } }], ['gone', undefined]]),
  secrets: new Map([['s', { pw: Buffer.from('x') }]]),
  tokens: new Map([['tok/0', 'jwt.token.here']]),
};

describe('volume references', () => {
  it('collects ConfigMaps, Secrets and token requests (with the pod service account)', () => {
    const pod = podWith([
      { name: 'a', configMap: { name: 'cm' } },
      { name: 'b', secret: { secretName: 's' } },
      { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'aud', expirationSeconds: 600 } }, { configMap: { name: 'root-ca' } }] } },
    ]);
    expect(volumeRefs(pod)).toEqual({ configMaps: ['cm', 'root-ca'], secrets: ['s'], tokens: [{ key: 'tok/0', serviceAccount: 'sa1', audience: 'aud', expirationSeconds: 600 }] });
  });

  it('names unsupported volume types', () => {
    expect(() => volumeKind({ name: 'data', persistentVolumeClaim: { claimName: 'x' } })).toThrow('volume "data": type persistentVolumeClaim is not supported by the lab kubelet');
  });
});

describe('volume files', () => {
  it('writes configMap keys (all or selected items with modes)', () => {
    const pod = podWith([]);
    expect(volumeFiles(pod, { name: 'v', configMap: { name: 'cm' } }, data, rt).map((f) => [f.path, f.content.toString('hex'), f.mode])).toEqual([
      ['a', Buffer.from('A').toString('hex'), 0o644], ['b.txt', Buffer.from('B').toString('hex'), 0o644], ['bin', '0102', 0o644],
    ]);
    expect(volumeFiles(pod, { name: 'v', configMap: { name: 'cm', items: [{ key: 'a', path: 'sub/x', mode: 0o600 }] } }, data, rt)).toEqual([{ path: 'sub/x', content: Buffer.from('A'), mode: 0o600 }]);
    expect(() => volumeFiles(pod, { name: 'v', configMap: { name: 'cm', items: [{ key: 'zz', path: 'z' }] } }, data, rt)).toThrow('volume "v" of pod ns/p: key "zz" not found');
    expect(() => volumeFiles(pod, { name: 'v', configMap: { name: 'gone' } }, data, rt)).toThrow('configmap "gone" not found');
    expect(volumeFiles(pod, { name: 'v', configMap: { name: 'gone', optional: true } }, data, rt)).toEqual([]);
    expect(() => volumeFiles(pod, { name: 'v', configMap: { name: 'cm', items: [{ key: 'a', path: '../escape' }] } }, data, rt)).toThrow(/must be relative and must not contain/);
  });

  it('writes secrets, downward API files and projected tokens', () => {
    const pod = podWith([]);
    expect(volumeFiles(pod, { name: 's', secret: { secretName: 's', defaultMode: 0o400 } }, data, rt)).toEqual([{ path: 'pw', content: Buffer.from('x'), mode: 0o400 }]);
    expect(volumeFiles(pod, { name: 'd', downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, data, rt).map((f) => f.content.toString())).toEqual(['ns', 'app="x"']);
    const files = volumeFiles(pod, { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }, data, rt);
    expect(files.map((f) => [f.path, f.content.toString(), f.mode])).toEqual([['token', 'jwt.token.here', 0o600], ['namespace', 'ns', 0o644]]);
  });
});

describe('container binds', () => {
  it('binds volume dirs read-only for API volumes, parents before children, with subPath and hostPath types', () => {
    const pod = podWith(
      [{ name: 'cfg', configMap: { name: 'cm' } }, { name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: '/var/lib/lumen', type: 'DirectoryOrCreate' } }],
      [{ name: 'cfg', mountPath: '/data/cfg' }, { name: 'data', mountPath: '/data' }, { name: 'data', mountPath: '/logs', subPath: 'logs' }, { name: 'host', mountPath: '/host', readOnly: true }],
    );
    const binds = containerBinds(pod, pod.spec.containers[0]!, (v) => (v.hostPath ? v.hostPath.path : `/pod/volumes/${v.name}`));
    expect(binds.map((b) => b.dst)).toEqual(['/data', '/logs', '/host', '/data/cfg']);
    expect(binds.find((b) => b.dst === '/data/cfg')).toEqual({ src: '/pod/volumes/cfg', dst: '/data/cfg', readOnly: true });
    expect(binds.find((b) => b.dst === '/logs')).toEqual({ src: '/pod/volumes/data/logs', dst: '/logs', readOnly: false });
    expect(binds.find((b) => b.dst === '/host')).toEqual({ src: '/var/lib/lumen', dst: '/host', readOnly: true, create: 'dir' });
  });

  it('names mounts that refer to no volume or are not absolute', () => {
    const pod = podWith([{ name: 'a', emptyDir: {} }], [{ name: 'b', mountPath: '/x' }]);
    expect(() => containerBinds(pod, pod.spec.containers[0]!, () => '/')).toThrow('container c of pod ns/p: volumeMount "b" names no volume of the pod');
    const rel = podWith([{ name: 'a', emptyDir: {} }], [{ name: 'a', mountPath: 'x' }]);
    expect(() => containerBinds(rel, rel.spec.containers[0]!, () => '/')).toThrow(/mountPath "x" must be absolute/);
  });
});

describe('atomic writer', () => {
  it('publishes files through ..data and swaps updates atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vol-'));
    writeAtomically(dir, [{ path: 'a', content: Buffer.from('1'), mode: 0o600 }, { path: 'sub/b', content: Buffer.from('2'), mode: 0o644 }]);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('1');
    expect(readFileSync(join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect(readlinkSync(join(dir, 'a'))).toBe('..data/a');
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o600);
    const first = readlinkSync(join(dir, '..data'));
    writeAtomically(dir, [{ path: 'a', content: Buffer.from('3'), mode: 0o644 }]);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('3');
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    expect(existsSync(join(dir, first))).toBe(false);
  });
});
