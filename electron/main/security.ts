/**
 * The guards from Electron's security checklist that live outside the window's options:
 * navigation and new windows denied, links opened in the browser only from an allowlist,
 * every permission refused, and the IPC sender check.
 */
import type { IpcMainInvokeEvent, Session, WebContents } from 'electron';
import { isAllowedExternalUrl } from '../shared/contract';
import { isPopupUrl } from './renderer-protocol';

/** The subset of `shell` used here. */
export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

/** Opens a link in the user's browser when it is on the allowlist (https, LM Studio or Hugging Face); true if opened. */
export function openExternalIfAllowed(shell: ShellLike, url: string, onError?: (error: unknown) => void): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  shell.openExternal(url).catch((error: unknown) => onError?.(error));
  return true;
}

/**
 * Hardens any web contents (called from `web-contents-created`, so nothing escapes it):
 * - `will-navigate` / `will-redirect`: a page that navigates away (a compromised script, a
 *   dragged link) would run outside our CSP and origin check. Allowlisted links go to the
 *   browser instead; nothing navigates.
 * - `setWindowOpenHandler`: no new windows, ever (same allowlist to the browser).
 * - `will-attach-webview`: no `<webview>` (also off in webPreferences).
 */
export function hardenWebContents(contents: WebContents, shell: ShellLike, onError?: (error: unknown) => void): void {
  const refuseNavigation = (event: { preventDefault(): void }, url: string) => {
    event.preventDefault();
    openExternalIfAllowed(shell, url, onError);
  };
  contents.on('will-navigate', (event) => refuseNavigation(event, event.url));
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(shell, url, onError);
    return { action: 'deny' };
  });
}

/**
 * The popup needs no camera, microphone, notifications (main shows them), clipboard reads,
 * geolocation or anything else a page can ask for: every request and every check says no.
 */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

/**
 * True when an IPC call comes from our popup: its webContents, a live frame (a null
 * `senderFrame` means the frame navigated away or was destroyed: untrusted), and that frame
 * showing our `app://popup` page. Anything else (another window, an iframe of a foreign origin,
 * a page that navigated) is refused before its payload is even looked at.
 */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  popup: Pick<WebContents, 'mainFrame'>,
): boolean {
  if (event.sender !== popup) return false;
  const frame = event.senderFrame;
  // Only the popup's own top-level document speaks for it: never a subframe, whatever it shows.
  if (!frame || frame !== popup.mainFrame) return false;
  return isPopupUrl(frame.url);
}
