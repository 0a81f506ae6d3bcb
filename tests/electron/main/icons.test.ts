import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trayIconFileName, trayIconPath, trayTheme } from '../../../electron/main/icons';
import { TRAY_ICON_STATES } from '../../../electron/main/tray-view';

const assets = path.resolve(import.meta.dirname, '..', '..', '..', 'electron', 'main', 'assets');

describe('tray icon choice', () => {
  it('macOS uses template images whatever the theme; Windows and Linux a set per theme', () => {
    expect(trayIconFileName('loaded', 'darwin', 'dark')).toBe('loadedTemplate.png');
    expect(trayIconFileName('loaded', 'darwin', 'light')).toBe('loadedTemplate.png');
    expect(trayIconFileName('attention', 'win32', 'dark')).toBe('attention-dark.png');
    expect(trayIconFileName('attention', 'win32', 'light')).toBe('attention-light.png');
    expect(trayIconFileName('offline', 'linux', 'light')).toBe('offline-light.png');
  });

  it('every state, platform and theme has a 1x and a 2x file on disk', () => {
    for (const state of TRAY_ICON_STATES) {
      for (const platform of ['darwin', 'win32', 'linux'] as const) {
        for (const theme of ['dark', 'light'] as const) {
          const file = trayIconPath(assets, state, platform, theme);
          expect(existsSync(file), file).toBe(true);
          expect(existsSync(file.replace(/\.png$/, '@2x.png')), file).toBe(true);
        }
      }
    }
  });

  it('the theme follows the system, except GNOME whose top bar is always dark', () => {
    expect(trayTheme('win32', true, {})).toBe('dark');
    expect(trayTheme('win32', false, {})).toBe('light');
    expect(trayTheme('linux', false, { XDG_CURRENT_DESKTOP: 'KDE' })).toBe('light');
    expect(trayTheme('linux', false, { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })).toBe('dark');
    expect(trayTheme('darwin', false, { XDG_CURRENT_DESKTOP: 'GNOME' })).toBe('light');
  });
});
