import type { Menu, MenuItemConstructorOptions } from 'electron';
import { beforeEach, describe, expect, it } from 'vitest';
import { setupTray, type TrayLike } from '../../../electron/main/tray';
import { type FakeMenu, Menu as FakeMenuFactory, resetElectron, Tray } from '../../mocks/electron';
import { createFakeCore, download, snapshot } from './fake-core';

function wire(platform: NodeJS.Platform = 'linux', initial = snapshot({ state: 'offline' })) {
  const tray = new Tray('/initial.png');
  const core = createFakeCore(initial);
  const popupCalls: Array<[string, unknown]> = [];
  const quits: Array<{ cancelDownloads: boolean }> = [];
  let settingsOpened = 0;
  let theme: 'dark' | 'light' = 'light';
  const controller = setupTray({
    tray: tray as unknown as TrayLike,
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

beforeEach(() => resetElectron());

describe('setupTray', () => {
  it('shows the snapshot at once: image, tooltip and menu', () => {
    const { tray, menu } = wire();
    expect(tray.image).toBe('/assets/tray/offline-light.png');
    expect(tray.toolTip).toBe('LM Studio: offline');
    expect(menu().labels()).toContain('Start server');
  });

  it('follows every state change the core reports', () => {
    const { tray, core, menu } = wire();
    core.current = snapshot({ state: 'online', loaded: ['qwen/qwen3-4b'] });
    core.emit({ name: 'server:status-changed', payload: core.current.status });
    expect(tray.image).toBe('/assets/tray/loaded-light.png');
    expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded');
    expect(menu().labels()).toContain('Unload qwen/qwen3-4b');

    core.current = snapshot({
      state: 'online',
      loaded: ['qwen/qwen3-4b'],
      downloads: [download('x', { percent: 42 })],
    });
    core.emit({ name: 'downloads:changed', payload: core.current.downloads });
    expect(tray.image).toBe('/assets/tray/downloading-light.png');
    expect(tray.toolTip).toBe('LM Studio: online · qwen3-4b loaded · downloading 42%');

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

  it('stops following the core when disposed', () => {
    const { tray, core, controller } = wire();
    controller.dispose();
    core.current = snapshot({ state: 'online' });
    core.emit({ name: 'server:status-changed', payload: core.current.status });
    expect(tray.image).toBe('/assets/tray/offline-light.png');
  });
});
