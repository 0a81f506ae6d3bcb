/**
 * Nothing renders on a timer while idle: the TTL text re-renders its row only when the text it
 * shows changes, and not at all while the page is hidden; events that repeat the shown state
 * re-render nothing.
 */
import { act, cleanup, render, screen } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App, loadFirstViewParts } from '../../renderer/src/App';
import { LoadedModels } from '../../renderer/src/components/LoadedModels';
import { TrayProvider } from '../../renderer/src/context';
import { formatTtl } from '../../renderer/src/format';
import { msUntilTextChanges } from '../../renderer/src/live-text';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, ok } from './fake-bridge';
import { makeDownload, makeInstance, makeModel, makeSnapshot, NOW } from './fixtures';

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  setVisibility('visible');
});

describe('msUntilTextChanges', () => {
  it('finds the next change of a countdown text, to a quarter second', () => {
    const textAt = (now: number) => formatTtl(600_000, NOW, now);
    // "in 10 min" until 9.5 minutes are left.
    const delay = msUntilTextChanges(textAt, NOW)!;
    expect(delay).toBeGreaterThanOrEqual(30_000);
    expect(delay).toBeLessThanOrEqual(30_250);
    expect(textAt(NOW + delay)).toBe('unloads in 9 min');
  });

  it('says never for a text that does not depend on the time', () => {
    expect(msUntilTextChanges((now) => formatTtl(600_000, null, now), NOW)).toBeNull();
  });
});

describe('the TTL countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });

  function renderLoaded() {
    const instance = makeInstance({ ttlMs: 600_000, lastUsedTime: NOW });
    const snapshot = makeSnapshot();
    snapshot.models.loaded = [instance];
    const store = createTrayStore(createFakeBridge(snapshot), snapshot);
    let commits = 0;
    render(
      <Profiler id="loaded" onRender={() => commits++}>
        <TrayProvider store={store}>
          <LoadedModels />
        </TrayProvider>
      </Profiler>,
    );
    return { commits: () => commits };
  }

  it('re-renders once per change of the shown text, not on every tick', async () => {
    const { commits } = renderLoaded();
    expect(screen.getByText(/unloads in 10 min/)).toBeTruthy();
    const before = commits();
    // Second by second, each in its own act() so every render would be a commit of its own.
    for (let second = 0; second < 300; second++) await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByText(/unloads in 5 min/)).toBeTruthy();
    // 10 → 5 min is five changes of the text: five renders in 300 seconds.
    expect(commits() - before).toBe(5);
  });

  it('stops while the page is hidden and catches up, once, when it is shown', async () => {
    const { commits } = renderLoaded();
    act(() => setVisibility('hidden'));
    const before = commits();
    await act(() => vi.advanceTimersByTimeAsync(3 * 60_000));
    expect(commits()).toBe(before);
    expect(vi.getTimerCount()).toBe(0);

    act(() => setVisibility('visible'));
    expect(commits()).toBe(before + 1);
    expect(screen.getByText(/unloads in 7 min/)).toBeTruthy();
  });
});

describe('repeated events', () => {
  it('re-render nothing when they repeat what the page shows', async () => {
    const snapshot = makeSnapshot({
      downloads: [makeDownload({ percent: 40 })],
    });
    snapshot.models.models = [makeModel(), makeModel({ key: 'google/gemma-3-4b', displayName: 'Gemma 3 4B' })];
    const bridge = createFakeBridge(snapshot);
    bridge.handle('app:get-snapshot', () => ok(structuredClone(snapshot)));
    // As the page does before showing a first snapshot with downloads: their rows' code is here.
    await loadFirstViewParts(snapshot);
    const store = createTrayStore(bridge, structuredClone(snapshot));
    store.getState().start();
    let renders = 0;
    const commits = () => renders;
    render(
      <Profiler id="popup" onRender={() => renders++}>
        <App store={store} />
      </Profiler>,
    );
    // The fresh snapshot read at start repeats the one the page came with.
    await act(() => Promise.resolve());
    await vi.waitFor(() => expect(bridge.callsOf('app:get-snapshot')).toHaveLength(1));
    await act(() => Promise.resolve());
    const before = commits();

    act(() => {
      bridge.emit('server:status-changed', structuredClone(snapshot.status));
      bridge.emit('models:changed', structuredClone(snapshot.models));
      bridge.emit('downloads:changed', structuredClone(snapshot.downloads));
      bridge.emit('loads:changed', []);
      bridge.emit('activity:changed', structuredClone(snapshot.activity));
      bridge.emit('settings:changed', structuredClone(snapshot.settings));
    });
    expect(commits()).toBe(before);

    act(() => bridge.emit('downloads:changed', [makeDownload({ percent: 41 })]));
    expect(commits()).toBe(before + 1);
    expect(screen.getByRole('progressbar', { name: /^Downloading / }).getAttribute('aria-valuenow')).toBe('41');
  });
});
