// `npm run lumen -- install|uninstall|status|preflight --context X`: the install engine headless, printing the same progress the wizard shows, as lines.
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { LumenError, type ConnectionState, type InstallSessionState } from '../shared/contract/index.js';
import { ExecCredentials } from './cluster/exec.js';
import { KubeconfigService } from './cluster/kubeconfig/service.js';
import { EventBus } from './events.js';
import { UsageError, mergeOptions, parseCliArgs, usage, type CliArgs } from './install/cli-args.js';
import { colours, formatCheck, formatLine, formatOptions, formatPlan, formatPreflight, formatRollout, formatStatus, formatUninstall, plain } from './install/cli-format.js';
import { planYaml } from './install/plan.js';
import { kubeApiFor } from './install/service.js';
import { InstallSession } from './install/session.js';
import { StatusService } from './install/status/service.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks a yes/no question; null when there is no terminal to ask on. */
  confirm(question: string): Promise<boolean | null>;
  env: NodeJS.ProcessEnv;
  /** Fired on SIGINT: the CLI cancels the running step (the check still removes its namespace). */
  onInterrupt(handler: () => void): () => void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, conflict: 3 } as const;

function stepFailed(state: InstallSessionState, id: string): boolean {
  const s = state.steps.find((x) => x.id === id);
  return s?.status === 'failed' || s?.status === 'cancelled';
}

async function resolveContext(kubeconfig: KubeconfigService, wanted: string | null, warn: (text: string) => void): Promise<string> {
  const { state } = await kubeconfig.current();
  for (const e of state.errors) warn(`lumen: warning: kubeconfig ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}\n`);
  const name = wanted ?? state.currentContext;
  if (!name) throw new UsageError('no --context given and the kubeconfig has no current-context');
  const ctx = state.contexts.find((c) => c.name === name);
  if (!ctx) throw new UsageError(`no context "${name}" in the kubeconfig (${state.files.map((f) => f.path).join(', ')}); known: ${state.contexts.map((c) => c.name).join(', ') || 'none'}`);
  if (ctx.error) throw new LumenError(ctx.error);
  return name;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.err(`lumen: ${(error as Error).message}\n\n${usage()}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    io.out(`${usage()}\n`);
    return EXIT.ok;
  }
  const paint = args.noColor || io.env.NO_COLOR ? plain : colours;
  // With -o yaml/json stdout carries only the document; progress goes to stderr.
  const say = args.output === 'text' ? io.out : io.err;
  const exec = new ExecCredentials();
  const kubeconfig = new KubeconfigService({ exec, env: io.env, watchFiles: false });
  try {
    const context = await resolveContext(kubeconfig, args.context, io.err);
    const kube = await kubeApiFor({ kubeconfig, exec }, context);
    if (args.command === 'status') {
      const connection: Pick<ConnectionState, 'status' | 'context' | 'since'> = { status: 'connected', context, since: 0 };
      const services = { app: { mode: 'browser' as const }, bus: new EventBus(), kubeconfig, exec, connection: { state: () => connection } };
      const status = await new StatusService(services as never).get();
      if (args.output === 'json') io.out(`${JSON.stringify(status, null, 2)}\n`);
      else io.out(`${formatStatus(status, paint)}\n`);
      return status.summary.nodesWithProblems > 0 || !status.installed ? EXIT.failed : EXIT.ok;
    }

    const session = new InstallSession(kube, args.command === 'uninstall' ? 'uninstall' : 'install');
    session.onLine((line) => say(`${formatLine(line, paint)}\n`));
    let interrupted = 0;
    const offInterrupt = io.onInterrupt(() => {
      interrupted++;
      if (interrupted === 1) session.cancel();
    });
    try {
      if (args.command === 'uninstall') {
        if (!args.yes) {
          const ok = await io.confirm(`Uninstall Lumen from context "${context}"? This deletes every Lumen object, its CRDs and its namespace. [y/N] `);
          if (ok === null) throw new UsageError('uninstall needs confirmation: add --yes when there is no terminal');
          if (!ok) return EXIT.failed;
        }
        await session.uninstall(args.overrides.namespace);
        const state = session.snapshot();
        if (state.uninstall) say(`${formatUninstall(state.uninstall, paint)}\n`);
        if (args.output === 'json') io.out(`${JSON.stringify(state.uninstall, null, 2)}\n`);
        return state.uninstall?.status === 'done' ? EXIT.ok : EXIT.failed;
      }

      await session.preflight();
      let state = session.snapshot();
      if (!state.preflight) throw new LumenError(state.error ?? { code: 'internal', message: 'preflight failed' });
      say(`${formatPreflight(state.preflight, paint)}\n`);
      const options = mergeOptions(state.preflight.defaults, args.overrides);
      if (args.command === 'preflight') {
        say(`${formatOptions(options)}\n`);
        if (args.output === 'json') io.out(`${JSON.stringify(state.preflight, null, 2)}\n`);
        return state.preflight.blocking ? EXIT.failed : EXIT.ok;
      }
      if (state.preflight.blocking) return EXIT.failed;

      say(`${formatOptions(options)}\n`);
      await session.setOptions(options);
      state = session.snapshot();
      if (Object.keys(state.optionErrors).length > 0) {
        for (const [k, v] of Object.entries(state.optionErrors)) io.err(`lumen: option ${k}: ${v}\n`);
        return EXIT.usage;
      }
      const plan = session.plan();
      if (!plan) throw new LumenError(state.error ?? { code: 'internal', message: 'no plan' });
      say(`${formatPlan(plan, paint, args.diff || args.dryRun)}\n`);
      if (args.output === 'yaml') io.out(planYaml(plan));
      if (args.dryRun) {
        say(paint.dim('Dry run: nothing was applied.\n'));
        return EXIT.ok;
      }
      if (!args.yes) {
        const ok = await io.confirm(`Apply ${plan.objects.filter((o) => o.action === 'create' || o.action === 'update').length} object(s) to context "${context}"? [y/N] `);
        if (ok === null) throw new UsageError('applying needs confirmation: add --yes when there is no terminal (or --dry-run to only look)');
        if (!ok) return EXIT.failed;
      }
      await session.apply(args.forceConflicts);
      state = session.snapshot();
      if (state.apply?.conflicts.length) {
        for (const c of state.apply.conflicts) io.err(`lumen: conflict on ${c.key}: ${c.field} is managed by "${c.manager}"\n`);
        io.err('lumen: run again with --force-conflicts to take these fields over\n');
        return EXIT.conflict;
      }
      if (state.rollout) say(`${formatRollout(state.rollout, paint)}\n`);
      if (stepFailed(state, 'apply')) {
        if (args.rollbackOnFailure && !interrupted) {
          await session.rollback();
          state = session.snapshot();
          if (state.uninstall) say(`${formatUninstall(state.uninstall, paint)}\n`);
        } else {
          say(paint.yellow('Fix the cause and run the install again (it re-applies idempotently), or run with --rollback-on-failure.\n'));
        }
        if (args.output === 'json') io.out(`${JSON.stringify(state, null, 2)}\n`);
        return EXIT.failed;
      }
      if (!args.skipCheck) {
        await session.check();
        state = session.snapshot();
        if (state.connectivity) say(`${formatCheck(state.connectivity, paint)}\n`);
      }
      if (args.output === 'json') io.out(`${JSON.stringify(state, null, 2)}\n`);
      return stepFailed(state, 'apply') || (!args.skipCheck && stepFailed(state, 'connectivity')) ? EXIT.failed : EXIT.ok;
    } finally {
      offInterrupt();
      session.dispose();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`lumen: ${error.message}\n`);
      return EXIT.usage;
    }
    const payload = error instanceof LumenError ? error.payload : null;
    io.err(`lumen: ${payload ? payload.message : error instanceof Error ? error.message : String(error)}\n`);
    if (payload?.detail) io.err(`  ${payload.detail}\n`);
    if (payload?.hint) io.err(`  ${payload.hint}\n`);
    return EXIT.failed;
  } finally {
    kubeconfig.dispose();
  }
}

function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    async confirm(question) {
      if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
    onInterrupt(handler) {
      let count = 0;
      const onSigint = () => {
        count++;
        if (count > 1) process.exit(130);
        process.stderr.write('\nlumen: cancelling (Ctrl+C again to quit at once)...\n');
        handler();
      };
      process.on('SIGINT', onSigint);
      return () => process.off('SIGINT', onSigint);
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The CLI prints its own progress; service logs only when something is wrong (LUMEN_LOG=info for more).
  process.env.LUMEN_LOG ??= 'warn';
  runCli(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`lumen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
