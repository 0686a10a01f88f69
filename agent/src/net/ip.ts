// IPv4 address and CIDR arithmetic used by IPAM, routes and the ipcache.

export interface Cidr { network: number; prefix: number; text: string }

/** Dotted quad → unsigned 32-bit number; throws naming the bad input. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIpv4(s: string): boolean {
  try {
    ipToInt(s);
    return true;
  } catch {
    return false;
  }
}

/** "10.0.1.0/24" → network (masked) + prefix; a host part set is an error (not silently masked). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a CIDR (missing /prefix)`);
  const prefix = Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`"${text}" has an invalid prefix length`);
  const addr = ipToInt(text.slice(0, slash));
  const network = (addr & maskOf(prefix)) >>> 0;
  if (network !== addr) throw new Error(`"${text}" has host bits set (network is ${intToIp(network)}/${prefix})`);
  return { network, prefix, text: `${intToIp(network)}/${prefix}` };
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefix)) >>> 0) === cidr.network;
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}
