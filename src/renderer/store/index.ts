// The one store, made of slices; views read it through selectors.
import { createStore } from 'zustand/vanilla';
import { createConnectionSlice } from './connection/slice.js';
import { createHostSlice } from './host/slice.js';
import { createKubeconfigSlice } from './kubeconfig/slice.js';
import { createResourcesSlice } from './resources/slice.js';
import type { LumenState } from './types.js';
import { createUiSlice } from './ui/slice.js';

export type { LumenState } from './types.js';

export function createLumenStore() {
  return createStore<LumenState>()((...a) => ({
    ...createHostSlice(...a),
    ...createKubeconfigSlice(...a),
    ...createConnectionSlice(...a),
    ...createUiSlice(...a),
    ...createResourcesSlice(...a),
  }));
}

export type LumenStore = ReturnType<typeof createLumenStore>;
