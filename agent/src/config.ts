// The agent's configuration: ConfigMap keys, their zod schemas and defaults, parsing with errors that name the key, and the inverse for the manifests.
//
// One table (configKeys) is the only definition of every key: the agent parses the mounted
// ConfigMap with it and resources/manifests.ts writes the ConfigMap with it, so the two can
// never disagree. Values are strings (ConfigMap data); parsing is strict: unknown keys are
// errors too, because a misspelt key silently falling back to a default is worse than a
// refusal to start.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAP_SIZES, type MapSizes } from '../native/config.js';

export type PolicyEnforcementMode = 'default' | 'always' | 'never';
export type PodRoutesMode = 'default' | 'restricted';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AgentConfig {
  /** Replace kube-proxy: ClusterIP (tc) LB on pod veths. */
  kubeProxyReplacement: boolean;
  /** Socket-level LB (cgroup connect/sendmsg/recvmsg/getpeername) at cgroupRoot. */
  socketLB: boolean;
  /** NodePort on the node's addresses (host.bpf.o on the uplink); needs kubeProxyReplacement. */
  nodePort: boolean;
  /** default: enforce on endpoints selected by a policy; always: every endpoint; never: none. */
  policyEnforcement: PolicyEnforcementMode;
  /** Namespaces in audit mode: would-deny is recorded as AUDIT, the packet passes. */
  auditNamespaces: string[];
  /** Recent flows kept in memory (the ring /v1/flows serves). */
  flowBufferSize: number;
  /** Seconds between flow events of one long-lived connection (datapath aggregation). */
  flowReportIntervalSeconds: number;
  /** Bytes of the kernel → agent events ring buffer (power of two, ≥ 4096). */
  eventsRingBytes: number;
  mapSizeServices: number;
  mapSizeBackends: number;
  mapSizeRevNat: number;
  mapSizeConntrack: number;
  mapSizeIpcache: number;
  mapSizeEndpoints: number;
  mapSizePolicy: number;
  mapSizeAffinity: number;
  mapSizeSock: number;
  /** cgroup-v2 directory the socket LB attaches to. */
  cgroupRoot: string;
  /** bpffs directory the maps are pinned in (survives agent restarts). */
  bpffsDir: string;
  apiPort: number;
  /** Address the HTTPS API binds to; '' = the node's address (NODE_IP). */
  apiAddress: string;
  apiSocket: string;
  cniSocket: string;
  cniBinDir: string;
  cniConfDir: string;
  stateDir: string;
  /** default: a default route in pods; restricted: routes to podRouteCidrs only (the lab). */
  podRoutes: PodRoutesMode;
  podRouteCidrs: string[];
  tlsCertFile: string;
  tlsKeyFile: string;
  tokenFile: string;
  logLevel: LogLevel;
  /** Seconds an identity no endpoint uses survives before garbage collection. */
  identityGcGraceSeconds: number;
  /** On SIGTERM, detach programs and remove pins (uninstall) instead of leaving them for the next agent. */
  cleanupOnExit: boolean;
}

interface KeySpec<T> {
  key: string;
  schema: z.ZodType<T, string>;
  default: T;
  format: (value: T) => string;
  doc: string;
}

// ---- value schemas (string in, typed value out) ----

const boolString = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false'], { error: 'expected true or false' }))
  .transform((v) => v === 'true');

const intString = (min: number, max: number): z.ZodType<number, string> =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: 'expected a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

const enumString = <T extends string>(values: readonly [T, ...T[]]): z.ZodType<T, string> =>
  z.string().trim().pipe(z.enum(values as unknown as [T, ...T[]], { error: `expected one of ${values.join(', ')}` })) as unknown as z.ZodType<T, string>;

const absPath = z
  .string()
  .trim()
  .refine((p) => p.startsWith('/'), { error: 'expected an absolute path' })
  .refine((p) => !p.split('/').includes('..'), { error: 'must not contain ".."' })
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ipv4Re = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export const isIPv4 = (s: string): boolean => {
  const m = ipv4Re.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255 && String(Number(o)) === o);
};
const isCidr = (s: string): boolean => {
  const [ip, len, extra] = s.split('/');
  return extra === undefined && !!ip && isIPv4(ip) && len !== undefined && /^\d{1,2}$/.test(len) && Number(len) <= 32;
};

/** Comma- or whitespace-separated list, each item checked. */
const listString = (what: string, valid: (item: string) => boolean): z.ZodType<string[], string> =>
  z
    .string()
    .transform((s) => s.split(/[\s,]+/).filter((x) => x !== ''))
    .superRefine((items, ctx) => {
      for (const item of items) if (!valid(item)) ctx.addIssue({ code: 'custom', message: `"${item}" is not ${what}` });
      const dup = items.find((x, i) => items.indexOf(x) !== i);
      if (dup !== undefined) ctx.addIssue({ code: 'custom', message: `"${dup}" is listed twice` });
    });

const powerOfTwoBytes = intString(4096, 1 << 30).refine((n) => (n & (n - 1)) === 0, {
  error: 'must be a power of two (a BPF ring buffer requirement)',
});

const str = String;
const list = (v: string[]): string => v.join(',');

const mapSize = (key: string, def: number, doc: string): KeySpec<number> => ({
  key, schema: intString(16, 1 << 24), default: def, format: str, doc,
});

// ---- the table ----

export const configKeys: { [F in keyof AgentConfig]: KeySpec<AgentConfig[F]> } = {
  kubeProxyReplacement: { key: 'kube-proxy-replacement', schema: boolString, default: true, format: str, doc: 'Replace kube-proxy: load-balance ClusterIP traffic in the datapath.' },
  socketLB: { key: 'socket-lb', schema: boolString, default: true, format: str, doc: 'Translate service addresses at connect()/sendmsg() in the cgroup root.' },
  nodePort: { key: 'node-port', schema: boolString, default: true, format: str, doc: 'Serve NodePort services on the node addresses (requires kube-proxy-replacement).' },
  policyEnforcement: { key: 'policy-enforcement', schema: enumString(['default', 'always', 'never'] as const), default: 'default', format: str, doc: 'default: enforce on endpoints a policy selects; always: on every endpoint; never: on none.' },
  auditNamespaces: { key: 'audit-namespaces', schema: listString('a namespace name', (n) => dnsLabel.test(n)), default: [], format: list, doc: 'Namespaces where would-deny is recorded (AUDIT) instead of enforced.' },
  flowBufferSize: { key: 'flow-buffer-size', schema: intString(16, 1 << 20), default: 16384, format: str, doc: 'Recent flows kept in memory per agent.' },
  flowReportIntervalSeconds: { key: 'flow-report-interval-seconds', schema: intString(1, 3600), default: 5, format: str, doc: 'Seconds between flow events of one long-lived connection.' },
  // Map defaults are the datapath's own (agent/native/config.ts), so one place decides them.
  eventsRingBytes: { key: 'events-ring-bytes', schema: powerOfTwoBytes, default: DEFAULT_MAP_SIZES.eventsBytes, format: str, doc: 'Size of the kernel events ring buffer in bytes (power of two).' },
  mapSizeServices: mapSize('map-size-services', DEFAULT_MAP_SIZES.services, 'Entries of lumen_services (frontends + backend slots).'),
  mapSizeBackends: mapSize('map-size-backends', DEFAULT_MAP_SIZES.backends, 'Entries of lumen_backends.'),
  mapSizeRevNat: mapSize('map-size-rev-nat', DEFAULT_MAP_SIZES.revNat, 'Entries of lumen_rev_nat (ids are 16-bit: at most 65536).'),
  mapSizeConntrack: mapSize('map-size-conntrack', DEFAULT_MAP_SIZES.ct, 'Entries of lumen_ct (LRU).'),
  mapSizeIpcache: mapSize('map-size-ipcache', DEFAULT_MAP_SIZES.ipcache, 'Entries of lumen_ipcache (pods, nodes, CIDR identities).'),
  mapSizeEndpoints: mapSize('map-size-endpoints', DEFAULT_MAP_SIZES.endpoints, 'Entries of lumen_endpoints (local pods).'),
  mapSizePolicy: mapSize('map-size-policy', DEFAULT_MAP_SIZES.policy, 'Entries of lumen_policy.'),
  mapSizeAffinity: mapSize('map-size-affinity', DEFAULT_MAP_SIZES.affinity, 'Entries of lumen_affinity (session affinity, LRU).'),
  mapSizeSock: mapSize('map-size-sock', DEFAULT_MAP_SIZES.sock, 'Entries of lumen_sock (socket-LB reverse translation, LRU).'),
  cgroupRoot: { key: 'cgroup-root', schema: absPath, default: '/run/lumen/cgroupv2', format: str, doc: 'cgroup-v2 directory the socket LB attaches to.' },
  bpffsDir: { key: 'bpffs-dir', schema: absPath, default: '/sys/fs/bpf/lumen', format: str, doc: 'bpffs directory the maps are pinned in.' },
  apiPort: { key: 'api-port', schema: intString(1, 65535), default: 4244, format: str, doc: 'HTTPS port of the agent API.' },
  apiAddress: { key: 'api-address', schema: z.string().trim().refine((s) => s === '' || isIPv4(s), { error: 'expected an IPv4 address or empty (= the node address)' }), default: '', format: str, doc: 'Address the API binds to; empty = the node address.' },
  apiSocket: { key: 'api-socket', schema: absPath, default: '/var/run/lumen/lumen.sock', format: str, doc: 'Unix socket of the local API (for the lumen CLI).' },
  cniSocket: { key: 'cni-socket', schema: absPath, default: '/var/run/lumen/cni.sock', format: str, doc: 'Unix socket the CNI plugin forwards requests to.' },
  cniBinDir: { key: 'cni-bin-dir', schema: absPath, default: '/opt/cni/bin', format: str, doc: 'Where the CNI plugin binary is installed.' },
  cniConfDir: { key: 'cni-conf-dir', schema: absPath, default: '/etc/cni/net.d', format: str, doc: 'Where the CNI conflist is written.' },
  stateDir: { key: 'state-dir', schema: absPath, default: '/var/lib/lumen', format: str, doc: 'Node-local state (IPAM) that must survive restarts.' },
  podRoutes: { key: 'pod-routes', schema: enumString(['default', 'restricted'] as const), default: 'default', format: str, doc: 'default: pods get a default route; restricted: routes to pod-route-cidrs only.' },
  podRouteCidrs: { key: 'pod-route-cidrs', schema: listString('an IPv4 CIDR', isCidr), default: [], format: list, doc: 'CIDRs routed from pods when pod-routes=restricted (cluster, services, node subnet).' },
  tlsCertFile: { key: 'tls-cert-file', schema: absPath, default: '/etc/lumen/tls/tls.crt', format: str, doc: 'API server certificate (mounted from the TLS Secret).' },
  tlsKeyFile: { key: 'tls-key-file', schema: absPath, default: '/etc/lumen/tls/tls.key', format: str, doc: 'API server key (mounted from the TLS Secret).' },
  tokenFile: { key: 'token-file', schema: absPath, default: '/etc/lumen/token/token', format: str, doc: 'Install token every HTTPS request must carry (mounted Secret).' },
  logLevel: { key: 'log-level', schema: enumString(['debug', 'info', 'warn', 'error'] as const), default: 'info', format: str, doc: 'Log verbosity.' },
  identityGcGraceSeconds: { key: 'identity-gc-grace-seconds', schema: intString(0, 86400 * 7), default: 300, format: str, doc: 'Seconds an unused identity lives before garbage collection.' },
  cleanupOnExit: { key: 'cleanup-on-exit', schema: boolString, default: false, format: str, doc: 'On SIGTERM remove all BPF state (uninstall) instead of keeping it for the next agent.' },
};

const fields = Object.keys(configKeys) as (keyof AgentConfig)[];
const fieldByKey = new Map(fields.map((f) => [configKeys[f].key, f]));

/** Every ConfigMap key, in table order. */
export const configKeyNames: readonly string[] = fields.map((f) => configKeys[f].key);

export interface ConfigProblem {
  key: string;
  message: string;
  value?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(
      `invalid agent config (${source}):\n` +
        problems.map((p) => `  key "${p.key}": ${p.message}${p.value !== undefined ? ` (got ${JSON.stringify(p.value)})` : ''}`).join('\n'),
      options,
    );
  }
}

function closest(key: string): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of configKeyNames) {
    const d = editDistance(key, k);
    if (d < bestDist) [best, bestDist] = [k, d];
  }
  return bestDist <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Parses ConfigMap data. Missing keys take their defaults; every problem is collected and
 * thrown together as one ConfigError naming each key, what is wrong and the value.
 */
export function parseConfigData(data: Readonly<Record<string, string>>, source = 'ConfigMap data'): AgentConfig {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if (fieldByKey.has(key)) continue;
    const hint = closest(key);
    problems.push({ key, message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}` });
  }
  for (const field of fields) {
    const spec = configKeys[field] as KeySpec<unknown>;
    const raw = data[spec.key];
    if (raw === undefined) {
      out[field] = structuredClone(spec.default);
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) out[field] = parsed.data;
    else for (const issue of parsed.error.issues) problems.push({ key: spec.key, message: issue.message, value: raw });
  }
  const config = out as unknown as AgentConfig;
  if (problems.length === 0) {
    if (config.podRoutes === 'restricted' && config.podRouteCidrs.length === 0) {
      problems.push({ key: configKeys.podRouteCidrs.key, message: 'must list at least one CIDR when pod-routes is restricted', value: data[configKeys.podRouteCidrs.key] ?? '' });
    }
    if (config.nodePort && !config.kubeProxyReplacement) {
      if (data[configKeys.nodePort.key] !== undefined) {
        problems.push({ key: configKeys.nodePort.key, message: 'needs kube-proxy-replacement=true (kube-proxy serves NodePorts otherwise)', value: data[configKeys.nodePort.key] });
      } else {
        config.nodePort = false;
      }
    }
    if (config.apiSocket === config.cniSocket) {
      problems.push({ key: configKeys.cniSocket.key, message: 'must differ from api-socket', value: config.cniSocket });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  return config;
}

/** The ConfigMap data for a config (every key written, so the installed ConfigMap documents itself). */
export function configToData(config: AgentConfig): Record<string, string> {
  const data: Record<string, string> = {};
  for (const field of fields) {
    const spec = configKeys[field] as KeySpec<unknown>;
    data[spec.key] = spec.format(config[field]);
  }
  return data;
}

/** The map sizes in the datapath loader's terms (Datapath.load({ mapSizes })). */
export function mapSizesOf(c: AgentConfig): Required<MapSizes> {
  return {
    services: c.mapSizeServices, backends: c.mapSizeBackends, revNat: c.mapSizeRevNat, ct: c.mapSizeConntrack,
    ipcache: c.mapSizeIpcache, endpoints: c.mapSizeEndpoints, policy: c.mapSizePolicy, affinity: c.mapSizeAffinity,
    sock: c.mapSizeSock, eventsBytes: c.eventsRingBytes,
  };
}

export function defaultConfig(): AgentConfig {
  return parseConfigData({}, 'defaults');
}

/**
 * Defaults overridden by `overrides`, validated exactly as the agent will validate the
 * ConfigMap (it goes through the string form), so an install can never write a config the
 * agent refuses.
 */
export function resolveConfig(overrides: Partial<AgentConfig>, source = 'install options'): AgentConfig {
  const data: Record<string, string> = {};
  for (const field of Object.keys(overrides) as (keyof AgentConfig)[]) {
    const spec = configKeys[field] as KeySpec<unknown> | undefined;
    if (!spec) throw new ConfigError([{ key: String(field), message: 'unknown config field' }], source);
    const value = overrides[field];
    if (value !== undefined) data[spec.key] = spec.format(value);
  }
  return parseConfigData(data, source);
}

/**
 * Reads a mounted ConfigMap directory (one file per key; the kubelet's `..data` entries are
 * skipped) and parses it.
 */
export function loadConfigDir(dir: string): AgentConfig {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new ConfigError([{ key: '*', message: `cannot read the config directory ${dir}: ${(cause as Error).message}` }], dir, { cause });
  }
  const data: Record<string, string> = {};
  for (const name of names) {
    if (name.startsWith('..')) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      data[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (cause) {
      throw new ConfigError([{ key: name, message: `cannot read ${path}: ${(cause as Error).message}` }], dir, { cause });
    }
  }
  return parseConfigData(data, dir);
}

/** Facts about the node and pod the agent runs as, from the DaemonSet's env (downward API). */
export interface AgentEnv {
  nodeName: string;
  nodeIP: string;
  namespace: string;
  podName: string;
  /** The real API server (not the ClusterIP: the agent is what makes ClusterIPs work). */
  apiServerHost: string | undefined;
  apiServerPort: number | undefined;
}

export const agentEnvNames = {
  nodeName: 'NODE_NAME',
  nodeIP: 'NODE_IP',
  namespace: 'POD_NAMESPACE',
  podName: 'POD_NAME',
  apiServerHost: 'KUBERNETES_SERVICE_HOST',
  apiServerPort: 'KUBERNETES_SERVICE_PORT',
} as const;

/** Reads AgentEnv; throws one ConfigError naming every missing or malformed variable. */
export function readAgentEnv(env: Readonly<Record<string, string | undefined>>): AgentEnv {
  const problems: ConfigProblem[] = [];
  const need = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push({ key: name, message: 'environment variable is missing (set it from the downward API)' });
    return v ?? '';
  };
  const nodeName = need(agentEnvNames.nodeName);
  const nodeIP = need(agentEnvNames.nodeIP);
  if (nodeIP && !isIPv4(nodeIP)) problems.push({ key: agentEnvNames.nodeIP, message: 'expected an IPv4 address', value: nodeIP });
  const namespace = env[agentEnvNames.namespace]?.trim() || 'lumen-system';
  const podName = env[agentEnvNames.podName]?.trim() || nodeName;
  const apiServerHost = env[agentEnvNames.apiServerHost]?.trim() || undefined;
  const portText = env[agentEnvNames.apiServerPort]?.trim();
  let apiServerPort: number | undefined;
  if (portText) {
    apiServerPort = Number(portText);
    if (!/^\d+$/.test(portText) || apiServerPort < 1 || apiServerPort > 65535) {
      problems.push({ key: agentEnvNames.apiServerPort, message: 'expected a port 1-65535', value: portText });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'environment');
  return { nodeName, nodeIP, namespace, podName, apiServerHost, apiServerPort };
}
