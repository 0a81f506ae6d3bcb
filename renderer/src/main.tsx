/**
 * Start-up: find the Bridge (preload or WebSocket), build the one store on it, subscribe once,
 * and render. Nothing below this file knows which transport it has.
 */
import { type ReactNode, StrictMode, useEffect } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, hydrateRoot } from 'react-dom/client';
import type { AppNotification } from '../../electron/shared/contract';
import { App, loadFirstViewParts, preloadOnDemand } from './App';
import { getBridge } from './bridge';
import { firstViewTime, readFirstSnapshot } from './first-snapshot';
import { createTrayStore } from './store';
import { followViewHash } from './view-from-hash';
import './styles.css';

const bridge = getBridge();
const firstSnapshot = readFirstSnapshot();
const store = createTrayStore(bridge, firstSnapshot);
store.getState().start();
followViewHash(store);
// Web notifications, the tab's visibility and the page's log load beside the first view, not in it.
// A notification that arrives meanwhile (the first "down" of an outage) is kept and shown then.
const early: AppNotification[] = [];
const stopKeeping = bridge.on('notification:show', (notification) => early.push(notification));
void import('./start-later').then(({ startLater }) => {
  startLater(bridge, store, early);
  stopKeeping();
});

// Until React has adopted the page, the server's markup has no handlers: a form submitted then
// would reload the page (a native GET). Submits are held until the page is live, which
// `data-live` on <html> then says (the bench and the browser journeys wait for it before clicking).
const holdSubmit = (event: Event) => event.preventDefault();
document.addEventListener('submit', holdSubmit, true);
function Live({ children }: { children: ReactNode }) {
  useEffect(() => {
    document.removeEventListener('submit', holdSubmit, true);
    document.documentElement.dataset.live = '';
  }, []);
  return children;
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
// Web mode's server sends the first view already rendered from that same snapshot (see
// first-view-server.tsx): the page hydrates it, so the rows are on screen before this script runs.
// Not when the address asked for the settings (the server renders the main view) or with no snapshot.
if (firstSnapshot && root.hasChildNodes() && store.getState().view === 'main') {
  const hydrate = () =>
    hydrateRoot(
      root,
      <StrictMode>
        <Live>
          <App store={store} renderedAsOf={firstViewTime(firstSnapshot)} />
        </Live>
      </StrictMode>,
    );
  // The server rendered the parts that load on demand (download rows, a state's fix, a load in
  // progress) from their modules; with them here the page adopts that markup in one pass (it stays
  // on screen meanwhile).
  void loadFirstViewParts(firstSnapshot).then(hydrate, hydrate);
} else {
  root.replaceChildren();
  const reactRoot = createRoot(root);
  // The first render runs now rather than in a later task: with the snapshot already here (web
  // mode), the models are on screen as soon as this script has run.
  flushSync(() =>
    reactRoot.render(
      <StrictMode>
        <Live>
          <App store={store} />
        </Live>
      </StrictMode>,
    ),
  );
}
preloadOnDemand();
