// The TypeScript codecs, enums and flag constants against the C side: struct sizes and
// field offsets from each object's BTF, enum values from BTF, #define values from the
// header, map key/value types from the .maps BTF, and the sizes of the loaded maps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as abi from '../../agent/native/abi';
import type { StructCodec } from '../../agent/native/codec';
import type { Datapath } from '../../agent/native/index';
import {
  CIDR_IDENTITY_MIN, CLUSTER_IDENTITY_MIN, DROP_REASONS, DROP_REASON_SLOTS, EVENT_FLAG_C_NAMES, EventFlag,
  OBS_POINTS, RESERVED_IDENTITY_C_NAMES, ReservedIdentity, VERDICTS,
} from '../../src/shared/flow/datapath';
import { readBtf, readDefines, type BtfInfo } from './lib/btf';
import { kernelSkipReason, loadTestDatapath, OBJECT_DIR, removePins, REPO, requireBuilt, testPinDir } from './lib/env';

const skip = kernelSkipReason();
const OBJECTS = ['lxc', 'sock', 'host'] as const;

type AnyStruct = Pick<StructCodec<unknown>, 'cName' | 'size' | 'fields'>;
const codecs: AnyStruct[] = (Object.values(abi) as unknown[]).filter(
  (v): v is AnyStruct => typeof v === 'object' && v !== null && 'fields' in v && 'cName' in v && String((v as { cName: string }).cName).startsWith('lumen_'),
);

describe.skipIf(!!skip)(`ABI layout (BTF of the built objects)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const btf = new Map<string, BtfInfo>();
  beforeAll(() => {
    requireBuilt();
    for (const o of OBJECTS) btf.set(o, readBtf(join(OBJECT_DIR, `${o}.bpf.o`)));
  });

  it('has a codec for every struct of lumen_abi.h, and every codec matches its C struct in every object', () => {
    const header = readFileSync(join(REPO, 'bpf', 'include', 'lumen_abi.h'), 'utf8');
    const declared = [...header.matchAll(/^struct (lumen_\w+) \{/gm)].map((m) => m[1]!).sort();
    expect(declared.length).toBeGreaterThanOrEqual(17);
    expect(codecs.map((c) => c.cName).sort()).toEqual(declared);
    for (const [obj, info] of btf) {
      for (const codec of codecs) {
        const s = info.structs.get(codec.cName);
        expect(s, `${obj}: struct ${codec.cName} missing from BTF`).toBeDefined();
        expect(codec.size, `${obj}: sizeof(struct ${codec.cName})`).toBe(s!.size);
        for (const f of codec.fields) {
          const m = s!.members.get(f.name);
          expect(m, `${obj}: ${codec.cName}.${f.name} missing in C`).toBeDefined();
          expect({ field: f.name, offset: f.offset, size: f.size }).toEqual({ field: f.name, offset: m!.offset, size: m!.size });
        }
        for (const [name] of s!.members) {
          if (name.startsWith('pad')) continue;
          expect(codec.fields.map((f) => f.name), `${obj}: ${codec.cName}.${name} not decoded in TypeScript`).toContain(name);
        }
      }
    }
  });

  it('declares each map with the key/value types the codecs encode', () => {
    for (const [obj, info] of btf) {
      for (const [mapName, layout] of Object.entries(abi.MAP_LAYOUTS)) {
        const m = info.maps.get(mapName);
        expect(m, `${obj}: map ${mapName} not defined`).toBeDefined();
        expect({ map: mapName, key: m!.key, value: m!.value }).toEqual({ map: mapName, key: layout.key.cName, value: layout.value.cName });
      }
      expect(info.maps.has('lumen_events')).toBe(true);
      expect(info.maps.size).toBe(Object.keys(abi.MAP_LAYOUTS).length + 1);
    }
  });

  it('mirrors every enum of lumen_abi.h in src/shared/flow/datapath.ts and abi.ts', () => {
    const enums = btf.get('lxc')!.enums;
    const asMap = (rows: ReadonlyArray<{ id: number; c: string }>) => new Map(rows.map((r) => [r.c, r.id]));
    expect(asMap(VERDICTS)).toEqual(enums.get('lumen_verdict'));
    expect(asMap(OBS_POINTS)).toEqual(enums.get('lumen_obs_point'));
    const drops = new Map(enums.get('lumen_drop_reason'));
    expect(drops.get('LUMEN_DROP_MAX')).toBe(DROP_REASON_SLOTS);
    drops.delete('LUMEN_DROP_MAX');
    expect(asMap(DROP_REASONS)).toEqual(drops);
    const counters = new Map(enums.get('lumen_counter'));
    expect(counters.get('LUMEN_CNT_MAX')).toBe(abi.COUNTER_SLOTS);
    counters.delete('LUMEN_CNT_MAX');
    expect(new Map(Object.entries(abi.COUNTER_C_NAMES).map(([k, c]) => [c, abi.Counter[k as keyof typeof abi.Counter]]))).toEqual(counters);
    // Text names are unique and stable keys are kebab-case.
    expect(new Set(DROP_REASONS.map((r) => r.text)).size).toBe(DROP_REASONS.length);
    for (const r of DROP_REASONS) expect(r.key).toMatch(/^[a-z0-9-]+$/);
  });

  it('mirrors every #define of lumen_abi.h', () => {
    const defines = readDefines(readFileSync(join(REPO, 'bpf', 'include', 'lumen_abi.h'), 'utf8'));
    const ts = new Map<string, number>(Object.entries(abi.C_DEFINES));
    for (const [k, c] of Object.entries(EVENT_FLAG_C_NAMES)) ts.set(c, EventFlag[k as keyof typeof EventFlag]);
    for (const [k, c] of Object.entries(RESERVED_IDENTITY_C_NAMES)) ts.set(c, ReservedIdentity[k as keyof typeof ReservedIdentity]);
    ts.set('LUMEN_ID_CLUSTER_MIN', CLUSTER_IDENTITY_MIN);
    ts.set('LUMEN_ID_CIDR_MIN', CIDR_IDENTITY_MIN);
    expect(defines.size).toBeGreaterThan(40);
    expect(new Map([...ts].sort())).toEqual(new Map([...defines].sort()));
  });

  describe('loaded maps', () => {
    const pinDir = testPinDir();
    let dp: Datapath | undefined;
    beforeAll(() => {
      dp = loadTestDatapath(pinDir);
    });
    afterAll(() => {
      dp?.close();
      removePins(pinDir);
    });

    it('have the key and value sizes of the codecs', () => {
      for (const m of Object.values(dp!.maps)) {
        const layout = abi.MAP_LAYOUTS[m.name as keyof typeof abi.MAP_LAYOUTS];
        expect({ map: m.name, key: m.info.keySize, value: m.info.valueSize }).toEqual({ map: m.name, key: layout.key.size, value: layout.value.size });
      }
    });

    it('take the config struct at the size the wrapper encodes', () => {
      expect(btf.get('lxc')!.structs.get('lumen_config')!.size).toBe(abi.config.size);
    });
  });
});
