/**
 * What the page starts at once but need not carry in its first view's script (main.tsx imports this
 * on demand, a moment after the first render): web notifications, the tab's visibility for the
 * core, and the page's log.
 */
import type { AppNotification, Bridge } from '../../electron/shared/contract';
import { startWebNotifications } from './notifications';
import { startPageLog } from './page-log';
import type { TrayStore } from './store';
import { reportPopupVisibility } from './visibility';

/** `early`: the notifications that arrived while this module loaded, shown now. */
export function startLater(bridge: Bridge, store: TrayStore, early: readonly AppNotification[]): void {
  startWebNotifications(bridge, undefined, early);
  // The desktop shell reports its window's show/hide itself; a browser tab only knows its visibility.
  if (bridge.transport === 'web') reportPopupVisibility(bridge);
  startPageLog(bridge, store);
}
