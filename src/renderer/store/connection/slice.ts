// The cluster connection as main reports it, and the last connect error per context.
import type { ConnectionState, LumenErrorPayload } from '../../../shared/contract/index.js';
import type { SliceCreator } from '../types.js';

export interface ConnectionSlice {
  connection: {
    state: ConnectionState;
    /** A failed connect, kept per context so the list can show it after moving on. */
    lastErrors: ReadonlyMap<string, LumenErrorPayload>;
  };
  setConnection(state: ConnectionState): void;
}

export const initialConnection: ConnectionState = { status: 'disconnected', context: null, server: null, info: null, error: null, since: 0 };

export const createConnectionSlice: SliceCreator<ConnectionSlice> = (set) => ({
  connection: { state: initialConnection, lastErrors: new Map() },
  setConnection: (state) =>
    set((s) => {
      const lastErrors = new Map(s.connection.lastErrors);
      if (state.context && state.status === 'failed' && state.error) lastErrors.set(state.context, state.error);
      if (state.context && state.status === 'connected') lastErrors.delete(state.context);
      return { connection: { state, lastErrors } };
    }),
});
