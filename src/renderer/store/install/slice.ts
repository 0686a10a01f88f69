// The install wizard's state: main's session snapshot (pushed as events), the plan, the options being edited, which step is shown.
import type { InstallOptions, InstallSessionState, InstallStepId, LumenErrorPayload, Plan } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface InstallUiState {
  session: InstallSessionState | null;
  plan: Plan | null;
  /** The options form as the user edits it (null until preflight gave defaults). */
  draft: InstallOptions | null;
  /** The step the user looks at; null follows the session (the running or next step). */
  viewStep: InstallStepId | null;
  /** A call is out (start, options, apply...). */
  pending: string | null;
  /** A call failed (not a step: those are in the session). */
  error: LumenErrorPayload | null;
  /** Result of the last copy/save, shown next to the buttons. */
  notice: string | null;
}

export interface InstallSlice {
  install: InstallUiState;
  setInstall(patch: Partial<InstallUiState>): void;
  /** A new snapshot from main; a new session resets the plan and the draft. */
  setInstallSession(session: InstallSessionState | null): void;
}

export const emptyInstall: InstallUiState = { session: null, plan: null, draft: null, viewStep: null, pending: null, error: null, notice: null };

export const createInstallSlice: SliceCreator<InstallSlice> = (set) => ({
  install: emptyInstall,
  setInstall: (patch) => set((s) => ({ install: { ...s.install, ...patch } })),
  setInstallSession: (session) =>
    set((s) => {
      const previous = s.install.session;
      const fresh = !previous || !session || previous.id !== session.id;
      const draft = fresh ? null : s.install.draft;
      return {
        install: {
          ...s.install,
          session,
          plan: fresh ? null : s.install.plan,
          // Defaults arrive with the preflight; the user's edits are kept after that.
          draft: draft ?? session?.options ?? session?.preflight?.defaults ?? null,
          viewStep: fresh ? null : s.install.viewStep,
        },
      };
    }),
});
