// Tests of install options: flavour defaults, an upgrade keeping the running config, and errors that name the option.
import { describe, expect, it } from 'vitest';
import { configToData, defaultConfig } from '../../../agent/src/config.js';
import { agentConfigOf, defaultOptions, validateOptions } from './options.js';
import type { NodeLike } from './preflight/flavour.js';

const labNodes: NodeLike[] = [
  { metadata: { name: 'node-1', labels: { 'lumen.dev/lab': 'true' } }, spec: { podCIDR: '10.203.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '172.28.3.11' }] } },
];
const input = { flavour: { flavour: 'lab' as const, evidence: '' }, kubeProxyPresent: false, apiServer: 'https://172.28.3.1:6443', nodes: labNodes, serviceCIDRs: ['10.99.0.0/16'], existing: null };

describe('defaultOptions', () => {
  it('gives the lab restricted pod routes from its address plan and the lab check images', () => {
    const { options } = defaultOptions(input);
    expect(options.extraConfig['pod-routes']).toBe('restricted');
    expect(options.extraConfig['pod-route-cidrs']).toBe('10.203.0.0/16,10.99.0.0/16,172.28.3.0/24');
    expect(options.checkClientImage).toBe('lumen.dev/lab/client:1');
    expect(options.kubeProxyReplacement).toBe(true);
    expect(agentConfigOf(options).podRouteCidrs).toEqual(['10.203.0.0/16', '10.99.0.0/16', '172.28.3.0/24']);
  });

  it('keeps kube-proxy when it runs, and nothing lab-specific elsewhere', () => {
    const { options, notes } = defaultOptions({ ...input, flavour: { flavour: 'generic', evidence: '' }, kubeProxyPresent: true });
    expect(options.kubeProxyReplacement).toBe(false);
    expect(options.socketLB).toBe(false);
    expect(options.extraConfig).toEqual({});
    expect(notes.join(' ')).toContain('keep kube-proxy');
  });

  it('starts an upgrade from what the running install uses', () => {
    const running = { ...configToData(defaultConfig()), 'policy-enforcement': 'always', 'audit-namespaces': 'dev,qa', 'map-size-policy': '32768', 'cleanup-on-exit': 'true' };
    const { options } = defaultOptions({ ...input, flavour: { flavour: 'generic', evidence: '' }, existing: { namespace: 'net', image: 'my/lumen-agent:0.0.9', imagePullPolicy: 'Always', apiServer: 'https://10.0.0.1:443', configData: running } });
    expect(options).toMatchObject({ namespace: 'net', image: 'my/lumen-agent:0.0.9', imagePullPolicy: 'Always', policyEnforcement: 'always', auditNamespaces: ['dev', 'qa'], apiServer: 'https://10.0.0.1:443' });
    expect(options.extraConfig).toEqual({ 'map-size-policy': '32768' });
  });
});

describe('validateOptions', () => {
  const good = defaultOptions(input).options;

  it('accepts the defaults', () => {
    expect(validateOptions(good, { labels: null }).errors).toEqual({});
  });

  it('refuses system namespaces and namespaces that are not Lumen\'s', () => {
    expect(validateOptions({ ...good, namespace: 'kube-system' }, null).errors.namespace).toContain('system namespace');
    expect(validateOptions(good, { labels: { team: 'x' } }).errors.namespace).toContain('was not made by Lumen');
    expect(validateOptions(good, { labels: { 'app.kubernetes.io/part-of': 'lumen' } }).errors).toEqual({});
  });

  it('names the option (or the extra config key) that is wrong', () => {
    expect(validateOptions({ ...good, flowBufferSize: 3 }, null).errors.flowBufferSize).toBeDefined();
    expect(validateOptions({ ...good, apiServer: 'http://x:1/path' }, null).errors.apiServer).toBe('expected https://<host>:<port> without a path');
    const typo = validateOptions({ ...good, extraConfig: { 'map-size-polcy': '1' } }, null).errors.extraConfig;
    expect(typo).toContain('key "map-size-polcy": unknown key (did you mean "map-size-policy"?)');
    expect(validateOptions({ ...good, extraConfig: { 'cleanup-on-exit': 'true' } }, null).errors.extraConfig).toContain('the uninstall');
    expect(validateOptions({ ...good, auditNamespaces: ['Bad Name'] }, null).errors.auditNamespaces).toBeDefined();
  });
});
