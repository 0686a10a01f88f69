// Test packets: an Ethernet/IPv4/TCP/UDP/ICMP/SCTP builder with correct checksums (or
// deliberately broken ones), IP options, fragments and truncation, plus a parser and a
// checksum verifier for what the programs hand back.

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, SCTP: 132, GRE: 47 } as const;
export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface EthOpts {
  src?: string;
  dst?: string;
  type?: number;
}

export interface Ipv4Opts {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  /** IP options (padded to a multiple of 4 bytes). */
  options?: Buffer;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  moreFragments?: boolean;
  /** Overrides for malformed packets. */
  version?: number;
  ihl?: number;
  totalLength?: number;
  protocol?: number;
  badChecksum?: boolean;
}

export interface TcpOpts {
  sport: number;
  dport: number;
  flags: number;
  seq?: number;
  ack?: number;
  window?: number;
  options?: Buffer;
  payload?: Buffer;
  doff?: number;
}

export interface UdpOpts {
  sport: number;
  dport: number;
  payload?: Buffer;
  /** Send with checksum 0 ("no checksum"). */
  noChecksum?: boolean;
}

export interface IcmpOpts {
  type: number;
  code?: number;
  id?: number;
  seq?: number;
  /** For errors: the offending packet's IP header + 8 bytes (build with buildIp()). */
  payload?: Buffer;
}

export interface PacketSpec {
  eth?: EthOpts;
  ip: Ipv4Opts;
  tcp?: TcpOpts;
  udp?: UdpOpts;
  icmp?: IcmpOpts;
  sctp?: { sport: number; dport: number };
  /** Raw L4 bytes for other protocols. */
  raw?: Buffer;
}

function mac(s: string | undefined, fallback: string): Buffer {
  return Buffer.from((s ?? fallback).split(':').map((x) => parseInt(x, 16)));
}

export function ipBytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

export function ipString(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 1071 Internet checksum over the concatenation of `parts`. */
export function inetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd === undefined) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(src: string, dst: string, proto: number, len: number): Buffer {
  const b = Buffer.alloc(12);
  ipBytes(src).copy(b, 0);
  ipBytes(dst).copy(b, 4);
  b[9] = proto;
  b.writeUInt16BE(len, 10);
  return b;
}

function l4Bytes(spec: PacketSpec): { proto: number; bytes: Buffer } {
  const { ip } = spec;
  if (spec.tcp) {
    const t = spec.tcp;
    const opts = t.options ?? Buffer.alloc(0);
    const hlen = 20 + opts.length;
    const payload = t.payload ?? Buffer.alloc(0);
    const b = Buffer.alloc(hlen + payload.length);
    b.writeUInt16BE(t.sport, 0);
    b.writeUInt16BE(t.dport, 2);
    b.writeUInt32BE((t.seq ?? 1000) >>> 0, 4);
    b.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
    b[12] = (t.doff ?? hlen / 4) << 4;
    b[13] = t.flags;
    b.writeUInt16BE(t.window ?? 65535, 14);
    opts.copy(b, 20);
    payload.copy(b, hlen);
    b.writeUInt16BE(inetChecksum(pseudoHeader(ip.src, ip.dst, PROTO.TCP, b.length), b), 16);
    return { proto: PROTO.TCP, bytes: b };
  }
  if (spec.udp) {
    const u = spec.udp;
    const payload = u.payload ?? Buffer.alloc(0);
    const b = Buffer.alloc(8 + payload.length);
    b.writeUInt16BE(u.sport, 0);
    b.writeUInt16BE(u.dport, 2);
    b.writeUInt16BE(b.length, 4);
    payload.copy(b, 8);
    if (!u.noChecksum) {
      const c = inetChecksum(pseudoHeader(ip.src, ip.dst, PROTO.UDP, b.length), b);
      b.writeUInt16BE(c === 0 ? 0xffff : c, 6);
    }
    return { proto: PROTO.UDP, bytes: b };
  }
  if (spec.icmp) {
    const c = spec.icmp;
    const payload = c.payload ?? Buffer.alloc(0);
    const b = Buffer.alloc(8 + payload.length);
    b[0] = c.type;
    b[1] = c.code ?? 0;
    b.writeUInt16BE(c.id ?? 0, 4);
    b.writeUInt16BE(c.seq ?? 0, 6);
    payload.copy(b, 8);
    b.writeUInt16BE(inetChecksum(b), 2);
    return { proto: PROTO.ICMP, bytes: b };
  }
  if (spec.sctp) {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(spec.sctp.sport, 0);
    b.writeUInt16BE(spec.sctp.dport, 2);
    return { proto: PROTO.SCTP, bytes: b };
  }
  return { proto: ip.protocol ?? PROTO.GRE, bytes: spec.raw ?? Buffer.alloc(8) };
}

/** IPv4 header + L4 (no Ethernet): also what an ICMP error quotes. */
export function buildIp(spec: PacketSpec): Buffer {
  const { ip } = spec;
  const l4 = l4Bytes(spec);
  const opts = ip.options ?? Buffer.alloc(0);
  if (opts.length % 4) throw new Error(`IP options must be a multiple of 4 bytes, got ${opts.length}`);
  const hlen = 20 + opts.length;
  const h = Buffer.alloc(hlen);
  h[0] = ((ip.version ?? 4) << 4) | (ip.ihl ?? hlen / 4);
  h.writeUInt16BE(ip.totalLength ?? hlen + l4.bytes.length, 2);
  h.writeUInt16BE(ip.id ?? 1, 4);
  h.writeUInt16BE((ip.moreFragments ? 0x2000 : 0) | (ip.fragOffset ?? 0), 6);
  h[8] = ip.ttl ?? 64;
  h[9] = ip.protocol ?? l4.proto;
  ipBytes(ip.src).copy(h, 12);
  ipBytes(ip.dst).copy(h, 16);
  opts.copy(h, 20);
  const c = inetChecksum(h);
  h.writeUInt16BE(ip.badChecksum ? c ^ 0xffff : c, 10);
  return Buffer.concat([h, l4.bytes]);
}

export function buildPacket(spec: PacketSpec): Buffer {
  const eth = Buffer.alloc(14);
  mac(spec.eth?.dst, '02:00:00:00:00:02').copy(eth, 0);
  mac(spec.eth?.src, '02:00:00:00:00:01').copy(eth, 6);
  eth.writeUInt16BE(spec.eth?.type ?? ETH_P_IP, 12);
  return Buffer.concat([eth, buildIp(spec)]);
}

/** A non-IPv4 frame with an arbitrary payload (ARP, IPv6, ...). */
export function buildFrame(type: number, payload: Buffer = Buffer.alloc(46)): Buffer {
  const eth = Buffer.alloc(14);
  mac(undefined, '02:00:00:00:00:02').copy(eth, 0);
  mac(undefined, '02:00:00:00:00:01').copy(eth, 6);
  eth.writeUInt16BE(type, 12);
  return Buffer.concat([eth, payload]);
}

export interface ParsedPacket {
  ethType: number;
  src: string;
  dst: string;
  protocol: number;
  ihl: number;
  totalLength: number;
  ttl: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmpType?: number;
  payload: Buffer;
}

export function parsePacket(b: Buffer): ParsedPacket {
  const ethType = b.readUInt16BE(12);
  if (ethType !== ETH_P_IP) throw new Error(`not IPv4 (ethertype 0x${ethType.toString(16)})`);
  const ip = 14;
  const ihl = (b[ip]! & 15) * 4;
  const protocol = b[ip + 9]!;
  const totalLength = b.readUInt16BE(ip + 2);
  const l4 = ip + ihl;
  const p: ParsedPacket = {
    ethType, src: ipString(b, ip + 12), dst: ipString(b, ip + 16), protocol, ihl, totalLength, ttl: b[ip + 8]!,
    payload: Buffer.alloc(0),
  };
  if (protocol === PROTO.TCP) {
    p.sport = b.readUInt16BE(l4);
    p.dport = b.readUInt16BE(l4 + 2);
    p.tcpFlags = b[l4 + 13];
    p.payload = b.subarray(l4 + (b[l4 + 12]! >> 4) * 4, ip + totalLength);
  } else if (protocol === PROTO.UDP || protocol === PROTO.SCTP) {
    p.sport = b.readUInt16BE(l4);
    p.dport = b.readUInt16BE(l4 + 2);
    p.payload = b.subarray(l4 + 8, ip + totalLength);
  } else if (protocol === PROTO.ICMP) {
    p.icmpType = b[l4];
    p.payload = b.subarray(l4 + 8, ip + totalLength);
  }
  return p;
}

/** Whether the IPv4 header checksum and the TCP/UDP/ICMP checksum are right. */
export function verifyChecksums(b: Buffer): { ip: boolean; l4: boolean } {
  const ip = 14;
  const ihl = (b[ip]! & 15) * 4;
  const total = b.readUInt16BE(ip + 2);
  const ipOk = inetChecksum(b.subarray(ip, ip + ihl)) === 0;
  const proto = b[ip + 9]!;
  const l4 = b.subarray(ip + ihl, ip + total);
  const src = ipString(b, ip + 12);
  const dst = ipString(b, ip + 16);
  let l4Ok = true;
  if (proto === PROTO.TCP) l4Ok = inetChecksum(pseudoHeader(src, dst, proto, l4.length), l4) === 0;
  else if (proto === PROTO.UDP) l4Ok = l4.readUInt16BE(6) === 0 || inetChecksum(pseudoHeader(src, dst, proto, l4.length), l4) === 0;
  else if (proto === PROTO.ICMP) l4Ok = inetChecksum(l4) === 0;
  return { ip: ipOk, l4: l4Ok };
}

/** Record Route option (7) with room for `slots` addresses, NOP-padded to 4 bytes. */
export function recordRouteOption(slots = 2): Buffer {
  const len = 3 + 4 * slots;
  const b = Buffer.alloc(Math.ceil(len / 4) * 4, 1 /* NOP */);
  b[0] = 7;
  b[1] = len;
  b[2] = 4;
  b.fill(0, 3, len);
  return b;
}
