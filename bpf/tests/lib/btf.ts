// Reads struct layouts, enums and map key/value types from a BPF object's BTF (through
// `bpftool -j btf dump file`), for the layout test.
import { execFileSync } from 'node:child_process';

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: Array<{ name: string; type_id: number; bits_offset: number }>;
  values?: Array<{ name: string; val: number }>;
  vars?: Array<{ type_id: number; offset: number; size: number }>;
}

export interface BtfMember {
  offset: number;
  size: number;
}

export interface BtfStruct {
  name: string;
  size: number;
  members: Map<string, BtfMember>;
}

export interface BtfInfo {
  structs: Map<string, BtfStruct>;
  enums: Map<string, Map<string, number>>;
  /** map variable name -> { key, value } type names (typedef or struct name) */
  maps: Map<string, { key: string; value: string | undefined }>;
}

export function readBtf(objectPath: string): BtfInfo {
  const raw = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', objectPath], { maxBuffer: 64 << 20 }).toString();
  const types = new Map<number, BtfType>();
  for (const t of (JSON.parse(raw) as { types: BtfType[] }).types) types.set(t.id, t);

  const sizeOf = (id: number): number => {
    const t = types.get(id);
    if (!t) throw new Error(`BTF type ${id} missing in ${objectPath}`);
    switch (t.kind) {
      case 'TYPEDEF': case 'CONST': case 'VOLATILE': case 'RESTRICT':
        return sizeOf(t.type_id!);
      case 'ARRAY':
        return sizeOf(t.type_id!) * t.nr_elems!;
      case 'PTR':
        return 8;
      default:
        if (t.size === undefined) throw new Error(`BTF type ${id} (${t.kind}) has no size`);
        return t.size;
    }
  };
  // Name a member's type the way a C declaration spells it: typedef or struct name.
  const nameOf = (id: number): string => {
    const t = types.get(id)!;
    if ((t.kind === 'CONST' || t.kind === 'VOLATILE') && t.type_id) return nameOf(t.type_id);
    return t.name;
  };

  const info: BtfInfo = { structs: new Map(), enums: new Map(), maps: new Map() };
  for (const t of types.values()) {
    if (t.kind === 'STRUCT' && t.name.startsWith('lumen_')) {
      const members = new Map<string, BtfMember>();
      for (const m of t.members ?? []) members.set(m.name, { offset: m.bits_offset / 8, size: sizeOf(m.type_id) });
      info.structs.set(t.name, { name: t.name, size: t.size!, members });
    } else if (t.kind === 'ENUM' && t.name.startsWith('lumen_')) {
      info.enums.set(t.name, new Map((t.values ?? []).map((v) => [v.name, v.val])));
    } else if (t.kind === 'DATASEC' && t.name === '.maps') {
      for (const v of t.vars ?? []) {
        const variable = types.get(v.type_id)!;
        const def = types.get(variable.type_id!)!;
        const member = (n: string) => def.members?.find((m) => m.name === n);
        const pointee = (n: string) => {
          const m = member(n);
          if (!m) return undefined;
          const ptr = types.get(m.type_id)!;
          return nameOf(ptr.type_id!);
        };
        info.maps.set(variable.name, { key: pointee('key') ?? '', value: pointee('value') });
      }
    }
  }
  return info;
}

/** `#define LUMEN_X value` lines of a header (numbers only). */
export function readDefines(headerText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of headerText.matchAll(/^#define\s+(LUMEN_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}
