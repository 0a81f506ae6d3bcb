import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_SNAPSHOT_ELEMENT_ID } from '../../electron/shared/web-protocol';
import { readFirstSnapshot } from '../../renderer/src/first-snapshot';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge } from './fake-bridge';
import { makeSnapshot } from './fixtures';

function addBlock(text: string) {
  const element = document.createElement('script');
  element.type = 'application/json';
  element.id = FIRST_SNAPSHOT_ELEMENT_ID;
  element.textContent = text;
  document.head.append(element);
}

afterEach(() => document.getElementById(FIRST_SNAPSHOT_ELEMENT_ID)?.remove());

describe('the first snapshot shipped with the page', () => {
  it('is read once, taken out of the page, and shown by the store before any command', () => {
    const snapshot = makeSnapshot();
    addBlock(JSON.stringify(snapshot));
    const first = readFirstSnapshot();
    expect(first).toEqual(snapshot);
    expect(document.getElementById(FIRST_SNAPSHOT_ELEMENT_ID)).toBeNull();

    const bridge = createFakeBridge(snapshot);
    const state = createTrayStore(bridge, first).getState();
    expect(state.status).toEqual(snapshot.status);
    expect(state.models).toEqual(snapshot.models);
    expect(state.settings).toEqual(snapshot.settings);
    expect(bridge.calls).toEqual([]);
  });

  it('is ignored when absent, not JSON, or not a snapshot (the socket brings one)', () => {
    expect(readFirstSnapshot()).toBeNull();
    addBlock('{not json');
    expect(readFirstSnapshot()).toBeNull();
    addBlock(JSON.stringify({ status: null, models: [] }));
    expect(readFirstSnapshot()).toBeNull();
  });
});
