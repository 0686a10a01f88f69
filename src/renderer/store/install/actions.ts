// Install wizard actions: start, options → plan, apply, roll back, check, cancel, uninstall, copy/save YAML; follows install:state events while the view is open.
import { LumenError, type InstallOptions, type InstallStepId, type LumenClient, type LumenErrorPayload } from '../../../shared/contract/index.js';
import type { LumenStore } from '../index.js';

export interface InstallActions {
  /** Follows main's install session (state now, then events); returns the stop function. */
  watchInstall(): () => void;
  startInstall(context: string): Promise<void>;
  editOptions(patch: Partial<InstallOptions>): void;
  submitOptions(): Promise<void>;
  applyInstall(forceConflicts: boolean): Promise<void>;
  rollbackInstall(): Promise<void>;
  runCheck(): Promise<void>;
  cancelInstall(): Promise<void>;
  startUninstall(context: string): Promise<void>;
  showInstallStep(step: InstallStepId | null): void;
  /** Copies text to the clipboard; the notice says whether it worked. */
  copyText(text: string, what: string): Promise<void>;
  /** Desktop: main's save dialog; browser mode: a download. */
  saveText(fileName: string, text: string): Promise<void>;
}

function payloadOf(error: unknown): LumenErrorPayload {
  if (error instanceof LumenError) return error.payload;
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function createInstallActions(client: LumenClient, store: LumenStore): InstallActions {
  const s = () => store.getState();

  async function call<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    s().setInstall({ pending: what, error: null });
    try {
      return await run();
    } catch (error) {
      s().setInstall({ error: payloadOf(error) });
      return undefined;
    } finally {
      if (s().install.pending === what) s().setInstall({ pending: null });
    }
  }

  async function refreshPlan(): Promise<void> {
    const plan = await client.call('install:plan', {});
    s().setInstall({ plan });
  }

  const actions: InstallActions = {
    watchInstall() {
      const off = client.on('install:state', (session) => {
        const before = s().install.session;
        s().setInstallSession(session);
        // The review step finishing means a new plan is ready in main.
        const review = session.steps.find((x) => x.id === 'review');
        const reviewBefore = before?.steps.find((x) => x.id === 'review');
        if (review?.status === 'done' && (reviewBefore?.status !== 'done' || before?.id !== session.id)) void refreshPlan().catch(() => undefined);
      });
      void client.call('install:state', {}).then(async (session) => {
        s().setInstallSession(session);
        if (session?.steps.find((x) => x.id === 'review')?.status === 'done') await refreshPlan();
      }).catch((error: unknown) => s().setInstall({ error: payloadOf(error) }));
      return off;
    },

    async startInstall(context) {
      const session = await call('start', () => client.call('install:start', { context }));
      if (session) s().setInstall({ session, plan: null, draft: null, viewStep: 'preflight', notice: null });
    },

    editOptions(patch) {
      const draft = s().install.draft;
      if (draft) s().setInstall({ draft: { ...draft, ...patch } });
    },

    async submitOptions() {
      const draft = s().install.draft;
      if (!draft) return;
      const session = await call('options', () => client.call('install:options', { options: draft }));
      if (!session) return;
      s().setInstallSession(session);
      if (Object.keys(session.optionErrors).length === 0 && session.steps.find((x) => x.id === 'review')?.status === 'done') {
        await refreshPlan();
        s().setInstall({ viewStep: 'review' });
      }
    },

    async applyInstall(forceConflicts) {
      const session = await call('apply', () => client.call('install:apply', { forceConflicts }));
      if (session) s().setInstall({ session, viewStep: 'apply' });
    },

    async rollbackInstall() {
      const session = await call('rollback', () => client.call('install:rollback', {}));
      if (session) s().setInstall({ session, viewStep: 'apply' });
    },

    async runCheck() {
      const session = await call('check', () => client.call('install:check', {}));
      if (session) s().setInstall({ session, viewStep: 'connectivity' });
    },

    async cancelInstall() {
      const session = await call('cancel', () => client.call('install:cancel', {}));
      if (session) s().setInstallSession(session);
    },

    async startUninstall(context) {
      const session = await call('uninstall', () => client.call('install:uninstall', { context }));
      if (session) s().setInstall({ session, plan: null, draft: null, viewStep: 'uninstall' });
    },

    showInstallStep(step) {
      s().setInstall({ viewStep: step });
    },

    async copyText(text, what) {
      try {
        await navigator.clipboard.writeText(text);
        s().setInstall({ notice: `${what} copied to the clipboard` });
      } catch (error) {
        s().setInstall({ notice: `could not copy: ${error instanceof Error ? error.message : String(error)}` });
      }
    },

    async saveText(fileName, text) {
      if (client.mode === 'desktop') {
        const result = await call('save', () => client.call('install:save', { suggestedName: fileName, content: text }));
        if (result) s().setInstall({ notice: result.saved ? `saved to ${result.path}` : 'not saved' });
        return;
      }
      // Browser mode: the page itself offers the file (no server round trip, no file path to choose in main).
      const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      s().setInstall({ notice: `downloading ${fileName}` });
    },
  };
  return actions;
}
