/**
 * The core's `Notifier` on the desktop: Electron's `Notification`, shown from main so the page
 * needs no permission. Clicking one opens the popup.
 */
import type { NotificationConstructorOptions } from 'electron';
import type { Notifier } from '../core/ports';

/** The subset of a `Notification` used here. */
export interface NotificationLike {
  show(): void;
  on(event: 'click' | 'close' | 'failed', listener: () => void): unknown;
}

export interface NotifierOptions {
  Notification: { new (options: NotificationConstructorOptions): NotificationLike; isSupported(): boolean };
  onClick(): void;
  /** The app icon for platforms that show one beside the text (Linux). */
  icon?: string;
  onError?(error: unknown): void;
}

/**
 * Creates the notifier. Shown notifications are kept referenced until they close: a collected
 * `Notification` object loses its click handler on Windows and Linux.
 */
export function createElectronNotifier(options: NotifierOptions): Notifier & { readonly live: number } {
  const live = new Set<NotificationLike>();
  return {
    get live() {
      return live.size;
    },
    show(notification) {
      if (!options.Notification.isSupported()) return;
      try {
        const shown = new options.Notification({
          title: notification.title,
          body: notification.body,
          silent: false,
          ...(options.icon ? { icon: options.icon } : {}),
        });
        const release = () => live.delete(shown);
        shown.on('click', () => {
          release();
          options.onClick();
        });
        shown.on('close', release);
        shown.on('failed', release);
        live.add(shown);
        shown.show();
      } catch (error) {
        options.onError?.(error);
      }
    },
  };
}
