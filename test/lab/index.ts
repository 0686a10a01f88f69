// The Lumen lab's TypeScript API: start a real local cluster (startLab), attach to a
// running one from another process (attachLab), clean up after a crash (downLab).
export { startLab, OwnedLab, type Lab, type StartLabOptions } from './lib/lab';
export { LabHandle, type ExecOptions, type PodExecOptions } from './lib/attach';
export { downLab, downLabSync, labLeftovers, labInstances } from './lib/down';
export { KubeClient, KubeError, type KubeObject, type WatchEvent } from './lib/kube';
export { ensureControlPlane, type ControlPlane, type ControlPlaneManifest } from './build';
export type { LabInfo, LabNodeInfo, PodRecord } from './lib/state';
export type { RunResult } from './lib/proc';

import { LabHandle } from './lib/attach';

/** A handle on running lab instance N (default $LUMEN_LAB_INSTANCE or 0) from any process. */
export function attachLab(instance?: number): LabHandle {
  return LabHandle.attach(instance);
}
