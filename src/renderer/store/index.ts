// The one store, made of slices; views read it through selectors.
import { createStore } from 'zustand/vanilla';
import { createConnectionSlice } from './connection/slice.js';
import { createHostSlice } from './host/slice.js';
import { createKubeconfigSlice } from './kubeconfig/slice.js';
import { createResourcesSlice } from './resources/slice.js';
import type { LumenState } from './types.js';
import { createUiSlice } from './ui/slice.js';
import { createInstallSlice } from './install/slice.js';
import { createStatusSlice } from './status/slice.js';
import { createServicesSlice } from './services/slice.js';
import { createIdentitiesSlice } from './identities/slice.js';
import { createAgentsSlice } from './agents/slice.js';

export type { LumenState } from './types.js';

export function createLumenStore() {
  return createStore<LumenState>()((...a) => ({
    ...createHostSlice(...a),
    ...createKubeconfigSlice(...a),
    ...createConnectionSlice(...a),
    ...createUiSlice(...a),
    ...createResourcesSlice(...a),
    ...createServicesSlice(...a),
    ...createIdentitiesSlice(...a),
    ...createAgentsSlice(...a),
    ...createInstallSlice(...a),
    ...createStatusSlice(...a),
  }));
}

export type LumenStore = ReturnType<typeof createLumenStore>;
