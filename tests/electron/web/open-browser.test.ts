import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { SpawnFn } from '../../../electron/core/ports';
import { browserCommand, openBrowser } from '../../../electron/web/open-browser';

const URL = 'http://127.0.0.1:4000/?token=abc';

describe('browserCommand', () => {
  it('uses each platform opener with the URL as one argument', () => {
    expect(browserCommand(URL, 'darwin', {})).toEqual({ command: 'open', args: [URL] });
    expect(browserCommand(URL, 'win32', {})).toEqual({
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', URL],
    });
    expect(browserCommand(URL, 'linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [URL] });
    expect(browserCommand(URL, 'linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({
      command: 'xdg-open',
      args: [URL],
    });
  });

  it('opens nothing on a box without a display', () => {
    expect(browserCommand(URL, 'linux', {})).toBeNull();
  });
});

describe('openBrowser', () => {
  it('starts the opener detached and unreferenced, and ignores its failure', () => {
    const child = Object.assign(new EventEmitter(), { unref: vi.fn() });
    const spawn = vi.fn(() => child) as unknown as SpawnFn;
    expect(openBrowser(URL, { platform: 'linux', env: { DISPLAY: ':0' }, spawn })).toBe(true);
    expect(spawn).toHaveBeenCalledWith('xdg-open', [URL], { detached: true, stdio: 'ignore' });
    expect(child.unref).toHaveBeenCalled();
    // An ENOENT for a missing xdg-open arrives as an event; with a listener it cannot crash the process.
    expect(() => child.emit('error', new Error('spawn xdg-open ENOENT'))).not.toThrow();
  });

  it('does not spawn without a display', () => {
    const spawn = vi.fn() as unknown as SpawnFn;
    expect(openBrowser(URL, { platform: 'linux', env: {}, spawn })).toBe(false);
    expect(spawn).not.toHaveBeenCalled();
  });
});
