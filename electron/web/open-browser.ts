/**
 * Opens the page in the user's default browser, best effort: the address is printed anyway.
 */
import type { SpawnFn } from '../core/ports';

/** The opener for this platform as an argument array, or null where no browser can show (no display). */
export function browserCommand(
  url: string,
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): { command: string; args: string[] } | null {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd.exe built-in and cmd would parse the URL; rundll32 takes it as one argument.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  // A headless box or an SSH session: nothing to open a browser on.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return { command: 'xdg-open', args: [url] };
}

/**
 * Starts the opener detached and forgets it: it hands the URL to the browser and exits, and the
 * browser must outlive this server. Returns false when there was nothing to run.
 */
export function openBrowser(
  url: string,
  context: { platform: NodeJS.Platform; env: Readonly<Record<string, string | undefined>>; spawn: SpawnFn },
): boolean {
  const opener = browserCommand(url, context.platform, context.env);
  if (!opener) return false;
  try {
    const child = context.spawn(opener.command, opener.args, { detached: true, stdio: 'ignore' });
    // A missing xdg-open is not worth more than the printed address.
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
