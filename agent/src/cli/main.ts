// `lumen`: the agent's command-line tool (entry point, bundled to dist/agent/lumen.mjs); dispatches subcommands and maps errors to exit codes.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { AgentRequestError } from './client.js';
import {
  endpointListCommand, identityListCommand, lbDeleteCommand, lbListCommand, observeCommand, policyGetCommand,
  serviceGetCommand, serviceListCommand, statusCommand, type CliIo,
} from './commands.js';

type Command = (args: ParsedArgs, io: CliIo) => Promise<void>;

const commands: [string[], Command, string][] = [
  [['status'], statusCommand, 'status                               agent health, datapath mode, maps, flows'],
  [['service', 'list'], serviceListCommand, 'service list                         frontends and their backends on this node'],
  [['service', 'get'], serviceGetCommand, 'service get <id> [-o json|yaml]      one frontend: spec (API) and realized (maps)'],
  [['bpf', 'lb', 'list'], lbListCommand, 'bpf lb list                          the services map as written, slot by slot'],
  [['bpf', 'lb', 'delete'], lbDeleteCommand, 'bpf lb delete <frontend> <backend>   remove one backend from the maps (until next sync)'],
  [['endpoint', 'list'], endpointListCommand, 'endpoint list                        pods on this node with identity and enforcement'],
  [['identity', 'list'], identityListCommand, 'identity list                        identities this agent knows'],
  [['policy', 'get'], policyGetCommand, 'policy get <id|namespace/pod>        the realized policy entries of an endpoint'],
  [['observe'], observeCommand, 'observe [filter...] [--follow]       recent or live flows'],
];

export const usage = `Usage: lumen <command> [flags]

Commands:
${commands.map(([, , help]) => `  ${help}`).join('\n')}

Flags:
  -o, --output json|yaml|table        output format (yaml for service get / policy get)
      --socket <path>                 local API socket (default /var/run/lumen/lumen.sock)
      --server https://<host>:4244    an agent's HTTPS API instead of the local socket
      --token <t> | --token-file <f>  install token for --server (or LUMEN_TOKEN)
      --ca <file> | --insecure        verify the agent's certificate with <file>, or not at all

observe filters (repeat a key or use commas for OR; keys AND; "!" negates in the text form):
  --namespace, --pod, --identity, --label, --ip, --port, --node (each also --from-X / --to-X),
  --verdict FORWARDED|DROPPED|AUDIT, --protocol, --drop-reason, --service, --reply, --since 5m, --until
  or as text: lumen observe 'to-namespace:prod verdict:DROPPED !from-identity:2'
  -f, --follow  stream new flows     --last N  how many recent flows (default 20)
`;

const spec = {
  booleans: new Set(['insecure', 'follow', 'help']),
  aliases: { o: 'output', f: 'follow', h: 'help' },
};

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, spec);
    if (args.positionals.length === 0 || args.flags.has('help')) {
      io.out(usage);
      return args.positionals.length === 0 && !args.flags.has('help') ? 2 : 0;
    }
    const match = commands
      .filter(([words]) => words.every((w, i) => args.positionals[i] === w))
      .sort((a, b) => b[0].length - a[0].length)[0];
    if (!match) throw new UsageError(`unknown command "${args.positionals.join(' ')}"; run "lumen --help"`);
    await match[1]({ ...args, positionals: args.positionals.slice(match[0].length) }, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`lumen: ${err.message}\n`);
      return 2;
    }
    if (err instanceof AgentRequestError) {
      io.err(`lumen: ${err.message}\n`);
      return 1;
    }
    io.err(`lumen: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

/** True when this module is the program (also through a symlink such as /usr/local/bin/lumen). */
function isEntry(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  // A closed pipe (lumen observe | head) ends the program quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const code = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    signal: ac.signal,
  });
  process.exitCode = code;
}
