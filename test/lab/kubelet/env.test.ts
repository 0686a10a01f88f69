import { describe, expect, it } from 'vitest';
import { composeEnv, envReferences, expandVars, fieldRefValue, parseQuantity, resourceFieldValue, type RuntimeFields } from './env';
import type { Container, Pod } from './types';

const runtime: RuntimeFields = { podIP: '10.200.1.4', podIPs: ['10.200.1.4'], hostIP: '172.28.0.12', nodeAllocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' } };
const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-1', labels: { b: '2', a: '1' }, annotations: { note: 'x' } },
  spec: { nodeName: 'node-2', serviceAccountName: 'builder', containers: [] },
};

describe('expandVars', () => {
  it('expands $(VAR), keeps unknown references and unescapes $$', () => {
    const vars = new Map([['A', 'x'], ['B', 'y']]);
    expect(expandVars('$(A)-$(B)', vars)).toBe('x-y');
    expect(expandVars('$(MISSING) $$(A) $A $', vars)).toBe('$(MISSING) $(A) $A $');
    expect(expandVars('$(A', vars)).toBe('$(A');
  });
});

describe('downward API fields', () => {
  it('resolves every supported field path', () => {
    expect(fieldRefValue(pod, 'metadata.name', runtime)).toBe('web');
    expect(fieldRefValue(pod, 'metadata.namespace', runtime)).toBe('shop');
    expect(fieldRefValue(pod, 'metadata.uid', runtime)).toBe('uid-1');
    expect(fieldRefValue(pod, "metadata.labels['a']", runtime)).toBe('1');
    expect(fieldRefValue(pod, 'metadata.labels', runtime)).toBe('a="1"\nb="2"');
    expect(fieldRefValue(pod, 'spec.nodeName', runtime)).toBe('node-2');
    expect(fieldRefValue(pod, 'spec.serviceAccountName', runtime)).toBe('builder');
    expect(fieldRefValue(pod, 'status.podIP', runtime)).toBe('10.200.1.4');
    expect(fieldRefValue(pod, 'status.podIPs', runtime)).toBe('10.200.1.4');
    expect(fieldRefValue(pod, 'status.hostIP', runtime)).toBe('172.28.0.12');
    expect(() => fieldRefValue(pod, 'spec.bogus', runtime)).toThrow('unsupported downward API field path "spec.bogus" in pod shop/web');
  });

  it('resolves resource fields with divisors and node allocatable for unset limits', () => {
    const c: Container = { name: 'c', image: 'i', resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } } };
    expect(resourceFieldValue(c, { resource: 'limits.memory', divisor: '1Mi' }, runtime)).toBe('128');
    expect(resourceFieldValue(c, { resource: 'limits.cpu' }, runtime)).toBe('2');
    expect(resourceFieldValue(c, { resource: 'requests.cpu', divisor: '1m' }, runtime)).toBe('250');
    expect(resourceFieldValue(c, { resource: 'requests.cpu' }, runtime)).toBe('1');
    expect(parseQuantity('1Gi')).toBe(1024 ** 3);
    expect(() => parseQuantity('12Q')).toThrow(/invalid quantity/);
  });
});

describe('composeEnv', () => {
  const container: Container = {
    name: 'c',
    image: 'i',
    envFrom: [{ configMapRef: { name: 'base' }, prefix: 'CFG_' }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'pw' } } },
      { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'base', key: 'missing', optional: true } } },
      { name: 'URL', value: 'http://$(IP):8080/$(POD)' },
      { name: 'KUBERNETES_SERVICE_HOST', value: 'override' },
    ],
  };
  const sources = { configMaps: new Map([['base', { level: 'debug' }]]), secrets: new Map([['creds', { pw: 'hunter2' }]]) };

  it('layers image env, service variables, envFrom and env, with later entries winning', () => {
    const env = composeEnv({ pod, container, runtime, sources, kubernetesService: { ip: '10.96.0.1', port: 443 }, imageEnv: { PATH: '/bin', POD: 'image' } });
    expect(Object.fromEntries(env)).toMatchObject({
      PATH: '/bin', POD: 'web', IP: '10.200.1.4', PASS: 'hunter2', CFG_level: 'debug', URL: 'http://10.200.1.4:8080/web',
      KUBERNETES_SERVICE_HOST: 'override', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    });
    expect(env.has('MAYBE')).toBe(false);
  });

  it('fails with the missing object or key named', () => {
    const noSecret = { ...sources, secrets: new Map() };
    expect(() => composeEnv({ pod, container, runtime, sources: noSecret })).toThrow('secret "creds" not found in namespace shop');
    const badKey: Container = { name: 'c', image: 'i', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'base', key: 'nope' } } }] };
    expect(() => composeEnv({ pod, container: badKey, runtime, sources })).toThrow("couldn't find key nope in ConfigMap shop/base");
  });

  it('lists the ConfigMaps and Secrets it needs', () => {
    expect(envReferences(container)).toEqual({ configMaps: ['base'], secrets: ['creds'] });
  });
});
