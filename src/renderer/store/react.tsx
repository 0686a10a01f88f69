// React bindings: the store and actions through context, read with selectors.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Actions } from './actions.js';
import type { LumenStore } from './index.js';
import type { LumenState } from './types.js';

interface Bindings {
  store: LumenStore;
  actions: Actions;
}

const LumenContext = createContext<Bindings | null>(null);

export function LumenProvider({ store, actions, children }: Bindings & { children: ReactNode }) {
  return <LumenContext.Provider value={{ store, actions }}>{children}</LumenContext.Provider>;
}

function useBindings(): Bindings {
  const bindings = useContext(LumenContext);
  if (!bindings) throw new Error('Lumen store used outside <LumenProvider>');
  return bindings;
}

export function useLumen<T>(selector: (state: LumenState) => T): T {
  return useStore(useBindings().store, selector);
}

/** For selectors that build arrays or objects: re-render only when their members change. */
export function useLumenShallow<T>(selector: (state: LumenState) => T): T {
  return useStore(useBindings().store, useShallow(selector));
}

export function useActions(): Actions {
  return useBindings().actions;
}
