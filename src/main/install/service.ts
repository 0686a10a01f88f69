// The install service behind the contract's install:* channels: one session at a time per console, its state pushed as install:state events.
import { writeFile } from 'node:fs/promises';
import { LumenError, type InstallOptions, type InstallSessionState, type Plan, type SaveResult } from '../../shared/contract/index.js';
import type { ExecCredentials } from '../cluster/exec.js';
import { buildContextTarget } from '../cluster/kubeconfig/clientConfig.js';
import type { KubeconfigService } from '../cluster/kubeconfig/service.js';
import type { EventBus } from '../events.js';
import { logger } from '../log.js';
import { KubeApi } from './kube.js';
import { InstallSession } from './session.js';

const log = logger('install:service');

/** The parts of src/main/services.ts's Services the install needs. */
export interface InstallServices {
  app: { mode: 'desktop' | 'browser' };
  bus: EventBus;
  kubeconfig: KubeconfigService;
  exec: ExecCredentials;
}

/** A KubeApi for any context of the kubeconfig (the wizard passes the connected one). */
export async function kubeApiFor(services: Pick<InstallServices, 'kubeconfig' | 'exec'>, context: string): Promise<KubeApi> {
  const { merged } = await services.kubeconfig.current();
  return new KubeApi(buildContextTarget(merged, context, services.exec));
}

export class InstallService {
  private session: InstallSession | null = null;

  constructor(private readonly services: InstallServices) {}

  private async open(context: string, mode: 'install' | 'uninstall'): Promise<InstallSession> {
    if (this.session?.snapshot().busy) {
      throw LumenError.of('invalid-request', `an install step is running on "${this.session.kube.context}"; cancel it first`, { context });
    }
    this.session?.dispose();
    const session = new InstallSession(await kubeApiFor(this.services, context), mode);
    session.onChange((state) => this.services.bus.emit('install:state', state));
    this.session = session;
    log.info(`${mode} session ${session.id} on ${context}`);
    return session;
  }

  private current(): InstallSession {
    if (!this.session) throw LumenError.of('invalid-request', 'no install session: start one (install:start) first');
    return this.session;
  }

  /** Starts a session on `context` and its preflight; progress follows as events. */
  async start(context: string): Promise<InstallSessionState> {
    const session = await this.open(context, 'install');
    const running = session.preflight();
    running.catch((error: unknown) => log.error('preflight crashed', { error }));
    return session.snapshot();
  }

  state(): InstallSessionState | null {
    return this.session?.snapshot() ?? null;
  }

  plan(): Plan | null {
    return this.session?.plan() ?? null;
  }

  /** Validates the options and builds the plan (answers once the plan is ready). */
  async options(options: InstallOptions): Promise<InstallSessionState> {
    const session = this.current();
    await session.setOptions(options);
    return session.snapshot();
  }

  private kick(run: (s: InstallSession) => Promise<void>): InstallSessionState {
    const session = this.current();
    if (session.snapshot().busy) throw LumenError.of('invalid-request', 'another install step is running; wait for it or cancel it');
    run(session).catch((error: unknown) => log.error('install step crashed', { error }));
    return session.snapshot();
  }

  apply(forceConflicts: boolean): InstallSessionState {
    return this.kick((s) => s.apply(forceConflicts));
  }

  rollback(): InstallSessionState {
    return this.kick((s) => s.rollback());
  }

  check(): InstallSessionState {
    return this.kick((s) => s.check());
  }

  cancel(): InstallSessionState {
    const session = this.current();
    session.cancel();
    return session.snapshot();
  }

  async uninstall(context: string): Promise<InstallSessionState> {
    const session = await this.open(context, 'uninstall');
    session.uninstall().catch((error: unknown) => log.error('uninstall crashed', { error }));
    return session.snapshot();
  }

  /** Desktop: a save dialog in main writes the file. Browser mode downloads in the page instead. */
  async save(suggestedName: string, content: string): Promise<SaveResult> {
    if (this.services.app.mode !== 'desktop') {
      throw LumenError.of('invalid-request', 'install:save is for the desktop app; in browser mode the page downloads the file itself');
    }
    // Loaded only in the Electron main process (browser mode and the CLI never get here).
    const { dialog } = await import('electron');
    const answer = await dialog.showSaveDialog({ defaultPath: suggestedName, filters: [{ name: 'YAML', extensions: ['yaml', 'yml'] }] });
    if (answer.canceled || !answer.filePath) return { saved: false, path: null };
    try {
      await writeFile(answer.filePath, content, { mode: 0o644 });
    } catch (error) {
      throw LumenError.of('internal', `cannot write ${answer.filePath}: ${(error as Error).message}`, {}, error);
    }
    return { saved: true, path: answer.filePath };
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
  }
}

const instances = new WeakMap<object, InstallService>();

/** The one InstallService of a Services instance. */
export function installServiceOf(services: InstallServices): InstallService {
  let s = instances.get(services);
  if (!s) {
    s = new InstallService(services);
    instances.set(services, s);
  }
  return s;
}
