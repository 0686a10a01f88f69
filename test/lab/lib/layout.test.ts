import { describe, expect, it } from 'vitest';
import { cidrContains, intToIp, labPlan, parseCIDR, podNetnsName, shortPodId } from './layout';

describe('labPlan', () => {
  it('derives every name and address of instance N from N', () => {
    const p = labPlan(3, 2, '/repo');
    expect(p).toMatchObject({
      bridge: 'llab3br', bridgeIp: '172.28.3.1', nodeSubnet: '172.28.3.0/24',
      clusterCIDR: '10.203.0.0/16', serviceCIDR: '10.99.0.0/16', kubernetesServiceIP: '10.99.0.1',
      iptablesChain: 'LUMEN-LAB3', stateDir: '/run/lumen-lab/3', labDir: '/repo/.lab/3', kubeconfig: '/repo/.lab/3/kubeconfig',
    });
    expect(p.nodes.map((n) => [n.name, n.ip, n.netnsName, n.hostVeth])).toEqual([
      ['node-1', '172.28.3.11', 'lumen-lab3-node-1', 'llab3v1'],
      ['node-2', '172.28.3.12', 'lumen-lab3-node-2', 'llab3v2'],
    ]);
    expect(p.nodes[1]!.cgroup).toMatch(/\/lumen-lab3\/node-2$/);
    expect(p.nodes[0]!.mntns).toBe('/run/lumen-lab/3/nodes/node-1/mnt');
  });

  it('keeps instance 0 in .lab/ and names fit the 15-character interface limit', () => {
    const p = labPlan(0, 20, '/repo');
    expect(p.labDir).toBe('/repo/.lab');
    const worst = labPlan(50, 20, '/repo');
    for (const n of worst.nodes) expect(n.hostVeth.length).toBeLessThanOrEqual(15);
    expect(worst.bridge.length).toBeLessThanOrEqual(15);
  });

  it('rejects instances and node counts outside the address plan', () => {
    expect(() => labPlan(51, 2)).toThrow(/instance must be an integer 0..50/);
    expect(() => labPlan(-1, 2)).toThrow(/instance/);
    expect(() => labPlan(0, 0)).toThrow(/node count must be an integer 1..20/);
    expect(() => labPlan(0, 1.5)).toThrow(/node count/);
  });

  it('separates the ranges of different instances', () => {
    const a = labPlan(0, 2);
    const b = labPlan(1, 2);
    expect(cidrContains(a.clusterCIDR, b.clusterCIDR.split('/')[0]!)).toBe(false);
    expect(cidrContains(a.serviceCIDR, b.kubernetesServiceIP)).toBe(false);
    expect(cidrContains(b.serviceCIDR, b.kubernetesServiceIP)).toBe(true);
  });
});

describe('pod netns names', () => {
  it('uses the first 12 hex digits of the pod UID', () => {
    expect(podNetnsName(2, '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')).toBe('lumen-lab2-p-0f1e2d3c4b5a');
    expect(shortPodId('ABCDEF01-2345-6789-abcd-ef0123456789')).toBe('abcdef012345');
  });
  it('rejects things that are not UIDs', () => {
    expect(() => shortPodId('../../etc')).toThrow(/not a pod UID/);
  });
});

describe('CIDR helpers', () => {
  it('parses, masks and tests membership', () => {
    expect(parseCIDR('10.200.1.7/24')).toEqual([parseCIDR('10.200.1.0/24')[0], 24]);
    expect(intToIp(parseCIDR('10.200.1.0/24')[0] + 1)).toBe('10.200.1.1');
    expect(cidrContains('10.200.1.0/24', '10.200.1.255')).toBe(true);
    expect(cidrContains('10.200.1.0/24', '10.200.2.0')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '1.2.3.4')).toBe(true);
  });
  it('names bad input', () => {
    expect(() => parseCIDR('10.0.0.0')).toThrow('not an IPv4 CIDR: "10.0.0.0"');
    expect(() => parseCIDR('300.0.0.0/8')).toThrow(/not an IPv4 CIDR/);
  });
});
