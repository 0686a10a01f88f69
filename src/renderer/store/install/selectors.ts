// Selectors of the install wizard: the step to show, what each step allows, summaries for the stepper (pure).
import type { InstallSessionState, InstallStepId, StepState } from '../../../shared/contract/index.js';
import type { LumenState } from '../types.js';

/** The step a session is at: the running one, else the first that is not done (skipping none). */
export function sessionStep(session: InstallSessionState): InstallStepId {
  const running = session.steps.find((s) => s.status === 'running');
  if (running) return running.id;
  const failed = session.steps.find((s) => s.status === 'failed' || s.status === 'cancelled');
  if (failed) return failed.id;
  const next = session.steps.find((s) => s.status === 'pending');
  if (next) {
    // Options are chosen on the options step; after a preflight the user goes there.
    return next.id;
  }
  return session.steps[session.steps.length - 1]!.id;
}

export function selectInstallStep(state: LumenState): InstallStepId {
  const { session, viewStep } = state.install;
  if (viewStep) return viewStep;
  return session ? sessionStep(session) : 'preflight';
}

export function stepState(session: InstallSessionState | null, id: InstallStepId): StepState | null {
  return session?.steps.find((s) => s.id === id) ?? null;
}

/** Whether the user may open a step (steps before the first pending one, and that one). */
export function stepReachable(session: InstallSessionState | null, id: InstallStepId): boolean {
  if (!session) return id === 'preflight' || id === 'uninstall';
  const order = session.steps.map((s) => s.id);
  const index = order.indexOf(id);
  if (index < 0) return false;
  const firstOpen = session.steps.findIndex((s) => s.status !== 'done' && s.status !== 'skipped');
  return firstOpen < 0 || index <= firstOpen;
}

export interface ApplyAllowed {
  allowed: boolean;
  why: string | null;
}

export function selectCanApply(state: LumenState): ApplyAllowed {
  const { session, plan } = state.install;
  if (!session) return { allowed: false, why: 'start the wizard first' };
  if (session.busy) return { allowed: false, why: 'a step is running' };
  if (session.preflight?.blocking) return { allowed: false, why: 'a preflight check failed' };
  if (!plan) return { allowed: false, why: 'review the plan first' };
  return { allowed: true, why: null };
}

export function selectConnectedContext(state: LumenState): string | null {
  const c = state.connection.state;
  return c.status === 'connected' ? c.context : null;
}
