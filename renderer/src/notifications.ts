/**
 * Web mode only: the core decides which notifications to show and sends `notification:show`;
 * the page shows them with the browser's `Notification`. (On the desktop main shows them, and
 * `bridge.showsNotifications` is false.)
 */
import type { AppNotification, Bridge } from '../../electron/shared/contract';

/** The slice of the browser we use, injectable for tests. */
export interface NotificationHost {
  Notification: {
    readonly permission: NotificationPermission;
    requestPermission(): Promise<NotificationPermission>;
    new (title: string, options?: NotificationOptions): unknown;
  } | null;
  /** Where the first user gesture is listened for. */
  target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
}

const GESTURES = ['pointerdown', 'keydown'] as const;

/**
 * Shows the core's notifications with the browser's `Notification`. Permission is asked once, on
 * the first click or key press (Chromium ignores or quiets requests made without a gesture);
 * a refusal is respected silently. `early` are notifications the page kept while this module was
 * loading: they are shown first. Returns the function that stops it.
 */
export function startWebNotifications(
  bridge: Bridge,
  host: NotificationHost = { Notification: globalThis.Notification ?? null, target: window },
  early: readonly AppNotification[] = [],
): () => void {
  const Api = host.Notification;
  if (!bridge.showsNotifications || !Api) return () => {};

  let asked = false;
  const askOnce = (): void => {
    removeGestureListeners();
    if (asked || Api.permission !== 'default') return;
    asked = true;
    // A rejected or 'denied' answer needs no message: the popup shows the same news itself.
    Api.requestPermission().catch(() => undefined);
  };
  const removeGestureListeners = (): void => {
    for (const gesture of GESTURES) host.target.removeEventListener(gesture, askOnce);
  };
  if (Api.permission === 'default') {
    for (const gesture of GESTURES) host.target.addEventListener(gesture, askOnce);
  }

  const show = ({ title, body }: AppNotification): void => {
    if (Api.permission !== 'granted') return;
    try {
      new Api(title, { body });
    } catch {
      // Some browsers only allow notifications from a service worker; the popup shows the state anyway.
    }
  };
  const unsubscribe = bridge.on('notification:show', show);
  for (const notification of early) show(notification);

  return () => {
    removeGestureListeners();
    unsubscribe();
  };
}
