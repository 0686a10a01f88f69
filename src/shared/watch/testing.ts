// Test helpers for code built on WatchCache: a manual clock and a scriptable transport.
import type { KubeObject, ListResult, Timers, WatchEvent, WatchTransport } from './types.js';

/** Lets pending promise callbacks (and the real-timer callbacks they queue) run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0));
}

/** A clock that moves only when told; timers fire in order of due time. */
export class ManualTimers implements Timers {
  private time = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  /** Delays of the timers now pending, soonest first. */
  pending(): number[] {
    return [...this.due.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers one by one and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.due) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.due.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = target;
    await settle();
  }
}

/** One watch request made to a ScriptedTransport, driven by the test. */
export interface ScriptedWatch<T extends KubeObject> {
  resourceVersion: string;
  signal: AbortSignal;
  emit(event: WatchEvent<T>): void;
  /** The server closed the stream normally. */
  end(): void;
  fail(error: unknown): void;
}

/**
 * A transport whose list answers come from a queue and whose watches stay open until the
 * test ends them. Stands in for the API server in unit tests of the state machine only;
 * the real transports are tested against a real kube-apiserver.
 */
export class ScriptedTransport<K extends string, T extends KubeObject> implements WatchTransport<K, T> {
  readonly listAnswers: (ListResult<T> | Error)[] = [];
  readonly watches: ScriptedWatch<T>[] = [];
  listCalls = 0;

  async list(_kind: K, signal: AbortSignal): Promise<ListResult<T>> {
    this.listCalls++;
    const answer = this.listAnswers.shift();
    if (signal.aborted) throw new Error('aborted');
    if (!answer) throw new Error('scripted transport: no list answer queued');
    if (answer instanceof Error) throw answer;
    return answer;
  }

  watch(_kind: K, resourceVersion: string, signal: AbortSignal, onEvent: (event: WatchEvent<T>) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const abort = () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      this.watches.push({
        resourceVersion,
        signal,
        emit: (event) => onEvent(event),
        end: () => resolve(),
        fail: (error) => reject(error),
      });
    });
  }

  get lastWatch(): ScriptedWatch<T> {
    const w = this.watches.at(-1);
    if (!w) throw new Error('scripted transport: no watch opened yet');
    return w;
  }
}
