// The datapath's load-time parameters: the read-only program config (lumen_cfg) and the
// map sizes, with their defaults and validation.
import { config as configCodec, Feature } from './abi';
import { isIpv4 } from './codec';

export interface DatapathConfig {
  /** Node address: NodePort SNAT source. Required when the host object is loaded. */
  nodeAddress?: string;
  /** Service LB on pod veths for traffic the socket LB did not translate (default on). */
  tcLb?: boolean;
  /** Socket LB in the cgroup hooks (default on). */
  sockLb?: boolean;
  /** Flow events on the ring buffer (default on). */
  events?: boolean;
  /** A long-lived flow reports at most this often (default 5000 ms). */
  reportIntervalMs?: number;
  /** Conntrack idle timeouts in seconds. */
  ctTimeouts?: { synSec?: number; tcpSec?: number; closeSec?: number; otherSec?: number };
  /** NodePort SNAT source ports, inclusive; keep it outside ip_local_port_range. */
  natPorts?: readonly [number, number];
}

export interface MapSizes {
  services?: number;
  backends?: number;
  revNat?: number;
  ct?: number;
  ipcache?: number;
  endpoints?: number;
  policy?: number;
  affinity?: number;
  sock?: number;
  /** Ring buffer bytes: a power of two, multiple of the page size. */
  eventsBytes?: number;
}

/** Defaults: >= 64k services (frontends + backend slots), >= 256k connections (each
 *  connection uses one entry per side that sees it plus one for its backend choice). */
export const DEFAULT_MAP_SIZES: Required<MapSizes> = {
  services: 262144,
  backends: 131072,
  revNat: 65536,
  ct: 524288,
  ipcache: 65536,
  endpoints: 16384,
  policy: 131072,
  affinity: 65536,
  sock: 131072,
  eventsBytes: 4 * 1024 * 1024,
};

export const MAP_SIZE_NAMES: Record<keyof MapSizes, string> = {
  services: 'lumen_services',
  backends: 'lumen_backends',
  revNat: 'lumen_rev_nat',
  ct: 'lumen_ct',
  ipcache: 'lumen_ipcache',
  endpoints: 'lumen_endpoints',
  policy: 'lumen_policy',
  affinity: 'lumen_affinity',
  sock: 'lumen_sock',
  eventsBytes: 'lumen_events',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(`[lumen-bpf] config: ${message}`);
    this.name = 'ConfigError';
  }
}

function seconds(name: string, v: number | undefined, def: number): bigint {
  const x = v ?? def;
  if (!Number.isFinite(x) || x <= 0) throw new ConfigError(`${name} must be a positive number of seconds, got ${String(v)}`);
  return BigInt(Math.round(x * 1e9));
}

export function resolveMapSizes(sizes: MapSizes = {}): Required<MapSizes> {
  const out = { ...DEFAULT_MAP_SIZES };
  for (const [k, v] of Object.entries(sizes) as Array<[keyof MapSizes, number | undefined]>) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_MAP_SIZES)) throw new ConfigError(`unknown map size "${k}"`);
    if (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff) throw new ConfigError(`mapSizes.${k} must be a positive integer, got ${v}`);
    out[k] = v;
  }
  const rb = out.eventsBytes;
  if (rb < 4096 || (rb & (rb - 1)) !== 0) throw new ConfigError(`mapSizes.eventsBytes must be a power of two >= 4096, got ${rb}`);
  return out;
}

/** Encodes lumen_cfg. */
export function encodeConfig(cfg: DatapathConfig = {}): Buffer {
  if (cfg.nodeAddress !== undefined && !isIpv4(cfg.nodeAddress)) throw new ConfigError(`nodeAddress "${cfg.nodeAddress}" is not an IPv4 address`);
  const [natMin, natMax] = cfg.natPorts ?? [61000, 65535];
  if (!Number.isInteger(natMin) || !Number.isInteger(natMax) || natMin < 1024 || natMax > 65535 || natMin > natMax) {
    throw new ConfigError(`natPorts must be [min, max] within 1024..65535, got [${natMin}, ${natMax}]`);
  }
  const interval = cfg.reportIntervalMs ?? 5000;
  if (!Number.isFinite(interval) || interval <= 0) throw new ConfigError(`reportIntervalMs must be positive, got ${interval}`);
  const t = cfg.ctTimeouts ?? {};
  let features = 0;
  if (cfg.tcLb ?? true) features |= Feature.TcLb;
  if (cfg.events ?? true) features |= Feature.Events;
  if (cfg.sockLb ?? true) features |= Feature.SockLb;
  // Nanosecond fields exceed 2^53 only for absurd timeouts; write them as bigints.
  const buf = configCodec.encode({
    report_interval_ns: 0, ct_timeout_syn_ns: 0, ct_timeout_tcp_ns: 0, ct_timeout_close_ns: 0, ct_timeout_other_ns: 0,
    node_addr: cfg.nodeAddress ?? '0.0.0.0', features, nat_port_min: natMin, nat_port_max: natMax,
  });
  const at = (name: string) => configCodec.fields.find((f) => f.name === name)!.offset;
  buf.writeBigUInt64LE(BigInt(Math.round(interval * 1e6)), at('report_interval_ns'));
  buf.writeBigUInt64LE(seconds('ctTimeouts.synSec', t.synSec, 60), at('ct_timeout_syn_ns'));
  buf.writeBigUInt64LE(seconds('ctTimeouts.tcpSec', t.tcpSec, 21600), at('ct_timeout_tcp_ns'));
  buf.writeBigUInt64LE(seconds('ctTimeouts.closeSec', t.closeSec, 10), at('ct_timeout_close_ns'));
  buf.writeBigUInt64LE(seconds('ctTimeouts.otherSec', t.otherSec, 60), at('ct_timeout_other_ns'));
  return buf;
}
