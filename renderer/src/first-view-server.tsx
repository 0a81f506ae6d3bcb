/**
 * Web mode's first view as HTML (issue 7): the server renders the popup from the same first
 * snapshot it ships inside the page, and the page hydrates that markup (main.tsx) instead of
 * building it, so the model list is on screen before the popup's JavaScript has even run.
 *
 * Bundled apart from web mode's server (electron/web/launch.mjs) and imported on the first page
 * request, never at start-up. Nothing here runs in the page.
 */
import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import type { AppSnapshot, Bridge } from '../../electron/shared/contract';
import { App } from './App';
import { activityParts } from './components/Activity';
import * as activityModule from './components/ActivityParts';
import { loadingParts } from './components/DownloadedModels';
import * as rowsModule from './components/DownloadRows';
import { downloadRows } from './components/Downloads';
import * as loadingModule from './components/LoadingParts';
import * as fixModule from './components/StatusFix';
import { statusFixes } from './components/StatusPanel';
import { firstViewTime } from './first-snapshot';
import { createTrayStore } from './store';

// The page loads these parts on demand (renderer/src/on-demand.ts); this render is one synchronous
// pass and cannot wait for them, so they are bundled here and handed over. The page loads those its
// snapshot shows before it hydrates (App's `loadFirstViewParts`).
downloadRows.provide(rowsModule);
statusFixes.provide(fixModule);
loadingParts.provide(loadingModule);
// Its memory meter renders nothing here (its figures come from a command this render never sends),
// as in the page until the first answer: the markup matches.
activityParts.provide(activityModule);

/** The server's store only renders: it never starts, so nothing is ever sent through this. */
const RENDER_ONLY_BRIDGE: Bridge = {
  invoke: () => Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'Rendering on the server.' } }),
  on: () => () => {},
  showsNotifications: true,
  transport: 'web',
};

/** The markup of `#root` for `snapshot`: the popup's main view, as the page's first render makes it. */
export function renderFirstView(snapshot: AppSnapshot): string {
  const store = createTrayStore(RENDER_ONLY_BRIDGE, snapshot);
  return renderToString(
    <StrictMode>
      <App store={store} renderedAsOf={firstViewTime(snapshot)} />
    </StrictMode>,
  );
}
