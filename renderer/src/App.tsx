import { lazy, Suspense, useEffect, useRef } from 'react';
import { DownloadedModels, loadOptionsPanel } from './components/DownloadedModels';
import { Downloads } from './components/Downloads';
import { ErrorList } from './components/ErrorList';
import { GetModels, loadNameRules } from './components/GetModels';
import { GearIcon, RefreshIcon } from './components/icons';
import { LoadedModels } from './components/LoadedModels';
import { StatusPanel } from './components/StatusPanel';
import { TrayProvider, useActions, useTray } from './context';
import { RenderedAsOf } from './live-text';
import type { TrayStore } from './store';

/** Settings load on demand, so the first view downloads and parses less (see `preloadOnDemand`). */
const loadSettingsPage = () => import('./SettingsPage');
const SettingsPage = lazy(loadSettingsPage);

/**
 * Fetches what loads on demand (settings, a row's load options, the name rules) once the first view is on screen
 * and the page is idle, so the gear and a disclosure open without a wait. Safe to call more than
 * once: each module loads once.
 */
export function preloadOnDemand(): void {
  const start = () => {
    void loadSettingsPage().catch(() => undefined);
    void loadOptionsPanel().catch(() => undefined);
    void loadNameRules().catch(() => undefined);
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(start, { timeout: 2000 });
  else setTimeout(start, 500);
}

/**
 * The popup. `store` is built on whichever Bridge the page has (see main.tsx), or a test's fake.
 * `renderedAsOf`: web mode's first view, rendered on the server and hydrated in the page, shows
 * the time-dependent text as of this moment in both (see first-view-server.tsx).
 */
export function App({ store, renderedAsOf }: { store: TrayStore; renderedAsOf?: number }) {
  const popup = (
    <TrayProvider store={store}>
      <Popup />
    </TrayProvider>
  );
  return renderedAsOf === undefined ? popup : <RenderedAsOf atMs={renderedAsOf}>{popup}</RenderedAsOf>;
}

/**
 * Escape closes the popup, unless something inside used it first (clearing the filter, closing
 * the load options, a dialog): those call preventDefault, and React's handlers run before this
 * document listener. Web mode ignores the request; the desktop hides the popup.
 */
function useEscapeDismisses(dismiss: () => void): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented || event.isComposing) return;
      dismiss();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [dismiss]);
}

function Popup() {
  const view = useTray((s) => s.view);
  const { showView, refresh, dismissPopup } = useActions();
  useEscapeDismisses(dismissPopup);
  const settingsButton = useRef<HTMLButtonElement>(null);
  const previousView = useRef(view);

  // Coming back from settings, focus returns to the button that opened them.
  useEffect(() => {
    if (previousView.current === 'settings' && view === 'main') settingsButton.current?.focus();
    previousView.current = view;
  }, [view]);

  if (view === 'settings') {
    return (
      // Shown only if the chunk is not there yet (a slow disk, or the gear pressed at once).
      <Suspense fallback={<div className="app" aria-busy="true" />}>
        <SettingsPage />
      </Suspense>
    );
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="topbar__title">LM Studio</h1>
        <button
          type="button"
          className="icon-button"
          aria-label="Refresh"
          title="Refresh"
          onClick={() => void refresh()}
        >
          <RefreshIcon />
        </button>
        <button
          ref={settingsButton}
          type="button"
          className="icon-button"
          aria-label="Settings"
          title="Settings"
          onClick={() => showView('settings')}
        >
          <GearIcon />
        </button>
      </header>
      <main className="content">
        <StatusPanel />
        <ErrorList />
        <LoadedModels />
        <Downloads />
        <DownloadedModels />
        <GetModels />
      </main>
    </div>
  );
}
