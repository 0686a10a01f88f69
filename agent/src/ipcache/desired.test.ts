// ipcache desired state: precedence of the sources on one address, and the diff.
import { describe, expect, it } from 'vitest';
import { desiredIpcache, diffIpcache } from './desired.js';

describe('desiredIpcache', () => {
  it('applies pod > host > remote-node > kube-apiserver > CIDR on the same prefix', () => {
    const m = desiredIpcache({
      pods: [['10.200.0.5', 300]],
      nodes: [{ name: 'a', addresses: ['172.28.0.11'] }, { name: 'b', addresses: ['172.28.0.12'] }],
      ownNode: 'a',
      apiServers: ['172.28.0.12', '172.28.0.1'],
      cidrs: [['172.28.0.1/32', 1 << 24], ['10.0.0.0/8', (1 << 24) + 1], ['10.200.0.5/32', (1 << 24) + 2]],
    });
    expect(m.get('10.200.0.5/32')).toBe(300);
    expect(m.get('172.28.0.11/32')).toBe(1);
    expect(m.get('172.28.0.12/32')).toBe(6);
    expect(m.get('172.28.0.1/32')).toBe(7);
    expect(m.get('10.0.0.0/8')).toBe((1 << 24) + 1);
  });

  it('diffs: changed and new entries are written, missing ones deleted', () => {
    const d = diffIpcache(new Map([['a/32', 1], ['b/32', 2]]), new Map([['b/32', 3], ['c/32', 4]]));
    expect(d).toEqual({ upserts: [['a/32', 1], ['b/32', 2]], deletes: ['c/32'] });
  });
});
