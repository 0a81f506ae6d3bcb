/**
 * Components reach the store through this context and read it with selectors, so a test can
 * render any part of the popup against a store built on a fake bridge.
 */
import { createContext, type ReactNode, useContext, useLayoutEffect } from 'react';
import { useStore } from 'zustand';
import type { TrayActions, TrayState, TrayStore } from './store';

const TrayContext = createContext<TrayStore | null>(null);

/** Makes `store` available to `useTray` below it. */
export function TrayProvider({ store, children }: { store: TrayStore; children: ReactNode }) {
  return <TrayContext.Provider value={store}>{children}</TrayContext.Provider>;
}

function useTrayStore(): TrayStore {
  const store = useContext(TrayContext);
  if (!store) throw new Error('useTray() needs a <TrayProvider store={...}> above it.');
  return store;
}

/**
 * Reads one slice of the store; the component re-renders only when that slice changes.
 * The selector must return a value already in the state (or a primitive), not a new object.
 */
export function useTray<T>(selector: (state: TrayState & TrayActions) => T): T {
  return useStore(useTrayStore(), selector);
}

/** The store's actions: stable functions, so reading them never causes a re-render. */
export function useActions(): TrayActions {
  return useTrayStore().getState();
}

/**
 * Sets CSS custom properties on an element through the CSSOM. The page's CSP has no
 * 'unsafe-inline' for styles, so dynamic values (a bar's fill, a list's offsets) go this way
 * and the stylesheet reads them with var().
 */
export function useCssVariables(ref: { current: HTMLElement | null }, variables: Record<string, string>): void {
  const serialized = JSON.stringify(variables);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `serialized` stands for `variables`
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    for (const [name, value] of Object.entries(variables)) element.style.setProperty(name, value);
  }, [ref, serialized]);
}
