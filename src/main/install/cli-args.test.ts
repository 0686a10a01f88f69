// Tests of the headless CLI's arguments: commands, switches, option flags as overrides, readable usage errors.
import { describe, expect, it } from 'vitest';
import { mergeOptions, parseCliArgs, usage } from './cli-args.js';

describe('parseCliArgs', () => {
  it('parses the install command with its switches and option flags', () => {
    const a = parseCliArgs(['install', '--context', 'lab', '--dry-run', '-y', '--namespace=net', '--kube-proxy-replacement', 'false', '--audit-namespaces', 'dev,qa', '--config', 'map-size-policy=32768', '-o', 'yaml']);
    expect(a).toMatchObject({ command: 'install', context: 'lab', dryRun: true, yes: true, output: 'yaml' });
    expect(a.overrides).toEqual({ namespace: 'net', kubeProxyReplacement: false, auditNamespaces: ['dev', 'qa'], extraConfig: { 'map-size-policy': '32768' } });
  });

  it('explains bad input', () => {
    expect(() => parseCliArgs(['deploy'])).toThrow('unknown command "deploy"');
    expect(() => parseCliArgs(['install', '--flow-buffer-size', 'lots'])).toThrow('--flow-buffer-size expects a whole number, got "lots"');
    expect(() => parseCliArgs(['install', '--socket-lb', 'maybe'])).toThrow('--socket-lb expects true or false');
    expect(() => parseCliArgs(['install', '--context'])).toThrow('--context needs a value');
    expect(() => parseCliArgs(['install', '--frobnicate'])).toThrow('unknown flag --frobnicate');
    expect(() => parseCliArgs(['status', '--dry-run'])).toThrow('--dry-run is for install');
    expect(() => parseCliArgs(['install', '--config', 'novalue'])).toThrow('--config expects key=value');
  });

  it('shorthand --kube-proxy keep turns replacement and socket LB off', () => {
    expect(parseCliArgs(['install', '--kube-proxy', 'keep']).overrides).toEqual({ kubeProxyReplacement: false, socketLB: false });
  });

  it('merges overrides over defaults, extra config key by key', () => {
    const defaults = { extraConfig: { 'pod-routes': 'restricted' }, namespace: 'lumen-system' } as never;
    expect(mergeOptions(defaults, { namespace: 'x', extraConfig: { 'log-level': 'debug' } })).toEqual({ namespace: 'x', extraConfig: { 'pod-routes': 'restricted', 'log-level': 'debug' } });
  });

  it('documents every option flag', () => {
    expect(usage()).toContain('--image-pull-policy');
    expect(parseCliArgs([]).help).toBe(true);
  });
});
