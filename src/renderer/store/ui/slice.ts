// UI state: the route (mirrored in the URL hash) and the command palette.
import { defaultRoute, type Route } from '../../router/routes.js';
import type { SliceCreator } from '../types.js';

export interface UiSlice {
  ui: {
    route: Route;
    paletteOpen: boolean;
  };
  setRoute(route: Route): void;
  setPaletteOpen(open: boolean): void;
}

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  ui: { route: defaultRoute, paletteOpen: false },
  setRoute: (route) => set((s) => ({ ui: { ...s.ui, route } })),
  setPaletteOpen: (paletteOpen) => set((s) => ({ ui: { ...s.ui, paletteOpen } })),
});
