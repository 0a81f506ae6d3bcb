/**
 * Which tray image to show, by state, platform and theme. The PNGs are drawn by
 * scripts/make-icons.ts into electron/main/assets/tray/ and copied next to the main bundle.
 *
 * - macOS: `<state>Template.png` (+ `@2x`). Electron treats a name ending in `Template` as a
 *   template image: monochrome, recoloured by the menu bar for light, dark and highlighted
 *   states, so each state has its own shape rather than its own colour.
 * - Windows and Linux: coloured glyphs in two sets, `-dark` (light strokes, for a dark taskbar
 *   or panel) and `-light` (dark strokes, for a light one).
 */
import path from 'node:path';
import type { TrayIconState } from './tray-view';

export type TrayTheme = 'dark' | 'light';

/** The file name (1x; Electron picks up the `@2x` sibling itself) for a state. */
export function trayIconFileName(state: TrayIconState, platform: NodeJS.Platform, theme: TrayTheme): string {
  if (platform === 'darwin') return `${state}Template.png`;
  return `${state}-${theme}.png`;
}

/**
 * The theme of the surface the tray icon sits on. GNOME's top bar is dark whatever the GTK
 * theme says, so a light theme there must still get the light-stroked (`dark`) set.
 */
export function trayTheme(
  platform: NodeJS.Platform,
  shouldUseDarkColors: boolean,
  env: Readonly<Record<string, string | undefined>>,
): TrayTheme {
  if (platform === 'linux' && /gnome|unity|ubuntu/i.test(env.XDG_CURRENT_DESKTOP ?? '')) return 'dark';
  return shouldUseDarkColors ? 'dark' : 'light';
}

/** Absolute path of the tray image for a state. */
export function trayIconPath(
  assetsDir: string,
  state: TrayIconState,
  platform: NodeJS.Platform,
  theme: TrayTheme,
): string {
  return path.join(assetsDir, 'tray', trayIconFileName(state, platform, theme));
}
