// CNI wire codec: the request the C plugin (agent/cni/lumen-cni.c) sends over the unix
// socket, CNI 1.0 results and errors, and the "<exit code>\n<json>" answer framing.

export const CNI_VERSION = '1.0.0';
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;

/** CNI spec error codes (1-99 reserved by the spec; 100+ are ours). */
export const CniCode = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** Lumen: setting up the pod's network failed (netlink, IPAM exhausted, datapath). */
  setupFailed: 100,
  /** Lumen: CHECK found the pod's network different from what ADD made. */
  checkFailed: 101,
} as const;

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS';

/** The network configuration the runtime passed on stdin (name/cniVersion injected). */
export interface CniNetConf {
  cniVersion: string;
  name: string;
  type: string;
  socketPath?: string;
  prevResult?: unknown;
  [key: string]: unknown;
}

export interface CniRequest {
  command: CniCommand;
  containerId: string;
  /** Path of the pod's network namespace (empty on DEL when it is already gone). */
  netns: string;
  ifName: string;
  /** CNI_ARGS split into key/value pairs (K8S_POD_NAMESPACE, K8S_POD_NAME, ...). */
  args: Record<string, string>;
  path: string;
  config: CniNetConf;
}

export interface CniInterface { name: string; mac: string; sandbox?: string }
export interface CniIp { address: string; gateway?: string; interface?: number }
export interface CniRoute { dst: string; gw?: string }
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: Record<string, unknown>;
}

/** An error the plugin reports to the runtime: code + msg (+ details) per the spec. */
export class CniError extends Error {
  constructor(readonly code: number, message: string, readonly details?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CniError';
  }
}

const COMMANDS: readonly string[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'];
const IFNAME = /^[^\s/:]{1,15}$/;

/** Parses "K=V;K2=V2" (CNI_ARGS). Empty segments are ignored; a segment without '=' is an error. */
export function parseCniArgs(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CniError(CniCode.invalidEnv, `CNI_ARGS segment "${part}" is not KEY=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new CniError(CniCode.decodeFailure, `${where}.${key} must be a string, got ${typeof v}`);
  return v;
}

/** Parses and validates one request as the plugin sends it. Throws CniError naming the bad field. */
export function parseRequest(raw: string): CniRequest {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch (err) {
    throw new CniError(CniCode.decodeFailure, `request is not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new CniError(CniCode.decodeFailure, 'request is not a JSON object');
  const r = o as Record<string, unknown>;
  const command = str(r, 'command', 'request');
  if (!COMMANDS.includes(command)) throw new CniError(CniCode.invalidEnv, `CNI_COMMAND "${command}" is not one of ${COMMANDS.join(', ')}`);
  const config = r.config;
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new CniError(CniCode.decodeFailure, 'network configuration (stdin) is not a JSON object');
  }
  const conf = config as Record<string, unknown>;
  const cniVersion = str(conf, 'cniVersion', 'config');
  if (cniVersion && !(SUPPORTED_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new CniError(CniCode.incompatibleVersion, `config.cniVersion "${cniVersion}" is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  const req: CniRequest = {
    command: command as CniCommand,
    containerId: str(r, 'containerId', 'request'),
    netns: str(r, 'netns', 'request'),
    ifName: str(r, 'ifName', 'request'),
    args: parseCniArgs(str(r, 'args', 'request')),
    path: str(r, 'path', 'request'),
    config: { ...conf, cniVersion: cniVersion || CNI_VERSION, name: str(conf, 'name', 'config'), type: str(conf, 'type', 'config') },
  };
  if (req.command === 'ADD' || req.command === 'DEL' || req.command === 'CHECK') {
    if (!req.containerId) throw new CniError(CniCode.invalidEnv, 'CNI_CONTAINERID is empty');
    if (!IFNAME.test(req.ifName)) throw new CniError(CniCode.invalidEnv, `CNI_IFNAME "${req.ifName}" is not a valid interface name`);
  }
  if ((req.command === 'ADD' || req.command === 'CHECK') && !req.netns) {
    throw new CniError(CniCode.invalidEnv, `CNI_NETNS is empty for ${req.command}`);
  }
  return req;
}

/** Frames an answer for the plugin: exit code, newline, the JSON it prints. */
export function encodeAnswer(code: number, body: unknown): string {
  return `${code}\n${body === undefined ? '' : JSON.stringify(body)}\n`;
}

/** The answer for a failure: CNI error object with the spec's fields. */
export function encodeError(err: unknown, cniVersion = CNI_VERSION): string {
  if (err instanceof CniError) {
    const body: Record<string, unknown> = { cniVersion, code: err.code, msg: err.message };
    if (err.details) body.details = err.details;
    return encodeAnswer(err.code, body);
  }
  const e = err as Error;
  const cause = e?.cause instanceof Error ? `: ${e.cause.message}` : '';
  return encodeAnswer(CniCode.setupFailed, { cniVersion, code: CniCode.setupFailed, msg: `${e?.message ?? String(err)}${cause}` });
}

/** Splits the plugin's framed answer (used by tests and by the agent's own CNI client). */
export function decodeAnswer(raw: string): { code: number; body: unknown } {
  const nl = raw.indexOf('\n');
  const code = nl > 0 ? Number(raw.slice(0, nl)) : NaN;
  if (!Number.isInteger(code)) throw new Error(`malformed CNI answer: ${JSON.stringify(raw.slice(0, 40))}`);
  const text = raw.slice(nl + 1).trim();
  return { code, body: text ? JSON.parse(text) : undefined };
}
