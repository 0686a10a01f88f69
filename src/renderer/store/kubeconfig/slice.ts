// Kubeconfig state as main reports it (contexts, file errors), plus load status.
import type { KubeconfigState, LumenErrorPayload } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface KubeconfigSlice {
  kubeconfig: {
    state: KubeconfigState | null;
    loading: boolean;
    error: LumenErrorPayload | null;
  };
  setKubeconfig(state: KubeconfigState): void;
  setKubeconfigLoading(): void;
  setKubeconfigError(error: LumenErrorPayload): void;
}

export const createKubeconfigSlice: SliceCreator<KubeconfigSlice> = (set) => ({
  kubeconfig: { state: null, loading: false, error: null },
  setKubeconfig: (state) => set({ kubeconfig: { state, loading: false, error: null } }),
  setKubeconfigLoading: () => set((s) => ({ kubeconfig: { ...s.kubeconfig, loading: true } })),
  setKubeconfigError: (error) => set((s) => ({ kubeconfig: { ...s.kubeconfig, loading: false, error } })),
});
