import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type LifecycleApp,
  quitOnSignals,
  SHUTDOWN_DEADLINE_MS,
  setupPowerEvents,
  setupQuit,
  setupSingleInstance,
} from '../../../electron/main/lifecycle';
import { app, powerMonitor, resetElectron } from '../../mocks/electron';
import { createFakeCore } from './fake-core';

beforeEach(() => resetElectron());

const fakeApp = () => app as unknown as LifecycleApp;

describe('setupSingleInstance', () => {
  it('the first instance keeps the lock and opens its popup on a second launch', () => {
    let opened = 0;
    expect(setupSingleInstance(fakeApp(), () => opened++)).toBe(true);
    app.emit('second-instance', {}, ['electron', '.'], '/');
    expect(opened).toBe(1);
    expect(app.quitCalls).toBe(0);
  });

  it('a second instance quits at once', () => {
    app.singleInstanceLock = false;
    expect(setupSingleInstance(fakeApp(), () => {})).toBe(false);
    expect(app.quitCalls).toBe(1);
  });
});

describe('setupQuit', () => {
  it('holds the quit until core.shutdown() has finished, then quits for real', async () => {
    const core = createFakeCore();
    let finish!: () => void;
    core.shutdownGate = new Promise((resolve) => {
      finish = resolve;
    });
    const quitted = vi.fn();
    app.on('will-quit', quitted);
    const controller = setupQuit({ app: fakeApp(), core, onError: () => {} });

    controller.quit();
    expect(core.shutdowns).toEqual([undefined]);
    expect(quitted).not.toHaveBeenCalled();
    // A second quit request (Cmd+Q again) does not start a second shutdown.
    app.quit();
    expect(core.shutdowns).toHaveLength(1);

    finish();
    await controller.shuttingDown;
    expect(quitted).toHaveBeenCalledTimes(1);
  });

  it('"Quit and cancel downloads" asks the core to cancel them', async () => {
    const core = createFakeCore();
    const controller = setupQuit({ app: fakeApp(), core, onError: () => {} });
    controller.quit({ cancelDownloads: true });
    await controller.shuttingDown;
    expect(core.shutdowns).toEqual([{ cancelDownloads: true }]);
  });

  it('a failing shutdown is reported and the app still quits', async () => {
    const core = createFakeCore();
    core.shutdownGate = Promise.reject(new Error('kill failed'));
    const errors: unknown[] = [];
    const quitted = vi.fn();
    app.on('will-quit', quitted);
    const controller = setupQuit({ app: fakeApp(), core, onError: (e) => errors.push(e) });
    controller.quit();
    await controller.shuttingDown;
    expect(errors).toHaveLength(1);
    expect(quitted).toHaveBeenCalledTimes(1);
  });

  it('a shutdown that never ends is cut off at the deadline', async () => {
    vi.useFakeTimers();
    try {
      const core = createFakeCore();
      core.shutdownGate = new Promise(() => {});
      const errors: unknown[] = [];
      const quitted = vi.fn();
      app.on('will-quit', quitted);
      const controller = setupQuit({ app: fakeApp(), core, onError: (e) => errors.push(e) });
      controller.quit();
      await vi.advanceTimersByTimeAsync(SHUTDOWN_DEADLINE_MS);
      await controller.shuttingDown;
      expect(quitted).toHaveBeenCalledTimes(1);
      expect(String(errors[0])).toContain('did not shut down');
    } finally {
      vi.useRealTimers();
    }
  });

  it('closing every window does not quit a tray app', () => {
    setupQuit({ app: fakeApp(), core: createFakeCore(), onError: () => {} });
    expect(app.listenerCount('window-all-closed')).toBe(1);
  });
});

describe('setupPowerEvents', () => {
  it('passes suspend and resume to the core', () => {
    const core = createFakeCore();
    setupPowerEvents(powerMonitor, core);
    powerMonitor.emit('suspend');
    powerMonitor.emit('resume');
    expect(core.powerEvents).toEqual(['suspend', 'resume']);
  });
});

describe('quitOnSignals', () => {
  it('turns SIGINT, SIGTERM and SIGHUP into a quit', () => {
    const source = new EventEmitter();
    let quits = 0;
    quitOnSignals(source, () => quits++);
    source.emit('SIGINT');
    source.emit('SIGTERM');
    source.emit('SIGHUP');
    expect(quits).toBe(3);
  });
});
