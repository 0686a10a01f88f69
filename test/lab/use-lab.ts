// For lab tests: the shared lab from the global setup when there is one (inject('lab')),
// otherwise a lab of their own for the file, started in beforeAll and stopped in afterAll.
import { afterAll, beforeAll, inject } from 'vitest';
import { LabHandle } from './lib/attach';
import { startLab, type Lab } from './lib/lab';
import { labUnavailableReason } from './global-setup';

export interface LabRef {
  /** Set once beforeAll ran (undefined when the lab cannot run here: see skipReason). */
  lab?: LabHandle;
}

/** Why lab tests skip on this machine, or '' when they can run. */
export const skipReason = ((): string => {
  try {
    const provided = inject('labSkipReason');
    if (provided) return provided;
  } catch {
    // Not inside a vitest project with the lab global setup.
  }
  return labUnavailableReason();
})();

/**
 * `dedicated`: always a lab of the file's own, for tests of the lab itself that must not
 * see what other suites did to the shared one (e.g. an installed Lumen CNI taking over).
 */
export function useLab(opts: { nodes?: number; dedicated?: boolean } = {}): LabRef {
  const ref: LabRef = {};
  let own: Lab | undefined;
  beforeAll(async () => {
    if (skipReason) return;
    const shared = ((): ReturnType<typeof inject<'lab'>> => {
      try {
        return inject('lab');
      } catch {
        return null;
      }
    })();
    if (shared && !opts.dedicated) {
      ref.lab = new LabHandle(shared);
      return;
    }
    own = await startLab({ nodes: opts.nodes ?? 2, log: (l) => process.stderr.write(`${l}\n`) });
    ref.lab = own;
  }, 600_000);
  afterAll(async () => {
    await own?.stop();
  }, 120_000);
  return ref;
}
