// The store's combined state type, and the slice-creator signature every slice follows.
import type { StateCreator } from 'zustand/vanilla';
import type { ConnectionSlice } from './connection/slice.js';
import type { HostSlice } from './host/slice.js';
import type { KubeconfigSlice } from './kubeconfig/slice.js';
import type { ResourcesSlice } from './resources/slice.js';
import type { UiSlice } from './ui/slice.js';

export type LumenState = HostSlice & KubeconfigSlice & ConnectionSlice & UiSlice & ResourcesSlice;

export type SliceCreator<S> = StateCreator<LumenState, [], [], S>;
