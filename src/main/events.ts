// The bus main-side services publish contract events on; the hosts forward them to every peer.
import type { EventChannel, EventOf } from '../shared/contract/index.js';

export type BusListener = <E extends EventChannel>(event: E, payload: EventOf<E>) => void;

export class EventBus {
  private readonly listeners = new Set<BusListener>();

  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    for (const listener of [...this.listeners]) listener(event, payload);
  }

  on(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
