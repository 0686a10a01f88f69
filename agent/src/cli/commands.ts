// The `lumen` commands: each reads the agent API through AgentClient and prints a table, JSON or YAML; I/O is injected so tests run them in-process.
import { readFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import {
  AgentStatusSchema, EndpointListSchema, EndpointPolicySchema, IdentityListSchema, LbBackendDeleteResultSchema, ServiceEntrySchema,
  ServiceListSchema, agentApiPaths, formatL4Addr, parseEndpointRef, parseL4Addr, serviceDrift,
} from '../../../src/shared/agent-api/index.js';
import { FilterError, FlowListSchema, FlowStreamLineSchema, filterKeys, flowFilterFromEntries, flowFilterToQuery, parseFlowFilter } from '../../../src/shared/flow/index.js';
import { UsageError, boolFlag, expectFlags, flag, type ParsedArgs } from './args.js';
import { AgentClient } from './client.js';
import { formatEndpointList, formatFlowLine, formatIdentityList, formatLbList, formatPolicy, formatServiceDetail, formatServiceList, formatStatus } from './format.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Aborted on Ctrl+C (ends `observe --follow`). */
  signal?: AbortSignal;
}

type Output = 'table' | 'json' | 'yaml';

/** Flags every command accepts (connection + output). */
export const connectionFlags = ['server', 'token', 'token-file', 'ca', 'insecure', 'socket', 'output', 'help'] as const;

function output(args: ParsedArgs, allowed: Output[] = ['table', 'json']): Output {
  const o = flag(args, 'output') ?? 'table';
  const v = o === 'wide' ? 'table' : o;
  if (!(allowed as string[]).includes(v)) throw new UsageError(`-o ${o}: expected ${allowed.filter((x) => x !== 'table').join(' or ')}`);
  return v as Output;
}

export function clientFrom(args: ParsedArgs): AgentClient {
  const server = flag(args, 'server');
  let token = flag(args, 'token') ?? process.env.LUMEN_TOKEN;
  const tokenFile = flag(args, 'token-file');
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      throw new UsageError(`cannot read ${what} ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  if (tokenFile) token = read(tokenFile, 'the token file').trim();
  if (server && !token) throw new UsageError('--server needs --token, --token-file or LUMEN_TOKEN (the install token)');
  const caFile = flag(args, 'ca');
  return new AgentClient({
    server, token, socketPath: flag(args, 'socket'), insecure: boolFlag(args, 'insecure'),
    ca: caFile ? read(caFile, 'the CA file') : undefined,
  });
}

function printData(io: CliIo, o: Output, data: unknown): void {
  io.out(o === 'yaml' ? toYaml(data) : JSON.stringify(data, null, 2) + '\n');
}

function positionals(args: ParsedArgs, n: number, usage: string): string[] {
  if (args.positionals.length !== n) throw new UsageError(`usage: lumen ${usage}`);
  return args.positionals;
}

export async function statusCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'status');
  positionals(args, 0, 'status [-o json]');
  const o = output(args);
  const s = AgentStatusSchema.parse(await clientFrom(args).json('GET', agentApiPaths.status));
  if (o === 'table') io.out(formatStatus(s));
  else printData(io, o, s);
}

export async function serviceListCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'service list');
  positionals(args, 0, 'service list [-o json]');
  const o = output(args);
  const { items } = ServiceListSchema.parse(await clientFrom(args).json('GET', agentApiPaths.services));
  if (o === 'table') io.out(formatServiceList(items));
  else printData(io, o, items);
}

export async function serviceGetCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'service get');
  const [id] = positionals(args, 1, 'service get <id> [-o json|yaml]');
  if (!/^\d+$/.test(id!)) throw new UsageError(`service id "${id}": expected a number (the ID column of "lumen service list")`);
  const o = output(args, ['table', 'json', 'yaml']);
  const s = ServiceEntrySchema.parse(await clientFrom(args).json('GET', agentApiPaths.service(Number(id))));
  if (o === 'table') io.out(formatServiceDetail(s));
  else printData(io, o, { ...s, drift: serviceDrift(s) });
}

export async function lbListCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'bpf lb list');
  positionals(args, 0, 'bpf lb list [-o json]');
  const o = output(args);
  const { items } = ServiceListSchema.parse(await clientFrom(args).json('GET', agentApiPaths.services));
  if (o === 'table') io.out(formatLbList(items));
  else printData(io, o, items.filter((s) => s.realized).map((s) => ({ id: s.id, frontend: s.frontend, type: s.type, ...s.realized })));
}

export async function lbDeleteCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'bpf lb delete');
  const [fe, be] = positionals(args, 2, 'bpf lb delete <frontend ip:port[/proto]> <backend ip:port>');
  let frontend, backend;
  try {
    frontend = parseL4Addr(fe!, 'frontend');
    backend = parseL4Addr(be!, 'backend');
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const q = new URLSearchParams({ frontend: formatL4Addr(frontend), backend: `${backend.ip}:${backend.port}` });
  const r = LbBackendDeleteResultSchema.parse(await clientFrom(args).json('DELETE', `${agentApiPaths.lbBackend}?${q}`));
  if (output(args) === 'json') printData(io, 'json', r);
  else io.out(r.removed
    ? `Removed backend ${backend.ip}:${backend.port} from ${formatL4Addr(frontend)} (${r.remainingBackends} left). The agent restores it at the next sync of the service.\n`
    : `Backend ${backend.ip}:${backend.port} is not in ${formatL4Addr(frontend)}; nothing removed.\n`);
}

export async function endpointListCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'endpoint list');
  positionals(args, 0, 'endpoint list [-o json]');
  const o = output(args);
  const { items } = EndpointListSchema.parse(await clientFrom(args).json('GET', agentApiPaths.endpoints));
  if (o === 'table') io.out(formatEndpointList(items));
  else printData(io, o, items);
}

export async function identityListCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'identity list');
  positionals(args, 0, 'identity list [-o json]');
  const o = output(args);
  const { items } = IdentityListSchema.parse(await clientFrom(args).json('GET', agentApiPaths.identities));
  if (o === 'table') io.out(formatIdentityList(items));
  else printData(io, o, items);
}

export async function policyGetCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, connectionFlags, 'policy get');
  const [ref] = positionals(args, 1, 'policy get <endpoint id | namespace/pod> [-o json]');
  try {
    parseEndpointRef(ref!);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const o = output(args, ['table', 'json', 'yaml']);
  const p = EndpointPolicySchema.parse(await clientFrom(args).json('GET', agentApiPaths.policy(ref!)));
  if (o === 'table') io.out(formatPolicy(p));
  else printData(io, o, p);
}

/** Filter flags of `observe`: every filter key and its from-/to- variants, e.g. --to-port 80. */
export const observeFilterFlags: readonly string[] = filterKeys.flatMap((k) =>
  ['namespace', 'pod', 'identity', 'label', 'ip', 'port', 'node'].includes(k) ? [k, `from-${k}`, `to-${k}`] : [k]);

const lostWhy = {
  'ring-buffer-full': 'the kernel ring buffer was full',
  'agent-overloaded': 'the agent could not keep up',
  'slow-client': 'this client read too slowly',
} as const;

export async function observeCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  expectFlags(args, [...connectionFlags, ...observeFilterFlags, 'follow', 'last'], 'observe');
  const o = output(args);
  const follow = boolFlag(args, 'follow');
  const last = flag(args, 'last');
  if (last !== undefined && !/^\d+$/.test(last)) throw new UsageError(`--last ${last}: expected a number of flows`);
  // Validate locally first so a typo is reported before any connection is made.
  let query: URLSearchParams;
  try {
    const entries: [string, string][] = [];
    for (const [name, values] of args.flags) if (observeFilterFlags.includes(name)) for (const v of values) entries.push([name, v]);
    const fromFlags = flowFilterFromEntries(entries);
    const fromText = parseFlowFilter(args.positionals.join(' '));
    query = new URLSearchParams([...flowFilterToQuery(fromFlags), ...flowFilterToQuery(fromText)]);
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  if (follow) query.set('follow', 'true');
  if (last !== undefined) query.set('limit', last);
  else if (!follow) query.set('limit', '20');
  const client = clientFrom(args);
  const path = `${agentApiPaths.flows}?${query}`;
  if (!follow) {
    const list = FlowListSchema.parse(await client.json('GET', path));
    for (const f of list.items) io.out(o === 'json' ? JSON.stringify(f) + '\n' : formatFlowLine(f) + '\n');
    if (o === 'table' && list.lost > 0) io.err(`(${list.lost} flow events lost by the kernel since the agent started: the ring buffer was full)\n`);
    return;
  }
  await client.stream(path, (raw) => {
    const line = FlowStreamLineSchema.parse(raw);
    if ('flow' in line) io.out(o === 'json' ? JSON.stringify(line.flow) + '\n' : formatFlowLine(line.flow) + '\n');
    else io.err(`(${line.lost.count} flows missed: ${lostWhy[line.lost.reason]})\n`);
  }, io.signal);
}
