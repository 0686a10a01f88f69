// Stable id allocation for backends and rev-NAT entries. Seeded from the maps' content at
// start so ids survive restarts; a freed id is reused only after the range wraps, so an
// old conntrack entry never meets a recycled id soon after its owner went away.

export class IdAllocator {
  private readonly byKey = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  private last: number;

  constructor(readonly min: number, readonly max: number, readonly what: string) {
    this.last = min - 1;
  }

  /** Records an id found in the maps (restart). Conflicting claims keep the first. */
  seed(key: string, id: number): boolean {
    if (id < this.min || id > this.max || this.byId.has(id) || this.byKey.has(key)) return false;
    this.byKey.set(key, id);
    this.byId.set(id, key);
    if (id > this.last) this.last = id;
    return true;
  }

  get(key: string): number | undefined {
    return this.byKey.get(key);
  }

  keyOf(id: number): string | undefined {
    return this.byId.get(id);
  }

  /** The key's id, allocating the next free one after the last handed out. */
  acquire(key: string): number {
    const have = this.byKey.get(key);
    if (have !== undefined) return have;
    const span = this.max - this.min + 1;
    if (this.byId.size >= span) throw new Error(`${this.what} ids exhausted (${span} in use)`);
    let id = this.last;
    do {
      id = id >= this.max ? this.min : id + 1;
    } while (this.byId.has(id));
    this.last = id;
    this.byKey.set(key, id);
    this.byId.set(id, key);
    return id;
  }

  release(key: string): void {
    const id = this.byKey.get(key);
    if (id === undefined) return;
    this.byKey.delete(key);
    this.byId.delete(id);
  }

  get size(): number {
    return this.byKey.size;
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }
}
