// Endpoints and ipcache: the identity side of the datapath in typed form.
import { EndpointFlag, type EndpointVal, type IpcacheKey, type IpcacheVal } from './abi';
import type { BpfMap } from './bpf';
import { isIpv4 } from './codec';

export interface EndpointSpec {
  /** Pod IPv4 address. */
  address: string;
  /** Host side of the pod veth. */
  ifindex: number;
  endpointId: number;
  identity: number;
  enforceIngress?: boolean;
  enforceEgress?: boolean;
  /** Would-deny passes with verdict audit. */
  audit?: boolean;
}

function u32(ctx: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) throw new Error(`[lumen-bpf] ${ctx} must be a 32-bit unsigned integer, got ${String(v)}`);
  return v as number;
}

export class EndpointTable {
  constructor(private readonly map: BpfMap<string, EndpointVal>) {}

  upsert(e: EndpointSpec): void {
    if (!isIpv4(e.address)) throw new Error(`[lumen-bpf] endpoint address "${e.address}" is not IPv4`);
    let flags = 0;
    if (e.enforceIngress) flags |= EndpointFlag.EnforceIngress;
    if (e.enforceEgress) flags |= EndpointFlag.EnforceEgress;
    if (e.audit) flags |= EndpointFlag.Audit;
    this.map.set(e.address, {
      ifindex: u32(`endpoint ${e.address} ifindex`, e.ifindex),
      endpoint_id: u32(`endpoint ${e.address} endpointId`, e.endpointId),
      identity: u32(`endpoint ${e.address} identity`, e.identity),
      flags,
    });
  }

  remove(address: string): boolean {
    return this.map.delete(address);
  }

  list(): EndpointSpec[] {
    return this.map.entries().map(([address, v]) => ({
      address, ifindex: v.ifindex, endpointId: v.endpoint_id, identity: v.identity,
      enforceIngress: (v.flags & EndpointFlag.EnforceIngress) !== 0,
      enforceEgress: (v.flags & EndpointFlag.EnforceEgress) !== 0,
      audit: (v.flags & EndpointFlag.Audit) !== 0,
    }));
  }
}

/** "10.0.0.0/8" -> LPM key; a bare address is a /32. */
export function cidrKey(cidr: string): IpcacheKey {
  const [addr, len] = cidr.split('/');
  const prefixlen = len === undefined ? 32 : Number(len);
  if (!addr || !isIpv4(addr) || !Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 32) {
    throw new Error(`[lumen-bpf] "${cidr}" is not an IPv4 CIDR`);
  }
  return { prefixlen, addr };
}

export class IpcacheTable {
  constructor(private readonly map: BpfMap<IpcacheKey, IpcacheVal>) {}

  set(cidr: string, identity: number): void {
    this.map.set(cidrKey(cidr), { identity: u32(`ipcache ${cidr} identity`, identity), flags: 0 });
  }

  setMany(entries: ReadonlyArray<readonly [string, number]>): void {
    this.map.setMany(entries.map(([c, id]) => [cidrKey(c), { identity: u32(`ipcache ${c} identity`, id), flags: 0 }] as const));
  }

  remove(cidr: string): boolean {
    return this.map.delete(cidrKey(cidr));
  }

  list(): Array<{ cidr: string; identity: number }> {
    return this.map.entries().map(([k, v]) => ({ cidr: `${k.addr}/${k.prefixlen}`, identity: v.identity }));
  }
}
