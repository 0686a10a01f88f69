// Struct codecs: a field list laid out with C's alignment rules gives the offsets, the
// size, an encoder that validates every field, and a decoder. The layout test compares
// these offsets with the C structs in the objects' BTF.

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'be16' | 'be32' | 'ipv4';

/** A field, or `pad` bytes that are always written as zero and never decoded. */
export type FieldSpec<N extends string = string> = readonly [N, FieldType] | readonly ['pad', number];

const SIZES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, be16: 2, be32: 4, ipv4: 4 };

export interface FieldLayout {
  name: string;
  type: FieldType;
  offset: number;
  size: number;
}

type ValueOf<T extends FieldType> = T extends 'ipv4' ? string : number;

type FieldsToObject<F extends readonly FieldSpec[]> = {
  [K in F[number] as K[0] extends 'pad' ? never : K[0]]: K[1] extends FieldType ? ValueOf<K[1]> : never;
};

export interface StructCodec<T> {
  /** The C struct name (without `struct`). */
  readonly cName: string;
  readonly size: number;
  readonly fields: readonly FieldLayout[];
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
  /** Every field zero / "0.0.0.0". */
  zero(): T;
}

export class CodecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
  }
}

/** Dotted quad -> unsigned number, or -1. A hand-rolled scan: this runs for every
 *  address of a bulk service write, where a regex would dominate the cost. */
function parseIpv4(addr: string): number {
  if (typeof addr !== 'string' || addr.length < 7 || addr.length > 15) return -1;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return n * 256 + octet;
}

/** "10.0.0.1" -> the address as an unsigned number in host order (10 << 24 | ...). */
export function ipv4ToNumber(addr: string, where = 'address'): number {
  const n = parseIpv4(addr);
  if (n < 0) {
    const octets = typeof addr === 'string' ? addr.split('.') : [];
    if (octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o)) && octets.some((o) => Number(o) > 255)) {
      throw new CodecError(`${where}: "${addr}" has an octet above 255`);
    }
    throw new CodecError(`${where}: "${addr}" is not an IPv4 address`);
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIpv4(addr: string): boolean {
  return parseIpv4(addr) >= 0;
}

const MAX: Record<FieldType, number> = {
  u8: 0xff, u16: 0xffff, u32: 0xffffffff, u64: Number.MAX_SAFE_INTEGER, be16: 0xffff, be32: 0xffffffff, ipv4: 0,
};

function checkInt(struct: string, field: string, type: FieldType, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX[type]) {
    throw new CodecError(`${struct}.${field}: expected an integer 0..${MAX[type]} (${type}), got ${String(v)}`);
  }
  return v;
}

/**
 * Lays out `fields` like a C compiler for x86-64/BPF: every field aligned to its size,
 * the struct padded to its largest alignment. Padding must be explicit (`['pad', n]`) so
 * that a layout mismatch shows up as a wrong offset instead of silently shifting fields.
 */
export function defineStruct<const F extends readonly FieldSpec[]>(cName: string, specs: F): StructCodec<FieldsToObject<F>> {
  type T = FieldsToObject<F>;
  const fields: FieldLayout[] = [];
  const pads: Array<{ offset: number; size: number }> = [];
  let off = 0;
  let align = 1;
  for (const spec of specs) {
    if (spec[0] === 'pad') {
      const n = spec[1] as number;
      pads.push({ offset: off, size: n });
      off += n;
      continue;
    }
    const [name, type] = spec as readonly [string, FieldType];
    const size = SIZES[type];
    if (off % size !== 0) {
      throw new CodecError(`struct ${cName}: field ${name} at offset ${off} is not ${size}-aligned; add explicit padding`);
    }
    fields.push({ name, type, offset: off, size });
    off += size;
    align = Math.max(align, size);
  }
  if (off % align !== 0) throw new CodecError(`struct ${cName}: size ${off} is not a multiple of ${align}; add explicit tail padding`);
  const size = off;

  const encode = (value: T, buf?: Buffer, offset = 0): Buffer => {
    if (value === null || typeof value !== 'object') throw new CodecError(`${cName}: expected an object, got ${String(value)}`);
    const out = buf ?? Buffer.alloc(size);
    if (offset + size > out.length) throw new CodecError(`${cName}: buffer too small at offset ${offset}`);
    const v = value as Record<string, unknown>;
    for (const f of fields) {
      const o = offset + f.offset;
      const x = v[f.name];
      switch (f.type) {
        case 'u8': out.writeUInt8(checkInt(cName, f.name, f.type, x), o); break;
        case 'u16': out.writeUInt16LE(checkInt(cName, f.name, f.type, x), o); break;
        case 'u32': out.writeUInt32LE(checkInt(cName, f.name, f.type, x), o); break;
        case 'u64': out.writeBigUInt64LE(BigInt(checkInt(cName, f.name, f.type, x)), o); break;
        case 'be16': out.writeUInt16BE(checkInt(cName, f.name, f.type, x), o); break;
        case 'be32': out.writeUInt32BE(checkInt(cName, f.name, f.type, x), o); break;
        case 'ipv4':
          if (typeof x !== 'string') throw new CodecError(`${cName}.${f.name}: expected an IPv4 address string, got ${String(x)}`);
          out.writeUInt32BE(ipv4ToNumber(x, `${cName}.${f.name}`), o);
          break;
      }
    }
    if (buf) for (const p of pads) out.fill(0, offset + p.offset, offset + p.offset + p.size);
    return out;
  };

  const decode = (buf: Buffer, offset = 0): T => {
    if (offset + size > buf.length) throw new CodecError(`${cName}: need ${size} bytes at offset ${offset}, buffer has ${buf.length}`);
    const r: Record<string, number | string> = {};
    for (const f of fields) {
      const o = offset + f.offset;
      switch (f.type) {
        case 'u8': r[f.name] = buf.readUInt8(o); break;
        case 'u16': r[f.name] = buf.readUInt16LE(o); break;
        case 'u32': r[f.name] = buf.readUInt32LE(o); break;
        // Counters and monotonic nanoseconds fit a double exactly up to 2^53 (104 days of
        // uptime for timestamps); beyond that they lose only sub-microsecond precision.
        case 'u64': r[f.name] = Number(buf.readBigUInt64LE(o)); break;
        case 'be16': r[f.name] = buf.readUInt16BE(o); break;
        case 'be32': r[f.name] = buf.readUInt32BE(o); break;
        case 'ipv4': r[f.name] = numberToIpv4(buf.readUInt32BE(o)); break;
      }
    }
    return r as T;
  };

  const zero = (): T => {
    const r: Record<string, number | string> = {};
    for (const f of fields) r[f.name] = f.type === 'ipv4' ? '0.0.0.0' : 0;
    return r as T;
  };

  return { cName, size, fields, encode, decode, zero };
}

/** Codec of a bare scalar key/value (e.g. a __u32 id or a __be32 address). */
export interface ScalarCodec<T> {
  readonly cName: string;
  readonly size: number;
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
}

export function scalar(cName: string, type: 'u16' | 'u32' | 'u64'): ScalarCodec<number>;
export function scalar(cName: string, type: 'ipv4'): ScalarCodec<string>;
export function scalar(cName: string, type: 'u16' | 'u32' | 'u64' | 'ipv4'): ScalarCodec<number> | ScalarCodec<string> {
  const s = defineStruct(cName, [['v', type]] as const);
  return {
    cName,
    size: s.size,
    encode: (value: never, buf?: Buffer, offset?: number) => s.encode({ v: value } as never, buf, offset),
    decode: (buf: Buffer, offset?: number) => (s.decode(buf, offset) as { v: never }).v,
  } as ScalarCodec<number> | ScalarCodec<string>;
}

/** Encodes many records into one contiguous buffer (for batch map operations). */
export function encodeMany<T>(codec: { size: number; encode(v: T, buf?: Buffer, off?: number): Buffer }, values: readonly T[]): Buffer {
  const out = Buffer.alloc(codec.size * values.length);
  for (let i = 0; i < values.length; i++) codec.encode(values[i] as T, out, i * codec.size);
  return out;
}
