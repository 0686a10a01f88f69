// The Status view's data: the last cluster status main reported, refreshed while the view is open.
import type { ClusterStatus, LumenErrorPayload } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface StatusSlice {
  clusterStatus: {
    data: ClusterStatus | null;
    loading: boolean;
    error: LumenErrorPayload | null;
  };
  setClusterStatus(patch: Partial<StatusSlice['clusterStatus']>): void;
}

export const createStatusSlice: SliceCreator<StatusSlice> = (set) => ({
  clusterStatus: { data: null, loading: false, error: null },
  setClusterStatus: (patch) => set((s) => ({ clusterStatus: { ...s.clusterStatus, ...patch } })),
});
