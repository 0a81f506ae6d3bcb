import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BLUR_HIDE_DELAY_MS,
  BLUR_TOGGLE_GRACE_MS,
  createPopup,
  POPUP_SIZE,
  type PopupOptions,
} from '../../../electron/main/popup';
import { BrowserWindow, resetElectron, screen } from '../../mocks/electron';

function makePopup(overrides: Partial<PopupOptions> = {}) {
  const visibility: boolean[] = [];
  const popup = createPopup({
    BrowserWindow: BrowserWindow as unknown as PopupOptions['BrowserWindow'],
    screen: screen as unknown as PopupOptions['screen'],
    platform: 'win32',
    canPosition: true,
    preloadPath: '/app/dist-electron/preload/preload.cjs',
    devTools: false,
    dark: false,
    url: 'app://popup/index.html',
    onVisibilityChange: (visible) => visibility.push(visible),
    ...overrides,
  });
  const window = BrowserWindow.instances.at(-1)!;
  return { popup, window, visibility };
}

beforeEach(() => {
  resetElectron();
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the popup window', () => {
  it('is created hidden, frameless, out of the taskbar, ~380x560, and loads our page', () => {
    const { window } = makePopup();
    expect(window.options).toMatchObject({
      show: false,
      frame: false,
      skipTaskbar: true,
      resizable: false,
      width: POPUP_SIZE.width,
      height: POPUP_SIZE.height,
    });
    expect(window.isVisible()).toBe(false);
    expect(window.webContents.loadedUrl).toBe('app://popup/index.html');
  });

  it('paints the page background of the system theme before the page loads', () => {
    expect(makePopup({ dark: true }).window.options.backgroundColor).toBe('#131519');
    expect(makePopup({ dark: false }).window.options.backgroundColor).toBe('#f4f5f7');
  });

  it('writes every security option out explicitly', () => {
    const { window } = makePopup();
    expect(window.options.webPreferences).toMatchObject({
      preload: '/app/dist-electron/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      devTools: false,
    });
  });

  it('follows the user across macOS Spaces', () => {
    expect(makePopup({ platform: 'darwin' }).window.visibleOnAllWorkspaces).toEqual([true]);
    expect(makePopup({ platform: 'linux' }).window.visibleOnAllWorkspaces).toEqual([]);
  });

  it('shows next to the icon, and in the corner when the bounds are zero', () => {
    const { popup, window } = makePopup();
    popup.show({ x: 1700, y: 1045, width: 24, height: 32 });
    expect(window.position).toEqual([1700 + 12 - 190, 1040 - 560 - 8]);
    popup.hide();
    popup.show({ x: 0, y: 0, width: 0, height: 0 });
    expect(window.position).toEqual([1920 - 380 - 8, 1040 - 560 - 8]);
  });

  it('uses the display under the pointer when the bounds are unknown', () => {
    screen.displays.push({
      id: 2,
      bounds: { x: 1920, y: 0, width: 1280, height: 1024 },
      workArea: { x: 1920, y: 30, width: 1280, height: 994 },
      scaleFactor: 1,
    });
    screen.cursor = { x: 2500, y: 10 };
    const { popup, window } = makePopup({ platform: 'linux' });
    popup.show(null);
    expect(window.position).toEqual([1920 + 1280 - 380 - 8, 30 + 8]);
  });

  it('tells the core when it is shown or hidden, once per change', () => {
    const { popup, visibility } = makePopup();
    popup.show();
    popup.show();
    popup.hide();
    popup.hide();
    expect(visibility).toEqual([true, false]);
  });
});

describe('blur and the toggle click', () => {
  it('hides on blur after a short delay', () => {
    const { popup, window, visibility } = makePopup();
    popup.show();
    window.emit('blur');
    expect(window.isVisible()).toBe(true);
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS);
    expect(window.isVisible()).toBe(false);
    expect(visibility).toEqual([true, false]);
  });

  it('a click on the icon that blurred the popup closes it rather than reopening it', () => {
    const { popup, window } = makePopup();
    popup.toggle({ x: 1700, y: 1045, width: 24, height: 32 });
    expect(window.isVisible()).toBe(true);
    // Windows: focus leaves first (blur), the blur-hide runs, then the click arrives.
    window.emit('blur');
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS);
    expect(window.isVisible()).toBe(false);
    popup.toggle({ x: 1700, y: 1045, width: 24, height: 32 });
    expect(window.isVisible()).toBe(false);
    // A later click opens it again.
    vi.advanceTimersByTime(BLUR_TOGGLE_GRACE_MS);
    popup.toggle({ x: 1700, y: 1045, width: 24, height: 32 });
    expect(window.isVisible()).toBe(true);
  });

  it('a click arriving while the blur-hide is pending closes it once', () => {
    const { popup, window, visibility } = makePopup();
    popup.toggle(null);
    window.emit('blur');
    popup.toggle(null);
    expect(window.isVisible()).toBe(false);
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS * 5);
    expect(window.isVisible()).toBe(false);
    expect(visibility).toEqual([true, false]);
  });

  it('a click on a visible popup (macOS: no blur first) hides it; showing again cancels a pending blur', () => {
    const { popup, window } = makePopup({ platform: 'darwin' });
    popup.toggle(null);
    popup.toggle(null);
    expect(window.isVisible()).toBe(false);
    popup.show();
    window.emit('blur');
    popup.show();
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS * 2);
    expect(window.isVisible()).toBe(true);
  });
});

describe('messages before the page is ready', () => {
  it('queues events, keeping the latest of each, and flushes them in order when ready', () => {
    const { popup, window } = makePopup();
    popup.send('downloads:changed', []);
    popup.send('server:status-changed', { state: 'offline' } as never);
    popup.send('downloads:changed', [{ id: 'a' }] as never);
    expect(window.webContents.sent).toEqual([]);
    popup.markReady();
    expect(window.webContents.sent).toEqual([
      { channel: 'server:status-changed', payload: { state: 'offline' } },
      { channel: 'downloads:changed', payload: [{ id: 'a' }] },
    ]);
    popup.send('models:changed', { models: [] } as never);
    expect(window.webContents.sent.at(-1)).toEqual({ channel: 'models:changed', payload: { models: [] } });
  });

  it('queues again after a reload until the page asks for its snapshot again', () => {
    const { popup, window } = makePopup();
    popup.markReady();
    window.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    expect(popup.isReady()).toBe(false);
    popup.send('loads:changed', []);
    expect(window.webContents.sent).toEqual([]);
    popup.markReady();
    expect(window.webContents.sent).toEqual([{ channel: 'loads:changed', payload: [] }]);
  });

  it("keeps sending across a same-document navigation (the tray's #settings) and a subframe's", () => {
    const { popup, window } = makePopup();
    popup.markReady();
    window.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    window.webContents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    expect(popup.isReady()).toBe(true);
    popup.send('loads:changed', []);
    expect(window.webContents.sent).toEqual([{ channel: 'loads:changed', payload: [] }]);
  });

  it('reloads a crashed page, queueing until it is back, but not in a loop', () => {
    const { popup, window } = makePopup();
    popup.markReady();
    let reloads = 0;
    (window.webContents as unknown as { reload: () => void }).reload = () => {
      reloads += 1;
    };
    for (let i = 0; i < 5; i++) window.webContents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(reloads).toBe(3);
    expect(popup.isReady()).toBe(false);
    window.webContents.emit('render-process-gone', {}, { reason: 'clean-exit' });
    expect(reloads).toBe(3);
  });

  it('sends nothing to a destroyed window', () => {
    const { popup, window } = makePopup();
    popup.markReady();
    window.destroyed = true;
    popup.send('loads:changed', []);
    expect(window.webContents.sent).toEqual([]);
  });
});
