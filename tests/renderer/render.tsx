/** Renders the whole popup on a fake bridge and waits until the first snapshot is shown. */
import { render, screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';
import type { AppSnapshot } from '../../electron/shared/contract';
import { App, loadFirstViewParts } from '../../renderer/src/App';
import { createTrayStore, type TrayStore } from '../../renderer/src/store';
import { createFakeBridge, type FakeBridge } from './fake-bridge';
import { makeSnapshot } from './fixtures';

export async function renderPopup(
  snapshot: AppSnapshot = makeSnapshot(),
  configure?: (bridge: FakeBridge) => void,
): Promise<{ bridge: FakeBridge; store: TrayStore; stop: () => void }> {
  const bridge = createFakeBridge(snapshot);
  configure?.(bridge);
  // As the page does before hydrating a first snapshot: the parts it shows that load on demand are
  // here first, so a test reads the first view at once (tests of the on-demand path render App itself).
  await loadFirstViewParts(snapshot);
  const store = createTrayStore(bridge);
  const stop = store.getState().start();
  render(<App store={store} />);
  await waitFor(() => expect(store.getState().status).not.toBeNull());
  await screen.findByRole('status', { name: 'Server status' });
  return { bridge, store, stop };
}
