// Command-line parsing for `lumen`: positionals, --flag value / --flag=value, booleans, -o; errors say which flag and why.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  positionals: string[];
  /** Flag values by name without dashes; repeated flags keep every value in order. */
  flags: Map<string, string[]>;
}

export interface ArgSpec {
  /** Flags that take no value. */
  booleans: ReadonlySet<string>;
  /** Short aliases: o → output, f → follow, h → help. */
  aliases: Readonly<Record<string, string>>;
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string): void => {
    flags.set(name, [...(flags.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (/^-[a-zA-Z]$/.test(arg) || /^-[a-zA-Z]=/.test(arg)) {
      const short = arg[1]!;
      name = spec.aliases[short];
      if (!name) throw new UsageError(`unknown option -${short}`);
      inline = arg.length > 2 ? arg.slice(3) : undefined;
    }
    if (name === undefined) {
      positionals.push(arg);
      continue;
    }
    if (spec.booleans.has(name)) {
      if (inline !== undefined && !['true', 'false'].includes(inline)) throw new UsageError(`--${name} takes no value (or =true/=false), got "${inline}"`);
      add(name, inline ?? 'true');
      continue;
    }
    if (inline !== undefined) {
      add(name, inline);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('-') && next !== '-')) throw new UsageError(`--${name} needs a value`);
    add(name, next);
    i++;
  }
  return { positionals, flags };
}

/** The last value of a flag (later flags win), or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return flag(args, name) === 'true';
}

/** Throws on flags the command does not know, naming them. */
export function expectFlags(args: ParsedArgs, known: readonly string[], command: string): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new UsageError(`unknown flag --${name} for "${command}" (known: ${known.map((k) => `--${k}`).join(', ')})`);
  }
}
