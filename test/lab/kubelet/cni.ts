// CNI 1.0 invocation as a kubelet/runtime performs it: pick the network config, call
// each plugin of the list with the spec's environment and stdin (prevResult chained on
// ADD, cached result on DEL/CHECK, DEL in reverse order), and parse results and errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intToIp, parseCIDR } from '../lib/layout';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface CniPluginConf {
  type: string;
  [key: string]: unknown;
}

export interface CniNetworkList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
  disableCheck?: boolean;
  [key: string]: unknown;
}

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifName: string;
  podNamespace: string;
  podName: string;
  podUid: string;
  /** CNI_PATH in the node's view. */
  cniPath: string;
}

export interface CniCall {
  plugin: string;
  env: Record<string, string>;
  stdin: string;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
}

export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly code: number | undefined,
    readonly msg: string,
    options?: ErrorOptions,
  ) {
    super(`plugin type="${plugin}" failed (${command.toLowerCase()}): ${msg}`, options);
    this.name = 'CniError';
  }
}

/** Parses a .conflist, or a single-plugin .conf/.json turned into a one-plugin list (as libcni does). */
export function parseNetworkConfig(file: string, text: string): CniNetworkList {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`CNI config ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const str = (k: string): string => {
    const v = raw[k];
    if (typeof v !== 'string' || !v) throw new Error(`CNI config ${file}: "${k}" must be a non-empty string`);
    return v;
  };
  if (file.endsWith('.conflist')) {
    const plugins = raw.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) throw new Error(`CNI config ${file}: "plugins" must be a non-empty array`);
    plugins.forEach((p: unknown, i) => {
      if (typeof (p as CniPluginConf)?.type !== 'string') throw new Error(`CNI config ${file}: plugins[${i}].type must be a string`);
    });
    return { ...raw, cniVersion: str('cniVersion'), name: str('name'), plugins: plugins as CniPluginConf[] };
  }
  const { cniVersion, name, ...plugin } = raw;
  if (typeof plugin.type !== 'string') throw new Error(`CNI config ${file}: "type" must be a string`);
  return { cniVersion: String(cniVersion ?? ''), name: String(name ?? ''), plugins: [plugin as CniPluginConf] };
}

/** The file a kubelet would use now: the lexicographically first .conflist/.conf/.json in the dir. */
export function pickNetworkConfigFile(confDir: string): string | undefined {
  if (!existsSync(confDir)) return undefined;
  const files = readdirSync(confDir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
  return files[0] ? join(confDir, files[0]) : undefined;
}

export function loadNetworkConfig(confDir: string): { file: string; list: CniNetworkList } | undefined {
  const file = pickNetworkConfigFile(confDir);
  if (!file) return undefined;
  return { file, list: parseNetworkConfig(file, readFileSync(file, 'utf8')) };
}

export function cniArgs(rt: CniRuntime): string {
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${rt.podNamespace}`,
    `K8S_POD_NAME=${rt.podName}`,
    `K8S_POD_INFRA_CONTAINER_ID=${rt.containerId}`,
    `K8S_POD_UID=${rt.podUid}`,
  ].join(';');
}

export function cniEnv(command: CniCommand, rt: CniRuntime): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_ARGS: cniArgs(rt),
    CNI_PATH: rt.cniPath,
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/** stdin for one plugin: its own config with the list's name and cniVersion injected. */
export function pluginStdin(list: CniNetworkList, plugin: CniPluginConf, prevResult?: CniResult): string {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  if (prevResult) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

/**
 * The calls for DEL and CHECK, which are known up front (ADD is sequential because each
 * plugin's result is the next one's prevResult; see addCall).
 */
export function plannedCalls(command: 'DEL' | 'CHECK', list: CniNetworkList, rt: CniRuntime, cached?: CniResult): CniCall[] {
  const env = cniEnv(command, rt);
  const plugins = command === 'DEL' ? [...list.plugins].reverse() : list.plugins;
  return plugins.map((p) => ({ plugin: p.type, env, stdin: pluginStdin(list, p, cached) }));
}

export function addCall(list: CniNetworkList, index: number, rt: CniRuntime, prevResult?: CniResult): CniCall {
  const plugin = list.plugins[index];
  if (!plugin) throw new Error(`CNI network ${list.name} has no plugin #${index}`);
  return { plugin: plugin.type, env: cniEnv('ADD', rt), stdin: pluginStdin(list, plugin, prevResult) };
}

/** Turns a plugin's exit into a result or a CniError carrying the plugin's own message. */
export function interpretPluginOutput(plugin: string, command: CniCommand, exitCode: number, stdout: string, stderr: string): CniResult | undefined {
  if (exitCode === 0) {
    if (command !== 'ADD') return undefined;
    try {
      return JSON.parse(stdout) as CniResult;
    } catch (e) {
      throw new CniError(plugin, command, undefined, `invalid result JSON: ${stdout.slice(0, 200)}`, { cause: e });
    }
  }
  let msg = stderr.trim() || `exit status ${exitCode}`;
  let code: number | undefined;
  try {
    const err = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (err.msg) msg = err.details ? `${err.msg}: ${err.details}` : err.msg;
    code = err.code;
  } catch {
    if (stdout.trim()) msg = stdout.trim();
  }
  throw new CniError(plugin, command, code, msg);
}

/** The first IPv4 address of the sandbox interface in a result (prefix stripped). */
export function podIPsFromResult(result: CniResult, ifName = 'eth0'): string[] {
  const sandboxIfaces = new Set((result.interfaces ?? []).map((iface, i) => (iface.sandbox && iface.name === ifName ? i : -1)).filter((i) => i >= 0));
  const ips = (result.ips ?? []).filter((ip) => ip.interface === undefined || sandboxIfaces.size === 0 || sandboxIfaces.has(ip.interface));
  return ips.map((ip) => ip.address.split('/')[0]!).filter(Boolean);
}

/** The loopback network containerd sets up in every pod sandbox. */
export const LOOPBACK_LIST: CniNetworkList = { cniVersion: '1.0.0', name: 'cni-loopback', plugins: [{ type: 'loopback' }] };

/** The lab's fallback network: ptp + host-local with routes only to lab ranges (never a default route). */
export function labPtpConflist(podCIDR: string, routes: string[]): CniNetworkList {
  // host-local's gateway is the first address of the range. Naming it in every route makes
  // the ADD result carry it too, which ptp's CHECK compares against the pod's routes.
  const [net] = parseCIDR(podCIDR);
  const gw = intToIp(net + 1);
  return {
    cniVersion: '1.0.0',
    name: 'lab-ptp',
    plugins: [{
      type: 'ptp',
      ipMasq: false,
      mtu: 1500,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: podCIDR }]],
        routes: routes.map((dst) => ({ dst, gw })),
        dataDir: '/var/lib/cni/networks',
      },
    }],
  };
}
