/** The simulator's logs stay bounded, so a long soak measures the tray's memory, not the simulator's. */
import { describe, expect, it } from 'vitest';
import { SimState } from '../../../e2e/simulator/state';

describe('simulator history', () => {
  it('keeps the last historyKept requests and lms runs', () => {
    const state = new SimState({ historyKept: 3 });
    for (let i = 0; i < 5; i++) {
      state.recordRequest('GET', `/${i}`);
      state.recordLmsInvocation(['ps', String(i)]);
    }
    expect(state.requests.map((r) => r.path)).toEqual(['/2', '/3', '/4']);
    expect(state.lmsInvocations).toEqual([
      ['ps', '2'],
      ['ps', '3'],
      ['ps', '4'],
    ]);
  });

  it('forgets ended downloads beyond the last 100, never a running one', () => {
    const state = new SimState({});
    const entry = state.catalog[0]!;
    const running = state.startDownload(entry, entry.key, 'lms');
    for (let i = 0; i < 150; i++) state.cancelDownload(state.startDownload(entry, entry.key, 'lms').id);
    const last = state.startDownload(entry, entry.key, 'lms'); // a new download is when old ones go
    state.dispose();
    expect(state.downloads.filter((d) => d.status === 'cancelled')).toHaveLength(100);
    expect(state.downloads[0]).toBe(running);
    expect(state.downloads.at(-1)).toBe(last);
  });
});
