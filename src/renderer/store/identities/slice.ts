// The identities view's UI state: tab, search, selected identity.
import type { SliceCreator } from '../types.js';

export type IdentitiesTab = 'identities' | 'endpoints';

export interface IdentitiesSlice {
  identities: {
    tab: IdentitiesTab;
    search: string;
    selected: number | null;
  };
  setIdentitiesTab(tab: IdentitiesTab): void;
  setIdentitiesSearch(search: string): void;
  selectIdentity(id: number | null): void;
}

export const createIdentitiesSlice: SliceCreator<IdentitiesSlice> = (set) => ({
  identities: { tab: 'identities', search: '', selected: null },
  setIdentitiesTab: (tab) => set((s) => ({ identities: { ...s.identities, tab } })),
  setIdentitiesSearch: (search) => set((s) => ({ identities: { ...s.identities, search } })),
  selectIdentity: (selected) => set((s) => ({ identities: { ...s.identities, selected } })),
});
