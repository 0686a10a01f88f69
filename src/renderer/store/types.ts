// The store's combined state type, and the slice-creator signature every slice follows.
import type { StateCreator } from 'zustand/vanilla';
import type { ConnectionSlice } from './connection/slice.js';
import type { HostSlice } from './host/slice.js';
import type { KubeconfigSlice } from './kubeconfig/slice.js';
import type { ResourcesSlice } from './resources/slice.js';
import type { UiSlice } from './ui/slice.js';
import type { InstallSlice } from './install/slice.js';
import type { StatusSlice } from './status/slice.js';
import type { ServicesSlice } from './services/slice.js';
import type { IdentitiesSlice } from './identities/slice.js';
import type { AgentsSlice } from './agents/slice.js';

export type LumenState = HostSlice & KubeconfigSlice & ConnectionSlice & UiSlice & ResourcesSlice & ServicesSlice & IdentitiesSlice & AgentsSlice & InstallSlice & StatusSlice;

export type SliceCreator<S> = StateCreator<LumenState, [], [], S>;
