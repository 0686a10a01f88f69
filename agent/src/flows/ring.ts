// A fixed-capacity ring of the most recent items: O(1) push, newest-first scans for queries.

export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest to newest. */
  toArray(): T[] {
    return this.last(this.count, () => true);
  }

  /**
   * The newest `limit` items that satisfy `keep`, returned oldest to newest. Scans from the
   * newest end so a small limit over a big ring stops early.
   */
  last(limit: number, keep: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count && out.length < limit; i++) {
      const item = this.items[(this.next - 1 - i + 2 * this.capacity) % this.capacity] as T;
      if (keep(item)) out.push(item);
    }
    return out.reverse();
  }

  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
