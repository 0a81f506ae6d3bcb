import type { Menu, MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../electron/core/node-ports';
import { ICON_MIN_INTERVAL_MS, setupTray, type TrayLike } from '../../../electron/main/tray';
import { type FakeMenu, Menu as FakeMenuFactory, resetElectron, Tray } from '../../mocks/electron';
import { activity, createFakeCore, download, snapshot } from './fake-core';

function wire(platform: NodeJS.Platform = 'linux', initial = snapshot({ state: 'offline' })) {
  const tray = new Tray('/initial.png');
  const core = createFakeCore(initial);
  const popupCalls: Array<[string, unknown]> = [];
  const quits: Array<{ cancelDownloads: boolean }> = [];
  let settingsOpened = 0;
  let theme: 'dark' | 'light' = 'light';
  const controller = setupTray({
    tray: tray as unknown as TrayLike,
    clock: systemClock,
    buildMenu: (template: MenuItemConstructorOptions[]) =>
      FakeMenuFactory.buildFromTemplate(template) as unknown as Menu,
    core,
    popup: {
      show: (bounds) => popupCalls.push(['show', bounds]),
      toggle: (bounds) => popupCalls.push(['toggle', bounds]),
    },
    platform,
    assetsDir: '/assets',
    theme: () => theme,
    openSettings: () => settingsOpened++,
    quit: (options) => quits.push(options),
  });
  return {
    tray,
    core,
    controller,
    popupCalls,
    quits,
    settingsOpened: () => settingsOpened,
    setTheme: (t: 'dark' | 'light') => {
      theme = t;
    },
    menu: () => tray.contextMenu as FakeMenu,
  };
}

beforeEach(() => {
  resetElectron();
  // The icon's changes are timed: fake timers (systemClock reads them at each call).
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('setupTray', () => {
  it('shows the snapshot at once: image, tooltip and menu', () => {
    const { tray, menu } = wire();
    expect(tray.image).toBe('/assets/tray/offline-light.png');
    expect(tray.toolTip).toBe('LM Studio: offline');
    expect(menu().labels()).toContain('Start server');
  });

  it('follows every state change the core reports (the icon at most once a second)', () => {
    const { tray, core, menu } = wire();
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);
    core.current = snapshot({ state: 'online', loaded: ['qwen/qwen3-4b'] });
    core.emit({ name: 'server:status-changed', payload: core.current.status });
    expect(tray.image).toBe('/assets/tray/loaded-light.png');
    expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded');
    expect(menu().labels()).toContain('Unload qwen/qwen3-4b');
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);

    core.current = snapshot({
      state: 'online',
      loaded: ['qwen/qwen3-4b'],
      downloads: [download('x', { percent: 42 })],
    });
    core.emit({ name: 'downloads:changed', payload: core.current.downloads });
    expect(tray.image).toBe('/assets/tray/downloading-light.png');
    expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded · downloading 42%');
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);

    core.current = snapshot({ state: 'unauthorized' });
    core.emit({ name: 'server:status-changed', payload: core.current.status });
    expect(tray.image).toBe('/assets/tray/attention-light.png');
  });

  it('sets the menu again on Linux only when what it shows changes (not on every progress tick)', () => {
    const { tray, core } = wire();
    const setCount = () => tray.contextMenus.length;
    expect(setCount()).toBe(1);
    for (const percent of [10, 11, 12]) {
      core.current = snapshot({ state: 'offline', downloads: [download('x', { percent })] });
      core.emit({ name: 'downloads:changed', payload: core.current.downloads });
    }
    // One rebuild for "downloading" appearing, none for the percentages.
    expect(setCount()).toBe(2);
    expect(tray.toolTip).toBe('LM Studio: offline · downloading 12%');
  });

  it('a click toggles the popup from the click bounds', () => {
    const { tray, popupCalls } = wire('win32');
    const bounds = { x: 1, y: 2, width: 3, height: 4 };
    tray.emit('click', {}, bounds);
    expect(popupCalls).toEqual([['toggle', bounds]]);
  });

  it('macOS: no context menu set (it would swallow the left click); right-click pops it up', () => {
    const { tray } = wire('darwin');
    expect(tray.contextMenus).toEqual([]);
    expect(tray.image).toBe('/assets/tray/offlineTemplate.png');
    tray.emit('right-click', {}, tray.bounds);
    expect(tray.poppedUp).toHaveLength(1);
    expect(tray.poppedUp[0]!.labels()).toContain('Open LM Studio Tray');
  });

  it('menu items run the core commands and open the popup', async () => {
    const { core, menu, popupCalls, quits, settingsOpened, tray } = wire(
      'linux',
      snapshot({ state: 'online', loaded: ['m1'], downloads: [download('x')] }),
    );
    tray.bounds = { x: 0, y: 0, width: 0, height: 0 };
    menu().click('open');
    menu().click('unload:m1');
    menu().click('unload-all');
    menu().click('stop-server');
    menu().click('settings');
    menu().click('quit-cancel');
    expect(popupCalls).toEqual([['show', { x: 0, y: 0, width: 0, height: 0 }]]);
    expect(core.invocations).toEqual([
      { name: 'models:unload', payload: { identifier: 'm1' } },
      { name: 'models:unload-all', payload: undefined },
      { name: 'server:stop', payload: undefined },
    ]);
    expect(settingsOpened()).toBe(1);
    expect(quits).toEqual([{ cancelDownloads: true }]);
  });

  it('a theme change applies at the next refresh', () => {
    const { tray, controller, setTheme } = wire();
    setTheme('dark');
    controller.refresh();
    expect(tray.image).toBe('/assets/tray/offline-dark.png');
  });

  it("shows generating from the activity event: icon, tooltip and the model's state in the menu", () => {
    const { tray, core, menu } = wire('linux', snapshot({ state: 'online', loaded: ['qwen/qwen3-4b'] }));
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);
    core.current = snapshot({
      state: 'online',
      loaded: ['qwen/qwen3-4b'],
      activity: [
        activity('qwen/qwen3-4b', {
          inProgress: 1,
          busySince: 1_000_000,
          last: { at: 0, tokensPerSecond: 41.23, timeToFirstTokenSec: 0.3, promptTokens: 19, predictedTokens: 2 },
        }),
      ],
    });
    core.emit({ name: 'activity:changed', payload: core.current.activity });
    expect(tray.image).toBe('/assets/tray/generating-light.png');
    expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded · generating (last 41.2 tok/s)');
    expect(menu().labels()).toContain('qwen3-4b · Generating');
  });

  it('changes the icon at most once a second; a state over within that second never shows', () => {
    const { tray, core, controller } = wire('linux', snapshot({ state: 'online', loaded: ['a'] }));
    // The images set after the first (the mock records every one).
    let seen = tray.images.length;
    const images = () => tray.images.slice(seen);
    const answering = snapshot({ state: 'online', loaded: ['a'], activity: [activity('a', { inProgress: 1 })] });
    const done = snapshot({ state: 'online', loaded: ['a'], activity: [activity('a', { last: null })] });
    const show = (next: ReturnType<typeof snapshot>) => {
      core.current = next;
      core.emit({ name: 'activity:changed', payload: next.activity });
    };

    // The first icon went up at start; a change 100 ms later waits for the end of that second.
    vi.advanceTimersByTime(100);
    show(answering);
    expect(images()).toEqual([]);
    expect(controller.current().icon).toBe('loaded');
    // The tooltip does not wait.
    expect(tray.toolTip).toBe('LM Studio: online · a loaded · generating');
    vi.advanceTimersByTime(900);
    expect(images()).toEqual(['/assets/tray/generating-light.png']);

    // Short requests back to back: done, answering, done within one second show nothing new...
    vi.advanceTimersByTime(200);
    show(done);
    vi.advanceTimersByTime(300);
    show(answering);
    vi.advanceTimersByTime(499);
    expect(images()).toEqual(['/assets/tray/generating-light.png']);
    // ...and ending on done, the icon changes once, a second after the last change.
    show(done);
    vi.advanceTimersByTime(1);
    expect(images()).toEqual(['/assets/tray/generating-light.png', '/assets/tray/loaded-light.png']);

    // A burst of 20 flips in 2 s: at most one change a second.
    seen = tray.images.length;
    for (let i = 0; i < 20; i++) {
      show(i % 2 === 0 ? answering : done);
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);
    expect(images().length).toBeLessThanOrEqual(3);
    expect(controller.current().icon).toBe('loaded');
    expect(images().at(-1)).toBe('/assets/tray/loaded-light.png');
  });

  it('a theme change is not a state change: it applies at once, and a waiting change keeps its time', () => {
    const { tray, core, controller, setTheme } = wire('linux', snapshot({ state: 'online', loaded: ['a'] }));
    setTheme('dark');
    controller.refresh();
    expect(tray.image).toBe('/assets/tray/loaded-dark.png');
    core.current = snapshot({ state: 'online', loaded: ['a'], activity: [activity('a', { inProgress: 1 })] });
    controller.refresh();
    expect(tray.image).toBe('/assets/tray/loaded-dark.png');
    vi.advanceTimersByTime(ICON_MIN_INTERVAL_MS);
    expect(tray.image).toBe('/assets/tray/generating-dark.png');
  });

  it('disposing drops a waiting icon change', () => {
    const { tray, core, controller } = wire('linux', snapshot({ state: 'online', loaded: ['a'] }));
    core.current = snapshot({ state: 'online', loaded: ['a'], activity: [activity('a', { inProgress: 1 })] });
    core.emit({ name: 'activity:changed', payload: core.current.activity });
    controller.dispose();
    vi.advanceTimersByTime(10 * ICON_MIN_INTERVAL_MS);
    expect(tray.image).toBe('/assets/tray/loaded-light.png');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops following the core when disposed', () => {
    const { tray, core, controller } = wire();
    controller.dispose();
    core.current = snapshot({ state: 'online' });
    core.emit({ name: 'server:status-changed', payload: core.current.status });
    expect(tray.image).toBe('/assets/tray/offline-light.png');
  });
});
