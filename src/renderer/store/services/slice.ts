// The services view's state: table rows kept in step with the Service/EndpointSlice caches (time-sliced), the query and the visible keys (computed here, never in render), the selection.
import type { ServiceIndex } from '../../../shared/services/index.js';
import type { SliceCreator } from '../types.js';
import { SortedOrders, defaultServiceQuery, queryRows, type ServiceQuery, type ServiceRow } from './rows.js';
import { ServicesSync } from './sync.js';

/** Time per chunk of recomputation: leaves most of a 16 ms frame to rendering. */
const CHUNK_MS = 8;
/** While a large backlog is worked off, the table is refreshed at most this often. */
const PUBLISH_EVERY_MS = 250;

export interface ServicesSlice {
  services: {
    rows: ReadonlyMap<string, ServiceRow>;
    /** Keys of the rows the query shows, in display order. */
    visible: readonly string[];
    query: ServiceQuery;
    selected: string | null;
    /** Changed services are still being recomputed (a large reset takes a few chunks). */
    syncing: boolean;
    /** The desired model of every service (stable object; row identities say what changed). */
    index: ServiceIndex;
  };
  setServiceQuery(patch: Partial<ServiceQuery>): void;
  selectService(key: string | null): void;
  /** Finishes pending recomputation now (tests, benchmarks). */
  flushServices(): void;
}

export const createServicesSlice: SliceCreator<ServicesSlice> = (set, get, api) => {
  const sync = new ServicesSync();
  const orders = new SortedOrders();
  let scheduled = false;
  let lastPublish = 0;
  let seen: { services: unknown; slices: unknown } = { services: null, slices: null };

  let unpublished = false;
  const publish = (): void => {
    const rows = sync.snapshot();
    orders.patch(rows, sync.takeTouched());
    const s = get().services;
    lastPublish = performance.now();
    unpublished = false;
    set({ services: { ...s, rows, visible: queryRows(rows, s.query, orders), syncing: sync.hasPending } });
  };

  let publishDue = false;
  const run = (): void => {
    scheduled = false;
    if (publishDue) {
      // Its own task: copying the rows, sorting and rendering the table stay out of the work chunk.
      publishDue = false;
      publish();
    } else {
      const started = performance.now();
      if (sync.work(started + CHUNK_MS)) unpublished = true;
      // Each publish copies the rows and re-renders the table: batch them while a backlog lasts.
      publishDue = unpublished && (!sync.hasPending || started - lastPublish >= PUBLISH_EVERY_MS);
    }
    if (publishDue || sync.hasPending) schedule();
  };

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // A macrotask, so the browser paints between chunks.
    setTimeout(run, 0);
  }

  // Follows the resource caches (fed by watch deltas through applyDelta) by reference.
  api.subscribe((state) => {
    const { services, endpointslices } = state.resources.kinds;
    if (services.items === seen.services && endpointslices.items === seen.slices) return;
    seen = { services: services.items, slices: endpointslices.items };
    sync.ingest(services.items, endpointslices.items);
    if (sync.hasPending) {
      if (!get().services.syncing) set({ services: { ...get().services, syncing: true } });
      schedule();
    }
  });

  return {
    services: { rows: new Map(), visible: [], query: defaultServiceQuery, selected: null, syncing: false, index: sync.index },
    setServiceQuery: (patch) => {
      const s = get().services;
      const query = { ...s.query, ...patch };
      set({ services: { ...s, query, visible: queryRows(s.rows, query, orders) } });
    },
    selectService: (key) => set({ services: { ...get().services, selected: key } }),
    flushServices: () => {
      if (!sync.hasPending) return;
      sync.work(Number.POSITIVE_INFINITY);
      publish();
    },
  };
};
