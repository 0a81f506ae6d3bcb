/**
 * Issue 9: what a download row says in each new state (waiting, retrying, stalled, failed with its
 * kind, a warning), and the retry countdown, which re-renders only when its text changes and not
 * at all while the page is hidden.
 */
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DownloadState } from '../../electron/shared/contract';
import { retryText } from '../../renderer/src/components/DownloadRows';
import { Downloads, downloadRows } from '../../renderer/src/components/Downloads';
import { TrayProvider } from '../../renderer/src/context';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, ok } from './fake-bridge';
import { makeDownload, makeSnapshot, NOW } from './fixtures';

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

// The rows load on demand; here they are the subject, so their code is here before each render.
beforeAll(() => downloadRows.load());

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  setVisibility('visible');
});

function renderRows(downloads: DownloadState[]) {
  const snapshot = makeSnapshot({ downloads });
  const bridge = createFakeBridge(snapshot);
  bridge.handle('downloads:retry', (payload) => ok(downloads.find((d) => d.id === payload!.id)!));
  const store = createTrayStore(bridge, snapshot);
  let commits = 0;
  render(
    <Profiler id="downloads" onRender={() => commits++}>
      <TrayProvider store={store}>
        <Downloads />
      </TrayProvider>
    </Profiler>,
  );
  const rows = within(screen.getByRole('region', { name: 'Downloads' })).getAllByRole('listitem');
  return { bridge, rows, commits: () => commits };
}

const buttonNames = (row: HTMLElement) =>
  within(row)
    .getAllByRole('button')
    .map((b) => b.getAttribute('aria-label'));

describe('retryText', () => {
  it('counts down to the attempt the row is retrying toward', () => {
    const download = { attempt: 2, nextRetryAt: NOW + 28_000 };
    expect(retryText(download, NOW)).toBe('Retrying in 28 s (attempt 2)');
    expect(retryText(download, NOW + 27_001)).toBe('Retrying in 1 s (attempt 2)');
    expect(retryText(download, NOW + 28_000)).toBe('Retrying now (attempt 2)');
    expect(retryText({ attempt: 5, nextRetryAt: NOW + 150_000 }, NOW)).toBe('Retrying in 2 min 30 s (attempt 5)');
    expect(retryText({ attempt: 3, nextRetryAt: null }, NOW)).toBe('Retrying (attempt 3)');
  });
});

describe('download rows in the supervisor’s states', () => {
  it('waiting: says it waits for LM Studio without starting it, offers Retry now and Cancel, no Dismiss', async () => {
    const { bridge, rows } = renderRows([
      makeDownload({ status: 'waiting', percent: 30 }),
      makeDownload({ id: 'd2', model: 'x/rest', status: 'waiting', via: 'rest' }),
    ]);
    const [lms, rest] = rows;
    expect(lms!.textContent).toContain('Waiting for LM Studio');
    expect(lms!.textContent).toContain('It goes on when LM Studio is open, without starting it.');
    expect(rest!.textContent).toContain('It goes on when LM Studio’s server is back, without starting it.');
    expect(buttonNames(lms!)).toEqual([
      'Cancel download of google/gemma-3-12b',
      'Retry download of google/gemma-3-12b',
    ]);
    const retry = within(lms!).getByRole('button', { name: 'Retry download of google/gemma-3-12b' });
    expect(retry.textContent).toBe('Retry now');
    fireEvent.click(retry);
    await vi.waitFor(() => expect(bridge.callsOf('downloads:retry')).toEqual([{ id: 'd1' }]));
  });

  it('stalled: keeps following it, with Cancel and Retry now, no Dismiss', () => {
    const { rows } = renderRows([makeDownload({ status: 'stalled' })]);
    expect(rows[0]!.textContent).toContain('Stalled');
    expect(rows[0]!.textContent).toContain('No new bytes for a while');
    expect(buttonNames(rows[0]!)).toEqual([
      'Cancel download of google/gemma-3-12b',
      'Retry download of google/gemma-3-12b',
    ]);
  });

  it('retrying: the countdown, the next attempt and why the last one failed, with Retry now', () => {
    vi.useFakeTimers({ now: NOW });
    const { rows } = renderRows([
      makeDownload({ status: 'retrying', attempt: 2, nextRetryAt: NOW + 28_000, failureKind: 'network' }),
    ]);
    expect(rows[0]!.textContent).toContain('Retrying in 28 s (attempt 2)');
    expect(rows[0]!.textContent).toContain('Network error.');
    expect(buttonNames(rows[0]!)).toEqual([
      'Cancel download of google/gemma-3-12b',
      'Retry download of google/gemma-3-12b',
    ]);
  });

  it('failed: the failure kind in words, the core’s message, Retry and Dismiss', () => {
    const message =
      'Not enough disk space for qwen/qwen3-4b: it needs 3.5 GB, 1.2 GB is free in /home/me/.lmstudio/models.';
    const { rows } = renderRows([
      makeDownload({ model: 'qwen/qwen3-4b', status: 'failed', failureKind: 'not-enough-disk', message }),
    ]);
    expect(rows[0]!.textContent).toContain('Failed');
    expect(rows[0]!.textContent).toContain('Not enough disk space.');
    expect(rows[0]!.textContent).toContain(message);
    expect(buttonNames(rows[0]!)).toEqual(['Retry download of qwen/qwen3-4b', 'Dismiss download of qwen/qwen3-4b']);
    expect(within(rows[0]!).getByRole('button', { name: 'Retry download of qwen/qwen3-4b' }).textContent).toBe('Retry');
  });

  it('shows the warning as an alert, the attempt number and that it loads the model when done', () => {
    const warning =
      'The disk holding /home/me/.lmstudio/models has 1.4 GB free: pause this download in LM Studio, it cannot be stopped from here.';
    const { rows } = renderRows([makeDownload({ via: 'rest', warning, attempt: 3, loadWhenDone: true })]);
    expect(within(rows[0]!).getByRole('alert').textContent).toBe(warning);
    expect(rows[0]!.textContent).toContain('attempt 3');
    expect(rows[0]!.textContent).toContain('then loads it');
  });

  it('a finished download with Load when done says it is being loaded, not that it is ready to load', () => {
    const { rows } = renderRows([
      makeDownload({ id: 'a', status: 'completed', loadWhenDone: true, endedAt: NOW }),
      makeDownload({ id: 'b', model: 'x/y', status: 'completed', endedAt: NOW }),
    ]);
    expect(rows[0]!.textContent).toContain('Load when done: LM Studio Tray loads it now.');
    expect(rows[0]!.textContent).not.toContain('Ready to load');
    expect(rows[1]!.textContent).toContain('Ready to load from Downloaded models.');
  });

  it('says nothing of attempts or loading for a first attempt without Load when done', () => {
    const { rows } = renderRows([makeDownload()]);
    expect(rows[0]!.textContent).not.toContain('attempt');
    expect(rows[0]!.textContent).not.toContain('then loads it');
    expect(within(rows[0]!).queryByRole('alert')).toBeNull();
  });
});

describe('the retry countdown', () => {
  it('re-renders once per second shown, not on every tick, then says it is retrying now', async () => {
    vi.useFakeTimers({ now: NOW });
    const { commits } = renderRows([makeDownload({ status: 'retrying', attempt: 2, nextRetryAt: NOW + 10_000 })]);
    const before = commits();
    // A quarter second at a time, 11 s (the text may be up to a quarter second late): a render per tick would be 44.
    for (let tick = 0; tick < 44; tick++) await act(() => vi.advanceTimersByTimeAsync(250));
    expect(screen.getByText('Retrying now (attempt 2)')).toBeTruthy();
    // 10 s → 1 s is nine changes, then "now": ten.
    expect(commits() - before).toBe(10);
  });

  it('stops while the page is hidden and catches up, once, when it is shown', async () => {
    vi.useFakeTimers({ now: NOW });
    const { commits } = renderRows([makeDownload({ status: 'retrying', attempt: 3, nextRetryAt: NOW + 60_000 })]);
    expect(screen.getByText('Retrying in 1 min (attempt 3)')).toBeTruthy();
    act(() => setVisibility('hidden'));
    const before = commits();
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(commits()).toBe(before);
    act(() => setVisibility('visible'));
    expect(commits()).toBe(before + 1);
    expect(screen.getByText('Retrying in 30 s (attempt 3)')).toBeTruthy();
  });
});
