import { describe, expect, it } from 'vitest';
import { requiredKubernetesVersion, versionLdflags } from './build';

describe('control-plane build', () => {
  it('reads the Kubernetes version the go.mod requires', () => {
    expect(requiredKubernetesVersion('module x\n\nrequire (\n\tgo.etcd.io/etcd/server/v3 v3.6.16\n\tk8s.io/kubernetes v1.36.3\n)\n')).toBe('v1.36.3');
    expect(() => requiredKubernetesVersion('module x\n')).toThrow(/no "k8s.io\/kubernetes vX.Y.Z" requirement/);
  });

  it('sets the version variables Kubernetes reports through /version', () => {
    const flags = versionLdflags('v1.36.3');
    expect(flags).toContain('-X k8s.io/component-base/version.gitVersion=v1.36.3');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMajor=1');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMinor=36');
    expect(flags).toContain('-X k8s.io/client-go/pkg/version.gitVersion=v1.36.3');
    expect(flags.startsWith('-s -w ')).toBe(true);
    expect(() => versionLdflags('latest')).toThrow('not a Kubernetes release version: latest');
  });
});
