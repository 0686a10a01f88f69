// What the agents report for the selected service (realized datapath state per node), as last fetched.
import type { LumenErrorPayload, RealizedServiceResponse } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface RealizedState {
  /** Service key (`namespace/name`) the answer is for. */
  service: string | null;
  response: RealizedServiceResponse | null;
  /** The call itself failed (not connected, console link lost); per-node failures are in the response. */
  error: LumenErrorPayload | null;
  loading: boolean;
  /** Date.now() of the last answer. */
  at: number | null;
}

export interface AgentsSlice {
  agents: { realized: RealizedState };
  setRealized(patch: Partial<RealizedState>): void;
}

export const emptyRealized: RealizedState = { service: null, response: null, error: null, loading: false, at: null };

export const createAgentsSlice: SliceCreator<AgentsSlice> = (set) => ({
  agents: { realized: emptyRealized },
  setRealized: (patch) => set((s) => ({ agents: { ...s.agents, realized: { ...s.agents.realized, ...patch } } })),
});
