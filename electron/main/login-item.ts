/**
 * Launch at login: opt-in, and never re-enabled behind the user's back.
 *
 * Decision: the OS entry is written or removed only when the user changes the `launchAtLogin`
 * setting (a `settings:changed` event whose value differs from the last one seen), never at
 * start-up. A user who removes the login item or the autostart file by hand (System Settings,
 * GNOME Tweaks, `rm`) keeps it removed, even though the setting still says true; toggling the
 * setting off and on again restores it.
 *
 * - macOS and Windows: `app.setLoginItemSettings`.
 * - Linux: an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/lmstudio-tray.desktop`. Only that
 *   file of ours is ever written or removed.
 */
import path from 'node:path';
import type { Settings } from '../shared/contract';

export const AUTOSTART_FILE_NAME = 'lmstudio-tray.desktop';

export interface LoginItemOptions {
  platform: NodeJS.Platform;
  app: {
    isPackaged: boolean;
    getAppPath(): string;
    setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
  };
  /** `process.execPath`: the app's executable (Electron's binary when not packaged). */
  execPath: string;
  homedir: string;
  env: Readonly<Record<string, string | undefined>>;
  fs: {
    mkdir(dir: string): Promise<void>;
    writeFileAtomic(file: string, data: string): Promise<void>;
    remove(file: string): Promise<void>;
  };
}

/** The folder of XDG autostart entries (a relative XDG_CONFIG_HOME is invalid and ignored). */
export function autostartDir(homedir: string, env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homedir, '.config');
  return path.posix.join(base, 'autostart');
}

/** The command that starts this app: the AppImage file itself when run from one (its mount point changes). */
export function launchCommand(options: Pick<LoginItemOptions, 'app' | 'execPath' | 'env'>): string[] {
  const executable = options.env.APPIMAGE || options.execPath;
  return options.app.isPackaged ? [executable] : [executable, options.app.getAppPath()];
}

/**
 * One argument of a desktop entry's `Exec` key: quoted when it holds a reserved character, with
 * `"`, `` ` ``, `$` and `\` escaped inside the quotes, then `\` escaped again for the string
 * value and `%` doubled (Desktop Entry Specification, "The Exec key").
 */
export function desktopExecArgument(argument: string): string {
  const needsQuotes = /[\s"'\\><~|&;$*?#()`]/.test(argument) || argument === '';
  const quoted = needsQuotes ? `"${argument.replace(/(["`$\\])/g, '\\$1')}"` : argument;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** The autostart entry for the given command. */
export function autostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=LM Studio Tray',
    'Comment=Keeps an eye on your local LM Studio from the tray',
    `Exec=${command.map(desktopExecArgument).join(' ')}`,
    'Icon=lmstudio-tray',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes or removes the OS's login entry. */
export async function applyLaunchAtLogin(enabled: boolean, options: LoginItemOptions): Promise<void> {
  if (options.platform === 'linux') {
    const dir = autostartDir(options.homedir, options.env);
    const file = path.posix.join(dir, AUTOSTART_FILE_NAME);
    if (!enabled) return options.fs.remove(file);
    await options.fs.mkdir(dir);
    return options.fs.writeFileAtomic(file, autostartEntry(launchCommand(options)));
  }
  const [executable, ...args] = launchCommand(options);
  options.app.setLoginItemSettings({ openAtLogin: enabled, path: executable, args });
}

/**
 * Returns a settings listener that applies `launchAtLogin` only when it changes from the
 * value seen at start-up (or at the last change): see the decision at the top of this file.
 */
export function followLaunchAtLogin(
  initial: boolean,
  apply: (enabled: boolean) => Promise<void>,
  onError: (error: unknown) => void,
): (settings: Pick<Settings, 'launchAtLogin'>) => void {
  let last = initial;
  return (settings) => {
    if (settings.launchAtLogin === last) return;
    last = settings.launchAtLogin;
    apply(last).catch(onError);
  };
}
