// Arguments of `npm run lumen -- install|uninstall|status|preflight`: the commands, their flags, and the option flags as overrides of the preflight defaults (pure).
import type { InstallOptions } from '../../shared/contract/index.js';
import { installOptionDocs } from '../../shared/contract/index.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const commands = ['install', 'uninstall', 'status', 'preflight'] as const;
export type Command = (typeof commands)[number];

export interface CliArgs {
  command: Command;
  context: string | null;
  dryRun: boolean;
  yes: boolean;
  output: 'text' | 'yaml' | 'json';
  forceConflicts: boolean;
  skipCheck: boolean;
  rollbackOnFailure: boolean;
  diff: boolean;
  help: boolean;
  noColor: boolean;
  overrides: Partial<InstallOptions>;
}

type OptionFlag = { option: keyof InstallOptions; parse: (v: string, flag: string) => unknown };

const bool = (v: string, flag: string): boolean => {
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  throw new UsageError(`${flag} expects true or false, got "${v}"`);
};
const int = (v: string, flag: string): number => {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} expects a whole number, got "${v}"`);
  return Number(v);
};
const list = (v: string): string[] => v.split(/[\s,]+/).filter(Boolean);
const str = (v: string): string => v;

export const optionFlags: Record<string, OptionFlag> = {
  '--namespace': { option: 'namespace', parse: str },
  '--image': { option: 'image', parse: str },
  '--image-pull-policy': { option: 'imagePullPolicy', parse: str },
  '--kube-proxy-replacement': { option: 'kubeProxyReplacement', parse: bool },
  '--socket-lb': { option: 'socketLB', parse: bool },
  '--policy-enforcement': { option: 'policyEnforcement', parse: str },
  '--audit-namespaces': { option: 'auditNamespaces', parse: list },
  '--flow-buffer-size': { option: 'flowBufferSize', parse: int },
  '--api-server': { option: 'apiServer', parse: str },
  '--check-echo-image': { option: 'checkEchoImage', parse: str },
  '--check-client-image': { option: 'checkClientImage', parse: str },
  '--rollout-timeout': { option: 'rolloutTimeoutSeconds', parse: int },
};

const switches: Record<string, keyof CliArgs> = {
  '--dry-run': 'dryRun', '--yes': 'yes', '-y': 'yes', '--force-conflicts': 'forceConflicts', '--skip-check': 'skipCheck',
  '--rollback-on-failure': 'rollbackOnFailure', '--diff': 'diff', '--help': 'help', '-h': 'help', '--no-color': 'noColor',
};

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    command: 'install', context: null, dryRun: false, yes: false, output: 'text', forceConflicts: false, skipCheck: false,
    rollbackOnFailure: false, diff: false, help: false, noColor: false, overrides: {},
  };
  const rest = [...argv];
  const first = rest[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { ...args, help: true };
  if (!(commands as readonly string[]).includes(first)) throw new UsageError(`unknown command "${first}" (expected ${commands.join(', ')})`);
  args.command = first as Command;
  rest.shift();
  const extra: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const raw = rest[i]!;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = rest[i + 1];
      if (v === undefined || (v.startsWith('-') && v.length > 1 && !/^-\d/.test(v))) throw new UsageError(`${flag} needs a value`);
      i++;
      return v;
    };
    if (flag in switches) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      (args[switches[flag]!] as boolean) = true;
    } else if (flag === '--context') {
      args.context = value();
    } else if (flag === '-o' || flag === '--output') {
      const o = value();
      if (o !== 'text' && o !== 'yaml' && o !== 'json') throw new UsageError(`${flag} expects text, yaml or json, got "${o}"`);
      args.output = o;
    } else if (flag === '--kube-proxy') {
      const v = value();
      if (v !== 'replace' && v !== 'keep') throw new UsageError(`--kube-proxy expects replace or keep, got "${v}"`);
      args.overrides.kubeProxyReplacement = v === 'replace';
      args.overrides.socketLB ??= v === 'replace';
    } else if (flag === '--config') {
      const v = value();
      const at = v.indexOf('=');
      if (at <= 0) throw new UsageError(`--config expects key=value (an agent ConfigMap key), got "${v}"`);
      extra[v.slice(0, at)] = v.slice(at + 1);
    } else if (flag in optionFlags) {
      const spec = optionFlags[flag]!;
      (args.overrides as Record<string, unknown>)[spec.option] = spec.parse(value(), flag);
    } else {
      throw new UsageError(`unknown flag ${flag} (see --help)`);
    }
  }
  if (Object.keys(extra).length > 0) args.overrides.extraConfig = extra;
  if (args.dryRun && args.command !== 'install') throw new UsageError('--dry-run is for install (preflight only reads anyway)');
  return args;
}

/** Options = preflight defaults, then the flags; --config adds to the flavour's extra config. */
export function mergeOptions(defaults: InstallOptions, overrides: Partial<InstallOptions>): InstallOptions {
  return { ...defaults, ...overrides, extraConfig: { ...defaults.extraConfig, ...(overrides.extraConfig ?? {}) } };
}

export function usage(): string {
  const optionLines = Object.entries(optionFlags).map(([flag, spec]) => `  ${`${flag} <value>`.padEnd(32)} ${installOptionDocs[spec.option].doc}`);
  return [
    'Usage: npm run lumen -- <command> [--context <name>] [flags]',
    '',
    'Commands:',
    '  preflight     check the cluster (read-only) and print the defaults an install would use',
    '  install       preflight, plan, apply, follow the rollout per node, run the connectivity check',
    '  uninstall     restart the agents with cleanup-on-exit, delete every Lumen object, confirm nothing is left',
    '  status        per-node agent health, datapath mode, map pressure, flow rate and problems',
    '',
    'Flags:',
    '  --context <name>                 kubeconfig context (default: current-context; KUBECONFIG is honoured)',
    '  --dry-run                        install: stop after the plan (prints what would change; nothing is written)',
    '  --diff                           print the diff of every object that changes',
    '  -o, --output text|yaml|json      yaml: the plan\'s objects (Secret values redacted) on stdout; json: final state',
    '  -y, --yes                        do not ask before applying or uninstalling',
    '  --force-conflicts                take over fields another field manager owns',
    '  --skip-check                     install: do not run the connectivity check',
    '  --rollback-on-failure            install: roll back when the rollout fails (upgrade: previous version; fresh: uninstall)',
    '  --no-color                       plain output',
    '',
    'Install options (default: what preflight derives for this cluster):',
    ...optionLines,
    `  ${'--kube-proxy replace|keep'.padEnd(32)} shorthand for --kube-proxy-replacement and --socket-lb`,
    `  ${'--config <key>=<value>'.padEnd(32)} ${installOptionDocs.extraConfig.doc} Repeatable.`,
    '',
    'Exit status: 0 done, 1 a check/rollout/uninstall failed, 2 bad usage or options, 3 conflicts (use --force-conflicts).',
  ].join('\n');
}
