// Vitest global setup of the `lab` project: starts one 2-node lab for the whole run and
// hands its description to the tests (inject('lab'), env LUMEN_LAB_KUBECONFIG and
// LUMEN_LAB_INSTANCE); tests attach with attachLab(). Stops it when the run ends.
import type { TestProject } from 'vitest/node';
import { startLab, type Lab } from './lib/lab';
import type { LabInfo } from './lib/state';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared lab, or null when the machine cannot run one (see labSkipReason). */
    lab: LabInfo | null;
    labSkipReason: string;
  }
}

/** Why the lab cannot run here, or '' when it can. */
export function labUnavailableReason(): string {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, mounts, cgroups)';
  return '';
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reason = labUnavailableReason();
  if (reason) {
    process.stderr.write(`[lab:setup] not starting the lab: ${reason}; lab tests will be skipped\n`);
    project.provide('lab', null);
    project.provide('labSkipReason', reason);
    return async () => undefined;
  }
  const t0 = Date.now();
  const lab: Lab = await startLab({ nodes: 2, log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`[lab:setup] lab ${lab.instance} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s, kubeconfig ${lab.kubeconfig}\n`);
  process.env.LUMEN_LAB_KUBECONFIG = lab.kubeconfig;
  process.env.LUMEN_LAB_INSTANCE = String(lab.instance);
  project.provide('lab', lab.info);
  project.provide('labSkipReason', '');
  return async () => {
    await lab.stop();
  };
}
