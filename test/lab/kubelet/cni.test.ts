import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCall, cniArgs, interpretPluginOutput, labPtpConflist, parseNetworkConfig, pickNetworkConfigFile, plannedCalls, podIPsFromResult, type CniNetworkList, type CniRuntime } from './cni';

const rt: CniRuntime = { containerId: 'abc123', netns: '/run/netns/lumen-lab0-p-abc', ifName: 'eth0', podNamespace: 'ns1', podName: 'web', podUid: 'u-1', cniPath: '/opt/cni/bin' };
const list: CniNetworkList = { cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'ptp', ipam: { type: 'host-local' } }, { type: 'tuning', sysctl: {} }] };

describe('CNI invocation', () => {
  it('sets the environment a kubelet/runtime sets', () => {
    const call = addCall(list, 0, rt);
    expect(call.env).toMatchObject({
      CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/run/netns/lumen-lab0-p-abc', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1',
    });
    expect(cniArgs(rt)).toContain('K8S_POD_UID=u-1');
  });

  it('injects the list name and version into each plugin config and chains prevResult on ADD', () => {
    const first = JSON.parse(addCall(list, 0, rt).stdin);
    expect(first).toEqual({ type: 'ptp', ipam: { type: 'host-local' }, cniVersion: '1.0.0', name: 'net' });
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.200.0.5/24' }] };
    const second = JSON.parse(addCall(list, 1, rt, prev).stdin);
    expect(second).toEqual({ type: 'tuning', sysctl: {}, cniVersion: '1.0.0', name: 'net', prevResult: prev });
    expect(() => addCall(list, 2, rt)).toThrow(/no plugin #2/);
  });

  it('runs DEL in reverse order with the cached result, CHECK in order', () => {
    const cached = { ips: [{ address: '10.200.0.5/24' }] };
    const del = plannedCalls('DEL', list, rt, cached);
    expect(del.map((c) => c.plugin)).toEqual(['tuning', 'ptp']);
    expect(del.every((c) => c.env.CNI_COMMAND === 'DEL' && JSON.parse(c.stdin).prevResult.ips[0].address === '10.200.0.5/24')).toBe(true);
    expect(plannedCalls('CHECK', list, rt, cached).map((c) => c.plugin)).toEqual(['ptp', 'tuning']);
  });

  it("turns a plugin's error JSON into a message with its msg and details", () => {
    expect(() => interpretPluginOutput('ptp', 'ADD', 1, '{"code":11,"msg":"failed to allocate","details":"range full"}', '')).toThrow('plugin type="ptp" failed (add): failed to allocate: range full');
    expect(() => interpretPluginOutput('x', 'DEL', 2, '', 'segfault')).toThrow('plugin type="x" failed (del): segfault');
    expect(() => interpretPluginOutput('x', 'ADD', 0, 'not json', '')).toThrow(/invalid result JSON/);
    expect(interpretPluginOutput('x', 'DEL', 0, '', '')).toBeUndefined();
    expect(interpretPluginOutput('x', 'ADD', 0, '{"ips":[]}', '')).toEqual({ ips: [] });
  });

  it('takes pod IPs from the sandbox interface', () => {
    const result = {
      interfaces: [{ name: 'veth1', mac: 'x' }, { name: 'eth0', sandbox: '/run/netns/p' }],
      ips: [{ address: '10.0.0.1/32', interface: 0 }, { address: '10.200.0.9/24', interface: 1 }],
    };
    expect(podIPsFromResult(result)).toEqual(['10.200.0.9']);
    expect(podIPsFromResult({ ips: [{ address: '10.200.0.9/24' }] })).toEqual(['10.200.0.9']);
  });
});

describe('CNI config files', () => {
  it('picks the lexicographically first config (so 05-lumen takes over from 10-lab-ptp)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cni-'));
    expect(pickNetworkConfigFile(dir)).toBeUndefined();
    writeFileSync(join(dir, '10-lab-ptp.conflist'), '{}');
    writeFileSync(join(dir, 'README'), '');
    expect(pickNetworkConfigFile(dir)).toBe(join(dir, '10-lab-ptp.conflist'));
    writeFileSync(join(dir, '05-lumen.conflist'), '{}');
    expect(pickNetworkConfigFile(dir)).toBe(join(dir, '05-lumen.conflist'));
    expect(pickNetworkConfigFile(join(dir, 'missing'))).toBeUndefined();
  });

  it('parses conflists and single-plugin confs, naming what is wrong', () => {
    expect(parseNetworkConfig('a.conf', '{"cniVersion":"1.0.0","name":"n","type":"bridge","x":1}')).toEqual({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge', x: 1 }] });
    expect(() => parseNetworkConfig('/x/b.conflist', '{')).toThrow(/CNI config \/x\/b.conflist is not valid JSON/);
    expect(() => parseNetworkConfig('b.conflist', '{"cniVersion":"1.0.0","name":"n","plugins":[]}')).toThrow('CNI config b.conflist: "plugins" must be a non-empty array');
    expect(() => parseNetworkConfig('b.conflist', '{"cniVersion":"1.0.0","plugins":[{"type":"p"}]}')).toThrow('CNI config b.conflist: "name" must be a non-empty string');
    expect(() => parseNetworkConfig('b.conflist', '{"cniVersion":"1.0.0","name":"n","plugins":[{}]}')).toThrow('plugins[0].type must be a string');
  });

  it('writes a fallback network with routes only to lab ranges via the pod gateway', () => {
    const conf = labPtpConflist('10.200.1.0/24', ['10.200.0.0/16', '10.96.0.0/16', '172.28.0.0/24']);
    const ipam = conf.plugins[0]!.ipam as { ranges: unknown; routes: Array<{ dst: string; gw: string }> };
    expect(conf.plugins[0]!.ipMasq).toBe(false);
    expect(ipam.ranges).toEqual([[{ subnet: '10.200.1.0/24' }]]);
    expect(ipam.routes).toEqual([
      { dst: '10.200.0.0/16', gw: '10.200.1.1' }, { dst: '10.96.0.0/16', gw: '10.200.1.1' }, { dst: '172.28.0.0/24', gw: '10.200.1.1' },
    ]);
    expect(ipam.routes.some((r) => r.dst === '0.0.0.0/0')).toBe(false);
  });
});
