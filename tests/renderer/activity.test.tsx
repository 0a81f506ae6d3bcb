/**
 * Issue 10 in the popup: a loaded row says `Generating` and its last tokens/s, the Activity region
 * has one line per model and a chart of its last 10 minutes that never redraws on a timer, and a
 * possibly stuck request is a warning line in its row.
 */
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivitySnapshot } from '../../electron/shared/contract';
import { activityParts } from '../../renderer/src/components/Activity';
import { ActivityRegion, activityLine, chartSamples, chartText } from '../../renderer/src/components/ActivityParts';
import { TrayProvider } from '../../renderer/src/context';
import { formatRate } from '../../renderer/src/format';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge } from './fake-bridge';
import { makeInstance, makeModelActivity, makeSample, makeSnapshot, NOW } from './fixtures';
import { renderPopup } from './render';

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  setVisibility('visible');
});

const following = (models = [makeModelActivity()]): ActivitySnapshot => ({ state: 'following', message: null, models });

function snapshotWith(activity: ActivitySnapshot, loaded = [makeInstance()]) {
  const snapshot = makeSnapshot({ activity });
  snapshot.models.loaded = loaded;
  return snapshot;
}

const loadedRow = (identifier: string) =>
  within(screen.getByRole('region', { name: 'Loaded models' }))
    .getAllByRole('listitem')
    .find((item) => item.textContent?.includes(identifier))!;
const activityRegion = () => screen.getByRole('region', { name: 'Activity' });

describe('formatRate', () => {
  it('gives one decimal below 100 and none above', () => {
    expect(formatRate(37.52)).toBe('37.5');
    expect(formatRate(42)).toBe('42.0');
    expect(formatRate(0.3)).toBe('0.3');
    expect(formatRate(99.96)).toBe('100');
    expect(formatRate(131.135)).toBe('131');
  });
});

describe('a loaded model’s row', () => {
  it('says Generating while the stream has a request in progress for its identifier, with its last tok/s', async () => {
    const { bridge } = await renderPopup(
      snapshotWith(following([makeModelActivity({ inProgress: 1, busySince: NOW })]), [
        makeInstance(),
        makeInstance({ identifier: 'qwen/qwen3-4b:2' }),
      ]),
    );
    const row = loadedRow('qwen/qwen3-4b');
    expect(within(row).getByText('Generating')).toBeTruthy();
    expect(row.textContent).toContain('last 37.5 tok/s');
    // Another instance of the same model is its own identifier: not generating, no figures.
    const other = loadedRow('qwen/qwen3-4b:2');
    expect(within(other).queryByText('Generating')).toBeNull();
    expect(other.textContent).not.toContain('tok/s');

    act(() =>
      bridge.emit('activity:changed', following([makeModelActivity({ last: makeSample({ tokensPerSecond: 131.2 }) })])),
    );
    expect(within(loadedRow('qwen/qwen3-4b')).queryByText('Generating')).toBeNull();
    expect(loadedRow('qwen/qwen3-4b').textContent).toContain('last 131 tok/s');
  });

  it('trusts the stream over a stale `lms ps` while it is followed, and `lms ps` when it is not', async () => {
    const { bridge } = await renderPopup(
      snapshotWith(following([makeModelActivity()]), [makeInstance({ activity: 'generating' })]),
    );
    expect(within(loadedRow('qwen/qwen3-4b')).queryByText('Generating')).toBeNull();
    act(() => bridge.emit('activity:changed', { state: 'unavailable', message: 'No lms here.', models: [] }));
    expect(within(loadedRow('qwen/qwen3-4b')).getByText('Generating')).toBeTruthy();
  });

  it('shows a possibly stuck request as a warning line that counts up', async () => {
    vi.useFakeTimers({ now: NOW, shouldAdvanceTime: true });
    await renderPopup(
      snapshotWith(following([makeModelActivity({ inProgress: 1, possiblyStuckSince: NOW - 14 * 60_000 })])),
    );
    const row = loadedRow('qwen/qwen3-4b');
    expect(
      await within(row).findByText(/Possibly stuck: a request has run for 14 min, far longer than usual/),
    ).toBeTruthy();
  });
});

describe('the Activity region', () => {
  it('has one line per model that ran, in the issue’s format, with the chart’s figures beside it', async () => {
    vi.useFakeTimers({ now: NOW, shouldAdvanceTime: true });
    await renderPopup(
      snapshotWith(
        following([
          makeModelActivity(),
          makeModelActivity({
            identifier: 'google/gemma-3-4b',
            requestsLast5Min: 1,
            medianTokensPerSecond: 112.4,
            medianTimeToFirstTokenSec: 1.25,
            recent: [makeSample({ at: NOW - 30_000, tokensPerSecond: 112.4 })],
          }),
        ]),
      ),
    );
    const items = within(activityRegion()).getAllByRole('listitem');
    expect(items.map((item) => item.querySelector('.activity__line')?.textContent)).toEqual([
      'qwen/qwen3-4b · 3 requests in 5 min · 42.0 tok/s median · TTFT 0.3 s',
      'google/gemma-3-4b · 1 request in 5 min · 112 tok/s median · TTFT 1.3 s',
    ]);
    expect(items[0]!.textContent).toContain('2 answers in 10 min · 37.5–42.0 tok/s');
    expect(items[1]!.textContent).toContain('1 answer in 10 min · 112 tok/s');
    // The chart is drawn from the numbers and hidden from assistive technology.
    const chart = items[0]!.querySelector('svg')!;
    expect(chart.getAttribute('aria-hidden')).toBe('true');
    expect(chart.querySelectorAll('circle')).toHaveLength(2);
    expect(chart.querySelector('polyline')?.getAttribute('points')).toBe('72,2 108,4.6');
  });

  it('leaves out figures it does not have yet (a first request still running)', () => {
    expect(
      activityLine(
        makeModelActivity({
          requestsLast5Min: 1,
          inProgress: 1,
          last: null,
          medianTokensPerSecond: null,
          medianTimeToFirstTokenSec: null,
          recent: [],
        }),
      ),
    ).toBe('qwen/qwen3-4b · 1 request in 5 min');
  });

  it('says so in one line when nothing ran', async () => {
    await renderPopup(snapshotWith(following([])));
    const region = activityRegion();
    expect(within(region).queryAllByRole('listitem')).toEqual([]);
    expect(within(region).getByText('Nothing generated in the last 10 minutes.')).toBeTruthy();
  });

  it('says in one line why there is no activity when the stream is not followed', async () => {
    await renderPopup(
      snapshotWith({ state: 'unavailable', message: 'Activity needs LM Studio 0.3.26 or newer.', models: [] }),
    );
    const region = activityRegion();
    expect(region.textContent).toContain('Activity needs LM Studio 0.3.26 or newer.');
    expect(region.textContent).not.toContain('Nothing generated');
  });

  it('keeps only the chart’s last 10 minutes', () => {
    const samples = [
      makeSample({ at: NOW - 11 * 60_000 }),
      makeSample({ at: NOW - 9 * 60_000, tokensPerSecond: null }),
      makeSample({ at: NOW - 5 * 60_000, tokensPerSecond: 30 }),
    ];
    expect(chartSamples(samples, NOW)).toEqual([samples[2]]);
    expect(chartText(chartSamples(samples, NOW))).toBe('1 answer in 10 min · 30.0 tok/s');
  });
});

describe('the chart while idle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });

  async function renderRegion(activity: ActivitySnapshot) {
    await activityParts.load();
    const snapshot = snapshotWith(activity);
    const bridge = createFakeBridge(snapshot);
    const store = createTrayStore(bridge, snapshot);
    store.getState().start();
    let commits = 0;
    render(
      <Profiler id="activity" onRender={() => commits++}>
        <TrayProvider store={store}>
          <ActivityRegion />
        </TrayProvider>
      </Profiler>,
    );
    await act(() => vi.advanceTimersByTimeAsync(0));
    return { bridge, commits: () => commits };
  }

  const points = () => activityRegion().querySelectorAll('circle').length;

  it('never redraws on a timer: points age out when a new event arrives', async () => {
    const { bridge, commits } = await renderRegion(following());
    expect(points()).toBe(2);
    const before = commits();
    // Ten idle minutes, minute by minute: both points are now older than the chart's window.
    for (let minute = 0; minute < 10; minute++) await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(commits()).toBe(before);
    expect(points()).toBe(2);

    // A new answer for another model: the chart is drawn again, at the new time.
    act(() =>
      bridge.emit(
        'activity:changed',
        following([
          makeModelActivity({ requestsLast5Min: 0 }),
          makeModelActivity({ identifier: 'google/gemma-3-4b', recent: [makeSample({ at: Date.now() })] }),
        ]),
      ),
    );
    expect(commits()).toBeGreaterThan(before);
    const items = within(activityRegion()).getAllByRole('listitem');
    expect(items.map((item) => item.querySelector('.activity__line')?.textContent?.split(' · ')[0])).toEqual([
      'google/gemma-3-4b',
    ]);
    expect(points()).toBe(1);
  });

  it('ages points out when the page is shown again, not while it is hidden', async () => {
    const { commits } = await renderRegion(following([makeModelActivity({ requestsLast5Min: 0 })]));
    act(() => setVisibility('hidden'));
    const before = commits();
    await act(() => vi.advanceTimersByTimeAsync(9 * 60_000));
    expect(commits()).toBe(before);
    act(() => setVisibility('visible'));
    // The newer point is 10 minutes old now, the older one long gone: nothing ran lately.
    expect(points()).toBe(0);
    expect(activityRegion().textContent).toContain('Nothing generated in the last 10 minutes.');
  });
});
