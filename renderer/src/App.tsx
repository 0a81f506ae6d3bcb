import { lazy, Suspense, useEffect, useRef } from 'react';
import type { AppSnapshot } from '../../electron/shared/contract';
import { Activity, activityParts } from './components/Activity';
import { DownloadedModels, loadingParts, loadOptionsPanel } from './components/DownloadedModels';
import { Downloads, downloadRows } from './components/Downloads';
import { ErrorList, Notice } from './components/ErrorList';
import { GetModels, loadNameRules } from './components/GetModels';
import { GearIcon, RefreshIcon } from './components/icons';
import { LoadedModels } from './components/LoadedModels';
import { needsStatusFix, StatusPanel, statusFixes } from './components/StatusPanel';
import { TrayProvider, useActions, useTray } from './context';
import { RenderedAsOf } from './live-text';
import type { TrayStore } from './store';

/** Settings load on demand, so the first view downloads and parses less (see `preloadOnDemand`). */
const loadSettingsPage = () => import('./SettingsPage');
const SettingsPage = lazy(loadSettingsPage);
/** `Load MODELKEY anyway?` loads on demand: most loads never ask. */
const loadLoadAnyway = () => import('./components/LoadAnywayDialog');
const LoadAnywayDialog = lazy(() => loadLoadAnyway().then((module) => ({ default: module.LoadAnywayDialog })));

/**
 * Fetches what loads on demand (settings, a row's load options, the name rules, the download rows,
 * the server state's fix, a load's progress, the load-anyway dialog, the activity and memory meter)
 * once the first view is on screen and the page is idle, so the gear and a disclosure open without
 * a wait. Safe to call more than once: each module loads once.
 */
export function preloadOnDemand(): void {
  const start = () => {
    const loads = [
      loadSettingsPage,
      loadOptionsPanel,
      loadNameRules,
      downloadRows.load,
      statusFixes.load,
      loadingParts.load,
      loadLoadAnyway,
      activityParts.load,
    ];
    for (const load of loads) void load().catch(() => undefined);
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(start, { timeout: 2000 });
  else setTimeout(start, 500);
}

/**
 * Loads the on-demand parts of the first view that `snapshot` shows (its download rows, its server
 * state's fix, its loads in progress, its activity and memory meter), so that view renders, or
 * hydrates the server's markup, in one pass.
 */
export function loadFirstViewParts(snapshot: AppSnapshot): Promise<unknown> {
  return Promise.all([
    snapshot.downloads.length > 0 ? downloadRows.load() : null,
    needsStatusFix(snapshot.status) ? statusFixes.load() : null,
    snapshot.loading.length > 0 ? loadingParts.load() : null,
    activityParts.load(),
  ]);
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
        <Notice />
        <LoadedModels />
        <Activity />
        <Downloads />
        <DownloadedModels />
        <GetModels />
      </main>
      <LoadAnyway />
    </div>
  );
}

/** The dialog of a load that waits for the user's `Try anyway`, once its code is here. */
function LoadAnyway() {
  const request = useTray((s) => s.confirmLoad);
  if (!request) return null;
  return (
    <Suspense fallback={null}>
      <LoadAnywayDialog request={request} />
    </Suspense>
  );
}
