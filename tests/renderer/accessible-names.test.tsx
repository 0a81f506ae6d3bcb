/**
 * Design brief §4: the popup as a screen reader (and every end-to-end test) sees it. Each row of
 * that table is checked here by role and exact accessible name, in the state where it applies.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_STATE_LABELS, type ServerState } from '../../electron/shared/contract';
import { App } from '../../renderer/src/App';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, fail, ok } from './fake-bridge';
import {
  makeDownload,
  makeInstance,
  makeLoading,
  makeMemoryUse,
  makeModel,
  makeModelActivity,
  makeSnapshot,
  makeStatus,
} from './fixtures';
import { renderPopup } from './render';

afterEach(cleanup);

const statusLine = () => screen.getByRole('status', { name: 'Server status' });

describe('§4 server state line', () => {
  it('says Checking before the first snapshot', () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:get-snapshot', () => new Promise(() => {}));
    const store = createTrayStore(bridge);
    store.getState().start();
    render(<App store={store} />);
    expect(statusLine().textContent).toMatch(/^Checking/);
  });

  it('says why it is still Checking when the tray app did not answer, and tries again', async () => {
    const bridge = createFakeBridge(makeSnapshot());
    bridge.handle('app:get-snapshot', () => fail('unavailable', 'The connection to the tray app was lost.'));
    const store = createTrayStore(bridge);
    store.getState().start();
    render(<App store={store} />);
    await waitFor(() => expect(statusLine().textContent).toContain('The connection to the tray app was lost.'));
    expect(statusLine().textContent).toMatch(/^Checking/);
    bridge.handle('app:get-snapshot', () => ok(makeSnapshot()));
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(statusLine().textContent).toMatch(/^Online/));
  });

  const cases: Array<[ServerState, string]> = [
    ['online', 'Port 1234'],
    ['offline', 'LM Studio is not running.'],
    ['server-stopped', 'LM Studio is running, but its server is off.'],
    ['not-responding', 'does not answer'],
    ['unauthorized', 'asks for an API token'],
    ['foreign', 'Another program answers'],
  ];
  for (const [state, detail] of cases) {
    it(`starts with "${SERVER_STATE_LABELS[state]}" then explains (${state})`, async () => {
      await renderPopup(makeSnapshot({ status: makeStatus({ state }) }));
      const text = statusLine().textContent ?? '';
      expect(text.startsWith(SERVER_STATE_LABELS[state])).toBe(true);
      expect(text).toContain(detail);
    });
  }

  it('shows the core’s own words when it gave some', async () => {
    const detail = 'LM Studio is not running. Start it, or run `lms server start`.';
    await renderPopup(makeSnapshot({ status: makeStatus({ state: 'offline', detail }) }));
    expect(statusLine().textContent).toBe(`Offline. ${detail}`);
  });

  it('names the port and the API generation when online', async () => {
    await renderPopup(makeSnapshot({ status: makeStatus({ apiGeneration: 'v0', port: 4321 }) }));
    expect(statusLine().textContent).toBe('Online. Port 4321 · REST API v0 (LM Studio 0.3)');
  });
});

describe('§4 Start server', () => {
  for (const state of ['offline', 'server-stopped'] as const) {
    it(`is offered when ${state} and lms is available, and starts the server`, async () => {
      const { bridge } = await renderPopup(makeSnapshot({ status: makeStatus({ state }) }), (b) =>
        b.handle('server:start', () => ok(makeStatus({ state: 'online' }))),
      );
      fireEvent.click(screen.getByRole('button', { name: 'Start server' }));
      await waitFor(() => expect(statusLine().textContent).toMatch(/^Online/));
      expect(bridge.callsOf('server:start')).toHaveLength(1);
    });
  }

  it('is replaced by an install link when offline without lms', async () => {
    await renderPopup(
      makeSnapshot({ status: makeStatus({ state: 'offline', lmsPath: null, lmsSearched: ['/usr/bin/lms'] }) }),
    );
    expect(screen.queryByRole('button', { name: 'Start server' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Install LM Studio' }).getAttribute('href')).toBe(
      'https://lmstudio.ai/download',
    );
  });

  it('appears when the server goes down after the popup showed it online', async () => {
    const { bridge } = await renderPopup();
    act(() => bridge.emit('server:status-changed', makeStatus({ state: 'offline' })));
    expect(await screen.findByRole('button', { name: 'Start server' })).toBeTruthy();
  });

  it('is not offered while online', async () => {
    await renderPopup();
    expect(screen.queryByRole('button', { name: 'Start server' })).toBeNull();
  });
});

describe('§4 models', () => {
  const snapshot = makeSnapshot({
    models: {
      models: [
        makeModel({ loadedInstances: [makeInstance()] }),
        makeModel({ key: 'google/gemma-3-12b', displayName: 'Gemma 3 12B', vision: true }),
      ],
      loaded: [makeInstance(), makeInstance({ identifier: 'qwen/qwen3-4b:2' })],
      stale: false,
      updatedAt: 1,
      source: 'v1',
    },
  });

  it('lists loaded instances in the "Loaded models" region, each with its Unload', async () => {
    const { bridge } = await renderPopup(snapshot, (b) => {
      b.handle('models:unload', () => ok({ keepTurnedOff: [] }));
      b.handle('models:unload-all', () => ok({ unloaded: 2, keepTurnedOff: [] }));
    });
    const region = screen.getByRole('region', { name: 'Loaded models' });
    const items = within(region).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([
      expect.stringContaining('qwen/qwen3-4b'),
      expect.stringContaining('qwen/qwen3-4b:2'),
    ]);
    fireEvent.click(within(region).getByRole('button', { name: 'Unload qwen/qwen3-4b:2' }));
    fireEvent.click(within(region).getByRole('button', { name: 'Unload all' }));
    await waitFor(() => expect(bridge.callsOf('models:unload-all')).toHaveLength(1));
    expect(bridge.callsOf('models:unload')).toEqual([{ identifier: 'qwen/qwen3-4b:2' }]);
  });

  it('lists downloaded models in the "Downloaded models" region, each with its Load', async () => {
    const { bridge } = await renderPopup(snapshot, (b) => b.handle('models:load', () => new Promise(() => {})));
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    const items = within(region).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[1]!.textContent).toContain('google/gemma-3-12b');
    // Exact names: "Loaded models" is a substring of "Downloaded models", "Load X" of "Unload X".
    expect(screen.getAllByRole('region', { name: 'Loaded models' })).toHaveLength(1);

    fireEvent.click(within(region).getByRole('button', { name: 'Load google/gemma-3-12b' }));
    const bar = await within(region).findByRole('progressbar', { name: 'Loading google/gemma-3-12b' });
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(bridge.callsOf('models:load')).toEqual([{ modelKey: 'google/gemma-3-12b' }]);
  });

  it('shows the core’s load progress, and the options the path cannot apply', async () => {
    await renderPopup({
      ...snapshot,
      loading: [makeLoading({ progress: 0.42, via: 'lms', unsupportedOptions: ['ttlSeconds'] })],
    });
    const bar = screen.getByRole('progressbar', { name: 'Loading google/gemma-3-12b' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    const row = bar.closest('li')!;
    expect(row.textContent).toContain('TTL unavailable on this path');
  });
});

describe('§4 downloads', () => {
  it('has the "Model to download" textbox and exactly one button named "Download"', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', (payload) => ok(makeDownload({ model: payload!.model, status: 'queued' }))),
    );
    const input = screen.getByRole('textbox', { name: 'Model to download' });
    fireEvent.change(input, { target: { value: '  qwen/qwen3-4b@q4_k_m  ' } });
    const buttons = screen.getAllByRole('button', { name: 'Download' });
    expect(buttons).toHaveLength(1);
    fireEvent.click(buttons[0]!);
    await waitFor(() => expect(bridge.callsOf('downloads:start')).toEqual([{ model: 'qwen/qwen3-4b@q4_k_m' }]));
    const region = await screen.findByRole('region', { name: 'Downloads' });
    // The first download brings the rows' code, loaded on demand.
    expect((await within(region).findByRole('listitem')).textContent).toContain('qwen/qwen3-4b@q4_k_m');
  });

  it('keeps the Downloads region in place when there are none, saying so', async () => {
    await renderPopup(makeSnapshot({ downloads: [] }));
    const region = screen.getByRole('region', { name: 'Downloads' });
    expect(within(region).queryAllByRole('listitem')).toEqual([]);
    expect(region.textContent).toContain('No downloads.');
  });

  it('shows each download with its progress bar and Cancel, and keeps finished ones with their outcome', async () => {
    const { bridge } = await renderPopup(
      makeSnapshot({
        downloads: [
          makeDownload(),
          makeDownload({
            id: 'd2',
            model: 'openai/gpt-oss-20b',
            status: 'failed',
            message: 'Disk full. Free space and retry.',
          }),
          makeDownload({ id: 'd3', model: 'qwen/qwen3-4b', status: 'completed', percent: 100 }),
        ],
      }),
      (b) => {
        b.handle('downloads:cancel', () => ok(makeDownload({ status: 'cancelled' })));
        b.handle('downloads:retry', () =>
          ok(makeDownload({ id: 'd2', model: 'openai/gpt-oss-20b', status: 'queued' })),
        );
      },
    );
    const region = screen.getByRole('region', { name: 'Downloads' });
    expect(within(region).getAllByRole('listitem')).toHaveLength(3);

    const bar = within(region).getByRole('progressbar', { name: 'Downloading google/gemma-3-12b' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    const active = bar.closest('li')!;
    expect(active.textContent).toContain('3.43 GB of 8.07 GB · 25 MB/s · 3 min 6 s left');

    const failed = within(region).getAllByRole('listitem')[1]!;
    expect(failed.textContent).toContain('Disk full. Free space and retry.');
    fireEvent.click(within(failed).getByRole('button', { name: 'Retry download of openai/gpt-oss-20b' }));
    expect(within(failed).getByRole('button', { name: 'Dismiss download of openai/gpt-oss-20b' })).toBeTruthy();

    expect(
      within(region).getByRole('progressbar', { name: 'Downloading qwen/qwen3-4b' }).getAttribute('aria-valuenow'),
    ).toBe('100');

    fireEvent.click(within(region).getByRole('button', { name: 'Cancel download of google/gemma-3-12b' }));
    await waitFor(() => expect(bridge.callsOf('downloads:cancel')).toEqual([{ id: 'd1' }]));
    expect(bridge.callsOf('downloads:retry')).toEqual([{ id: 'd2' }]);
  });

  it('explains attached and stalled downloads', async () => {
    await renderPopup(
      makeSnapshot({
        downloads: [
          makeDownload({ attached: true }),
          makeDownload({ id: 'd2', model: 'openai/gpt-oss-20b', status: 'stalled' }),
          makeDownload({ id: 'd3', model: 'x/y', status: 'continuing' }),
        ],
      }),
    );
    const [attached, stalled, continuing] = within(screen.getByRole('region', { name: 'Downloads' })).getAllByRole(
      'listitem',
    );
    expect(attached!.textContent).toContain('Already in progress in LM Studio');
    expect(stalled!.textContent).toContain('No new bytes for a while');
    expect(continuing!.textContent).toContain('the download goes on inside LM Studio');
  });
});

describe('§4 issue 9 names', () => {
  it('has the checkbox "Load when done" under "Model to download", sent with the download', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', (payload) => ok(makeDownload({ model: payload!.model, loadWhenDone: true }))),
    );
    const region = screen.getByRole('region', { name: 'Get models' });
    const checkbox = within(region).getByRole('checkbox', { name: 'Load when done' });
    expect((checkbox as HTMLInputElement).checked).toBe(false);
    fireEvent.click(checkbox);
    fireEvent.change(screen.getByRole('textbox', { name: 'Model to download' }), {
      target: { value: 'qwen/qwen3-4b' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    await waitFor(() =>
      expect(bridge.callsOf('downloads:start')).toEqual([{ model: 'qwen/qwen3-4b', loadWhenDone: true }]),
    );
  });

  it('has the switch "Keep MODELKEY loaded" in the options opened by "Load options for MODELKEY"', async () => {
    await renderPopup();
    fireEvent.click(screen.getByRole('button', { name: 'Load options for qwen/qwen3-4b' }));
    const toggle = await screen.findByRole('switch', { name: 'Keep qwen/qwen3-4b loaded' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
  });

  it('has the alertdialog "Load MODELKEY anyway?" with "Try anyway" and "Cancel"', async () => {
    const { store } = await renderPopup();
    const estimate = {
      modelKey: 'qwen/qwen3-4b',
      options: {},
      gpuBytes: null,
      totalBytes: 40 * 1024 ** 3,
      confidence: 'low' as const,
      passesGuardrails: false,
    };
    act(() => store.setState({ confirmLoad: { modelKey: 'qwen/qwen3-4b', options: {}, estimate, memory: null } }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Load qwen/qwen3-4b anyway?' });
    expect(
      within(dialog)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Cancel', 'Try anyway']);
    expect(screen.getByRole('button', { name: 'Try anyway' })).toBeTruthy();
  });

  for (const status of ['stalled', 'retrying', 'waiting'] as const) {
    it(`has "Retry download of MODEL" and "Cancel download of MODEL" on a ${status} row, and no Dismiss`, async () => {
      await renderPopup(makeSnapshot({ downloads: [makeDownload({ status, nextRetryAt: Date.now() + 28_000 })] }));
      const row = within(screen.getByRole('region', { name: 'Downloads' })).getByRole('listitem');
      expect(within(row).getByRole('button', { name: 'Retry download of google/gemma-3-12b' }).textContent).toBe(
        'Retry now',
      );
      expect(within(row).getByRole('button', { name: 'Cancel download of google/gemma-3-12b' })).toBeTruthy();
      expect(within(row).queryByRole('button', { name: 'Dismiss download of google/gemma-3-12b' })).toBeNull();
    });
  }
});

describe('§4 issue 10 names', () => {
  it('has the region "Activity", and a loaded model’s row says "Generating" while it answers', async () => {
    const snapshot = makeSnapshot({
      activity: { state: 'following', message: null, models: [makeModelActivity({ inProgress: 1 })] },
    });
    snapshot.models.loaded = [makeInstance()];
    const { bridge } = await renderPopup(snapshot);
    const region = screen.getByRole('region', { name: 'Activity' });
    expect(region.textContent).toContain('qwen/qwen3-4b · 3 requests in 5 min · 42.0 tok/s median · TTFT 0.3 s');
    const row = within(screen.getByRole('region', { name: 'Loaded models' })).getByRole('listitem');
    expect(within(row).getByText('Generating')).toBeTruthy();
    act(() => bridge.emit('activity:changed', { ...snapshot.activity, models: [makeModelActivity()] }));
    expect(within(row).queryByText('Generating')).toBeNull();
  });

  it('has the meter "Memory used by models"', async () => {
    await renderPopup(makeSnapshot(), (b) =>
      b.handle('models:memory', () => ok({ known: true, memory: makeMemoryUse() })),
    );
    const meter = await screen.findByRole('meter', { name: 'Memory used by models' });
    expect(meter.getAttribute('aria-valuetext')).toContain('used by models');
  });

  it('has "Copy diagnostics" and "Save diagnostics" in the view the "Settings" button opens', async () => {
    await renderPopup();
    expect(screen.queryByRole('button', { name: 'Copy diagnostics' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    expect(await screen.findByRole('button', { name: 'Copy diagnostics' })).toBeTruthy();
    expect(screen.getAllByRole('button', { name: 'Save diagnostics' })).toHaveLength(1);
  });
});

describe('§4 errors', () => {
  it('shows a refused command as an alert with its message, dismissible', async () => {
    await renderPopup(
      makeSnapshot({
        models: { models: [], loaded: [makeInstance()], stale: false, updatedAt: 1, source: 'v1' },
      }),
      (b) => b.handle('models:unload', () => fail('lms-failed', 'lms failed to unload. Run `lms ps` to see why.')),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Unload qwen/qwen3-4b' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('lms failed to unload. Run `lms ps` to see why.');
    await act(async () => fireEvent.click(within(alert).getByRole('button', { name: 'Dismiss error' })));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
