/**
 * Opens a view named by the address's hash: the tray menu's "Settings…" item shows the popup and
 * sets `#settings` (web mode can link to `/#settings` the same way). The hash is cleared once
 * acted on, so choosing the menu item again fires `hashchange` again.
 */
import type { TrayStore } from './store';

export function followViewHash(store: TrayStore, win: Window = window): () => void {
  const apply = (): void => {
    if (win.location.hash !== '#settings') return;
    store.getState().showView('settings');
    win.history.replaceState(null, '', `${win.location.pathname}${win.location.search}`);
  };
  apply();
  win.addEventListener('hashchange', apply);
  return () => win.removeEventListener('hashchange', apply);
}
