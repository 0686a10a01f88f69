// Config parsing: defaults, every error names its key and value, round trip through ConfigMap data, the mounted-directory reader, env.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError, configKeyNames, configToData, defaultConfig, loadConfigDir, mapSizesOf, parseConfigData, readAgentEnv, resolveConfig,
} from './config.js';
import { DEFAULT_MAP_SIZES } from '../native/config.js';

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigData', () => {
  it('gives the documented defaults for an empty ConfigMap', () => {
    const c = parseConfigData({});
    expect(c.kubeProxyReplacement).toBe(true);
    expect(c.policyEnforcement).toBe('default');
    expect(c.cgroupRoot).toBe('/run/lumen/cgroupv2');
    expect(c.bpffsDir).toBe('/sys/fs/bpf/lumen');
    expect(c.apiPort).toBe(4244);
    expect(c.auditNamespaces).toEqual([]);
  });

  it('parses every kind of value', () => {
    const c = parseConfigData({
      'kube-proxy-replacement': 'FALSE',
      'node-port': 'false',
      'policy-enforcement': 'always',
      'audit-namespaces': 'dev, staging  qa',
      'flow-buffer-size': ' 1024 ',
      'events-ring-bytes': '65536',
      'pod-routes': 'restricted',
      'pod-route-cidrs': '10.201.0.0/16,10.97.0.0/16',
      'cgroup-root': '/run/x/',
      'api-address': '172.28.1.11',
    });
    expect(c).toMatchObject({
      kubeProxyReplacement: false, nodePort: false, policyEnforcement: 'always', auditNamespaces: ['dev', 'staging', 'qa'],
      flowBufferSize: 1024, eventsRingBytes: 65536, podRoutes: 'restricted', podRouteCidrs: ['10.201.0.0/16', '10.97.0.0/16'],
      cgroupRoot: '/run/x', apiAddress: '172.28.1.11',
    });
  });

  it.each([
    ['policy-enforcement', 'sometimes', /expected one of default, always, never/],
    ['kube-proxy-replacement', 'yes', /expected true or false/],
    ['flow-buffer-size', '8', /must be at least 16/],
    ['flow-buffer-size', '12k', /expected a whole number/],
    ['api-port', '70000', /must be at most 65535/],
    ['events-ring-bytes', '5000', /power of two/],
    ['bpffs-dir', 'sys/fs/bpf', /absolute path/],
    ['cgroup-root', '/run/../etc', /must not contain/],
    ['audit-namespaces', 'ok,Bad_NS', /"Bad_NS" is not a namespace name/],
    ['pod-route-cidrs', '10.0.0.0/33', /not an IPv4 CIDR/],
    ['api-address', 'node-1', /IPv4 address/],
    ['log-level', 'verbose', /debug, info, warn, error/],
  ])('rejects %s=%s naming the key and the value', (key, value, why) => {
    const err = problemsOf(() => parseConfigData({ [key]: value }, '/etc/lumen/config'));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ key, value });
    expect(err.problems[0]!.message).toMatch(why);
    expect(err.message).toContain(`key "${key}"`);
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.message).toContain('/etc/lumen/config');
  });

  it('reports unknown keys with a suggestion, and all problems at once', () => {
    const err = problemsOf(() => parseConfigData({ 'kube-proxy-replacment': 'true', 'api-port': 'x', 'socket-lb': 'no' }));
    expect(err.problems.map((p) => p.key).sort()).toEqual(['api-port', 'kube-proxy-replacment', 'socket-lb']);
    expect(err.message).toMatch(/unknown key \(did you mean "kube-proxy-replacement"\?\)/);
  });

  it('checks keys against each other', () => {
    expect(problemsOf(() => parseConfigData({ 'pod-routes': 'restricted' })).problems[0]!.key).toBe('pod-route-cidrs');
    expect(problemsOf(() => parseConfigData({ 'kube-proxy-replacement': 'false', 'node-port': 'true' })).problems[0]!.key).toBe('node-port');
    // node-port left to its default follows kube-proxy-replacement instead of failing.
    expect(parseConfigData({ 'kube-proxy-replacement': 'false' }).nodePort).toBe(false);
    expect(problemsOf(() => parseConfigData({ 'cni-socket': '/var/run/lumen/lumen.sock' })).problems[0]!.key).toBe('cni-socket');
  });
});

describe('configToData / resolveConfig', () => {
  it('round-trips every key', () => {
    const c = resolveConfig({ auditNamespaces: ['a', 'b'], podRoutes: 'restricted', podRouteCidrs: ['10.0.0.0/8'], flowBufferSize: 99 });
    const data = configToData(c);
    expect(Object.keys(data)).toEqual([...configKeyNames]);
    expect(parseConfigData(data)).toEqual(c);
    expect(data['audit-namespaces']).toBe('a,b');
  });

  it('validates overrides the way the agent will', () => {
    expect(() => resolveConfig({ flowBufferSize: 3 })).toThrow(/flow-buffer-size.*at least 16/s);
    expect(() => resolveConfig({ auditNamespaces: ['UPPER'] })).toThrow(/audit-namespaces/);
  });

  it('map sizes default to the datapath loader\'s own defaults', () => {
    expect(mapSizesOf(defaultConfig())).toEqual(DEFAULT_MAP_SIZES);
    expect(mapSizesOf(parseConfigData({ 'map-size-conntrack': '1024' })).ct).toBe(1024);
  });

  it('defaultConfig is a fresh object each time', () => {
    const a = defaultConfig();
    a.auditNamespaces.push('x');
    expect(defaultConfig().auditNamespaces).toEqual([]);
  });
});

describe('loadConfigDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'lumen-config-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads a kubelet-style ConfigMap volume (..data symlinks) and ignores the hidden entries', () => {
    const dir = join(root, 'cm');
    const data = join(dir, '..2025_01_01_00_00_00.000');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'policy-enforcement'), 'never\n');
    writeFileSync(join(data, 'flow-buffer-size'), '64');
    symlinkSync('..2025_01_01_00_00_00.000', join(dir, '..data'));
    symlinkSync('..data/policy-enforcement', join(dir, 'policy-enforcement'));
    symlinkSync('..data/flow-buffer-size', join(dir, 'flow-buffer-size'));
    const c = loadConfigDir(dir);
    expect(c.policyEnforcement).toBe('never');
    expect(c.flowBufferSize).toBe(64);
  });

  it('names the file source in errors and fails on a missing directory', () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'api-port'), '0');
    expect(() => loadConfigDir(dir)).toThrow(new RegExp(`${dir}[\\s\\S]*key "api-port": must be at least 1 \\(got "0"\\)`));
    expect(() => loadConfigDir(join(root, 'missing'))).toThrow(/cannot read the config directory/);
  });
});

describe('readAgentEnv', () => {
  it('reads the downward-API variables', () => {
    expect(readAgentEnv({ NODE_NAME: 'n1', NODE_IP: '172.28.1.11', KUBERNETES_SERVICE_HOST: '172.28.1.1', KUBERNETES_SERVICE_PORT: '6443' })).toEqual({
      nodeName: 'n1', nodeIP: '172.28.1.11', namespace: 'lumen-system', podName: 'n1', apiServerHost: '172.28.1.1', apiServerPort: 6443,
    });
  });
  it('names every missing or bad variable', () => {
    const err = problemsOf(() => readAgentEnv({ NODE_IP: '300.1.1.1', KUBERNETES_SERVICE_PORT: 'http' }));
    expect(err.problems.map((p) => p.key)).toEqual(['NODE_NAME', 'NODE_IP', 'KUBERNETES_SERVICE_PORT']);
  });
});
