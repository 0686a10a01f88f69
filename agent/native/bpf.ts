// Typed access to BPF objects and maps: BpfMap<K, V> encodes/decodes through the ABI
// codecs and validates sizes against the kernel's map before the first call.
import { loadBinding, type NativeBpfObject, type NativeMapInfo, type NativeProgDesc } from './binding';
import { BpfError, native } from './errors';

export interface Codec<T> {
  readonly cName: string;
  readonly size: number;
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
}

export type UpdateFlag = 'any' | 'noexist' | 'exist';
const UPDATE_FLAGS: Record<UpdateFlag, number> = { any: 0, noexist: 1, exist: 2 };

export const MapType = {
  Hash: 1, Array: 2, PercpuHash: 5, PercpuArray: 6, LruHash: 9, LruPercpuHash: 10, LpmTrie: 11, RingBuf: 27,
} as const;

function isPercpu(type: number): boolean {
  return type === MapType.PercpuHash || type === MapType.PercpuArray || type === MapType.LruPercpuHash;
}

export interface MapPressure {
  name: string;
  count: number;
  maxEntries: number;
  /** count / maxEntries, 0..1 */
  ratio: number;
}

/** A BPF map with typed keys and values. Per-CPU maps: see getPerCpu(). */
export class BpfMap<K, V> {
  readonly info: NativeMapInfo;
  private readonly cpus: number;
  /** Called after every successful write or delete (the datapath bumps its revision). */
  onChange: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly fd: number,
    readonly key: Codec<K>,
    readonly value: Codec<V>,
    private readonly owned = false,
  ) {
    const b = loadBinding();
    this.info = native(`map info of ${name}`, () => b.mapInfo(fd));
    this.cpus = isPercpu(this.info.type) ? b.possibleCpus() : 1;
    if (this.info.keySize !== key.size || this.info.valueSize !== value.size) {
      throw new BpfError(`open map ${name}`, new Error(
        `layout mismatch: kernel map has key ${this.info.keySize} / value ${this.info.valueSize} bytes, ` +
        `codecs ${key.cName} ${key.size} / ${value.cName} ${value.size} bytes`));
    }
  }

  /** Opens a map pinned at `path` (another process, e.g. the CLI, reading the agent's maps). */
  static openPinned<K, V>(path: string, key: Codec<K>, value: Codec<V>): BpfMap<K, V> {
    const b = loadBinding();
    const fd = native(`open pinned map ${path}`, () => b.objGet(path));
    try {
      return new BpfMap(path.split('/').pop() ?? path, fd, key, value, true);
    } catch (err) {
      b.closeFd(fd);
      throw err;
    }
  }

  get percpu(): boolean {
    return isPercpu(this.info.type);
  }

  private stride(): number {
    return (this.value.size + 7) & ~7;
  }

  private encodeValue(v: V): Buffer {
    if (!isPercpu(this.info.type)) return this.value.encode(v);
    // One copy per CPU: writing a per-CPU map sets every CPU's slot.
    const out = Buffer.alloc(this.stride() * this.cpus);
    for (let c = 0; c < this.cpus; c++) this.value.encode(v, out, c * this.stride());
    return out;
  }

  get(k: K): V | undefined {
    const raw = native(`lookup in ${this.name}`, () => loadBinding().mapLookup(this.fd, this.key.encode(k)));
    return raw ? this.value.decode(raw, 0) : undefined;
  }

  /** Per-CPU maps: one value per possible CPU. */
  getPerCpu(k: K): V[] {
    const raw = native(`lookup in ${this.name}`, () => loadBinding().mapLookup(this.fd, this.key.encode(k)));
    if (!raw) return [];
    const out: V[] = [];
    for (let c = 0; c < this.cpus; c++) out.push(this.value.decode(raw, c * this.stride()));
    return out;
  }

  set(k: K, v: V, flag: UpdateFlag = 'any'): void {
    const key = this.key.encode(k);
    const val = this.encodeValue(v);
    native(`update ${this.name}`, () => loadBinding().mapUpdate(this.fd, key, val, UPDATE_FLAGS[flag]));
    this.onChange?.();
  }

  delete(k: K): boolean {
    const key = this.key.encode(k);
    const gone = native(`delete from ${this.name}`, () => loadBinding().mapDelete(this.fd, key));
    if (gone) this.onChange?.();
    return gone;
  }

  /** Writes many entries in one batch syscall (per-key fallback where the map type has no
   *  batch support, e.g. LPM tries). */
  setMany(entries: ReadonlyArray<readonly [K, V]>, flag: UpdateFlag = 'any'): { count: number; batched: boolean } {
    if (entries.length === 0) return { count: 0, batched: true };
    const ks = this.key.size;
    const vs = isPercpu(this.info.type) ? this.stride() * this.cpus : this.value.size;
    const keys = Buffer.alloc(ks * entries.length);
    const vals = Buffer.alloc(vs * entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i] as readonly [K, V];
      this.key.encode(k, keys, i * ks);
      if (isPercpu(this.info.type)) this.encodeValue(v).copy(vals, i * vs);
      else this.value.encode(v, vals, i * vs);
    }
    const r = native(`batch update ${this.name} (${entries.length} entries)`, () =>
      loadBinding().mapUpdateBatch(this.fd, keys, vals, UPDATE_FLAGS[flag]));
    this.onChange?.();
    return r;
  }

  /** Batch update from already encoded records (bulk writers that encode in place). */
  setManyRaw(keys: Buffer, values: Buffer, flag: UpdateFlag = 'any'): { count: number; batched: boolean } {
    if (isPercpu(this.info.type)) throw new BpfError(`batch update ${this.name}`, new Error('raw batches are not supported for per-CPU maps'));
    if (keys.length % this.key.size || values.length % this.value.size || keys.length / this.key.size !== values.length / this.value.size) {
      throw new BpfError(`batch update ${this.name}`, new Error(`keys (${keys.length} B) and values (${values.length} B) are not matching ${this.key.size}/${this.value.size}-byte records`));
    }
    if (keys.length === 0) return { count: 0, batched: true };
    const r = native(`batch update ${this.name} (${keys.length / this.key.size} entries)`, () =>
      loadBinding().mapUpdateBatch(this.fd, keys, values, UPDATE_FLAGS[flag]));
    this.onChange?.();
    return r;
  }

  /** Deletes many keys; keys that are not there are skipped. */
  deleteMany(keys: readonly K[]): { count: number; batched: boolean } {
    if (keys.length === 0) return { count: 0, batched: true };
    const ks = this.key.size;
    const buf = Buffer.alloc(ks * keys.length);
    keys.forEach((k, i) => this.key.encode(k, buf, i * ks));
    const r = native(`batch delete ${this.name} (${keys.length} keys)`, () => loadBinding().mapDeleteBatch(this.fd, buf));
    if (r.count) this.onChange?.();
    return r;
  }

  /** Every entry (per-CPU maps: the first CPU's value; use entriesPerCpu()). */
  entries(limit?: number): Array<[K, V]> {
    return this.entriesPerCpu(limit).map(([k, vs]) => [k, vs[0] as V]);
  }

  entriesPerCpu(limit?: number): Array<[K, V[]]> {
    const d = native(`dump ${this.name}`, () => loadBinding().mapDump(this.fd, limit));
    const ks = this.key.size;
    const vs = isPercpu(this.info.type) ? this.stride() * this.cpus : this.value.size;
    const out: Array<[K, V[]]> = [];
    for (let i = 0; i < d.count; i++) {
      const k = this.key.decode(d.keys, i * ks);
      const values: V[] = [];
      for (let c = 0; c < this.cpus; c++) values.push(this.value.decode(d.values, i * vs + c * this.stride()));
      out.push([k, values]);
    }
    return out;
  }

  /** Number of entries: walks the keys, O(n). */
  count(): number {
    return native(`count ${this.name}`, () => loadBinding().mapCount(this.fd));
  }

  pressure(): MapPressure {
    const count = this.count();
    return { name: this.name, count, maxEntries: this.info.maxEntries, ratio: this.info.maxEntries ? count / this.info.maxEntries : 0 };
  }

  /** Deletes every entry (tests, resync from scratch). */
  clear(): number {
    const keys = this.entries().map(([k]) => k);
    return this.deleteMany(keys).count;
  }

  close(): void {
    if (this.owned) loadBinding().closeFd(this.fd);
  }
}

/** One BPF ELF object: open -> configure -> load. */
export class BpfObjectFile {
  private readonly obj: NativeBpfObject;
  private loaded = false;

  constructor(readonly path: string, pinRoot?: string) {
    const b = loadBinding();
    this.obj = native(`open ${path}`, () => new b.BpfObject(path, pinRoot ? { pinRoot } : {}));
  }

  maps() {
    return this.obj.maps();
  }

  programs(): NativeProgDesc[] {
    return this.obj.programs();
  }

  setMaxEntries(map: string, n: number): void {
    if (this.loaded) throw new BpfError(`size ${map}`, new Error('object is already loaded'));
    if (!Number.isInteger(n) || n <= 0) throw new BpfError(`size ${map}`, new Error(`max entries must be a positive integer, got ${n}`));
    native(`set max entries of ${map} in ${this.path}`, () => this.obj.setMaxEntries(map, n));
  }

  setRodata(variable: string, value: Buffer): void {
    if (this.loaded) throw new BpfError(`config ${variable}`, new Error('object is already loaded'));
    native(`set ${variable} in ${this.path}`, () => this.obj.setRodata(variable, value));
  }

  hasRodata(variable: string): boolean {
    return this.obj.rodataVars().some((v) => v.name === variable);
  }

  load(): void {
    native(`load ${this.path}`, () => this.obj.load());
    this.loaded = true;
  }

  mapFd(name: string): number {
    return native(`map ${name} of ${this.path}`, () => this.obj.mapFd(name));
  }

  program(name: string): NativeProgDesc {
    const p = this.obj.programs().find((x) => x.name === name);
    if (!p) throw new BpfError(`program ${name}`, new Error(`${this.path} has no program ${name}`));
    return p;
  }

  close(): void {
    this.obj.close();
  }
}
