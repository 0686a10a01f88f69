// IPv4 addresses and CIDRs as uint32 numbers (the datapath is IPv4-only), plus enough IPv6
// parsing to validate and classify the IPv6 CIDRs that NetworkPolicy also accepts.

/** An IPv4 prefix; `base` has all host bits cleared. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`. */
  readonly text: string;
}

export type ParsedCidr =
  | { family: 4; cidr: Ipv4Cidr; hostBitsSet: boolean; leadingZeros: boolean }
  | { family: 6; base: bigint; prefix: number; hostBitsSet: boolean; ipv4Mapped: boolean };

const ipv4StrictRe = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parse a dotted-quad IPv4 address; undefined if it is not one. `sloppy` allows leading zeros
 *  (read as decimal, like Go's ParseIPSloppy, which older API servers accepted). */
export function parseIpv4(text: string, sloppy = false): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (!sloppy) {
    if (!ipv4StrictRe.test(text)) return undefined;
  } else if (!/^\d{1,10}(\.\d{1,10}){3}$/.test(text)) {
    return undefined;
  }
  let value = 0;
  for (const part of text.split('.')) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Netmask for a prefix length as uint32 (prefix 0 → 0). */
export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function makeIpv4Cidr(address: number, prefix: number): Ipv4Cidr {
  const base = (address & ipv4Mask(prefix)) >>> 0;
  return { base, prefix, text: `${formatIpv4(base)}/${prefix}` };
}

export function cidrContainsIpv4(cidr: Ipv4Cidr, address: number): boolean {
  return ((address & ipv4Mask(cidr.prefix)) >>> 0) === cidr.base;
}

/** True when every address of `inner` is in `outer`. */
export function cidrWithin(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContainsIpv4(outer, inner.base);
}

function parseIpv6(text: string): { value: bigint; ipv4Mapped: boolean } | undefined {
  if (text.includes('%')) return undefined; // zones are not addresses in API fields
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    // An embedded dotted quad stands for the last two 16-bit groups.
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return undefined;
  const groupsOf = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let groups: string[];
  if (doubleColon >= 0) {
    const left = groupsOf(head.slice(0, doubleColon));
    const right = groupsOf(head.slice(doubleColon + 2));
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else {
    groups = groupsOf(head);
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  const ipv4Mapped = value >> 32n === 0xffffn;
  return { value, ipv4Mapped };
}

export function isIpv6(text: string): boolean {
  return typeof text === 'string' && text.includes(':') && parseIpv6(text) !== undefined;
}

/**
 * Parse a CIDR the way Kubernetes' legacy fields are read (ParseCIDRSloppy): host bits are
 * masked off and IPv4 octets may carry leading zeros; the flags say what strict validation
 * (on by default since Kubernetes 1.36) rejects. Undefined if it is not a CIDR at all.
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const prefixLeadingZero = prefixText.length > 1 && prefixText.startsWith('0');
  if (!addrText.includes(':')) {
    const strict = parseIpv4(addrText);
    const address = strict ?? parseIpv4(addrText, true);
    if (address === undefined || prefix > 32) return undefined;
    const cidr = makeIpv4Cidr(address, prefix);
    return { family: 4, cidr, hostBitsSet: cidr.base !== address, leadingZeros: strict === undefined || prefixLeadingZero };
  }
  const v6 = parseIpv6(addrText);
  if (v6 === undefined || prefix > 128) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  const base = v6.value & mask;
  return { family: 6, base, prefix, hostBitsSet: base !== v6.value, ipv4Mapped: v6.ipv4Mapped };
}

/** IPv6 prefix containment for validation of `except` (both prefixes already masked). */
export function ipv6Within(inner: { base: bigint; prefix: number }, outer: { base: bigint; prefix: number }): boolean {
  if (inner.prefix < outer.prefix) return false;
  const shift = BigInt(128 - outer.prefix);
  return outer.prefix === 0 || inner.base >> shift === outer.base >> shift;
}

/** Parse an IPv4 CIDR or throw an Error naming `what` (for inputs that must be IPv4). */
export function parseIpv4CidrOrThrow(text: string, what: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  if (parsed === undefined || parsed.family !== 4) throw new Error(`${what}: not an IPv4 CIDR: ${JSON.stringify(text)}`);
  return parsed.cidr;
}

/** Parse an IPv4 address or throw an Error naming `what`. */
export function parseIpv4OrThrow(text: string, what: string): number {
  const value = parseIpv4(text);
  if (value === undefined) throw new Error(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
  return value;
}
