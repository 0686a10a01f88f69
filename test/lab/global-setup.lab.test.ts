// The shared lab of the `lab` project's global setup, seen from a test worker: its
// description arrives through inject('lab') and the environment, and everything a test
// does with it works from this process (nothing in the setup process's memory is needed).
import { describe, expect, inject, it } from 'vitest';
import { LabHandle } from './lib/attach';
import type { LabInfo } from './lib/state';
import { skipReason } from './use-lab';

function provided(): LabInfo | null {
  try {
    return inject('lab');
  } catch {
    return null;
  }
}

const shared = provided();
const why = skipReason || (shared ? '' : 'the lab project has no globalSetup (test/lab/global-setup.ts) configured');

describe.skipIf(!!why)(`the shared lab from the global setup${why ? ` (skipped: ${why})` : ''}`, () => {
  it('is described to workers through inject() and the environment', () => {
    expect(process.env.LUMEN_LAB_KUBECONFIG).toBe(shared!.kubeconfig);
    expect(process.env.LUMEN_LAB_INSTANCE).toBe(String(shared!.instance));
    expect(shared!.nodes).toHaveLength(2);
    expect(shared!.ownerPid).not.toBe(process.pid);
  });

  it('can be used from this worker: API, node exec, no stop()', async () => {
    const lab = new LabHandle(shared!);
    const c = lab.client();
    try {
      const nodes = await c.list<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }>('/api/v1/nodes');
      expect(nodes.items.filter((n) => n.status.conditions.some((x) => x.type === 'Ready' && x.status === 'True'))).toHaveLength(2);
    } finally {
      c.close();
    }
    for (const n of lab.nodes) {
      const addr = await lab.exec(n.name, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      expect(addr.stdout).toContain(`${n.ip}/24`);
    }
    await expect(lab.stop()).rejects.toThrow(/owned by process/);
  });
});
