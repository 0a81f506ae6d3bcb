import { afterEach, describe, expect, it } from 'vitest';
import { createTrayStore } from '../../renderer/src/store';
import { followViewHash } from '../../renderer/src/view-from-hash';
import { createFakeBridge } from './fake-bridge';
import { makeSnapshot } from './fixtures';

describe('followViewHash', () => {
  let stop: (() => void) | null = null;
  afterEach(() => {
    stop?.();
    window.history.replaceState(null, '', '/');
  });

  it('opens settings for #settings, then clears the hash so the tray item works again', () => {
    const store = createTrayStore(createFakeBridge(makeSnapshot()));
    stop = followViewHash(store);
    expect(store.getState().view).toBe('main');

    window.location.hash = 'settings';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(store.getState().view).toBe('settings');
    expect(window.location.hash).toBe('');

    store.getState().showView('main');
    window.location.hash = 'settings';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(store.getState().view).toBe('settings');
  });

  it('leaves other hashes alone', () => {
    const store = createTrayStore(createFakeBridge(makeSnapshot()));
    window.location.hash = 'models';
    stop = followViewHash(store);
    expect(store.getState().view).toBe('main');
    expect(window.location.hash).toBe('#models');
  });
});
