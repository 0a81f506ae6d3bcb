/**
 * Issue 9 in a model's load options: the memory estimate (debounced, following the context length,
 * beside the machine's memory, or why there is none), the `Keep MODELKEY loaded` switch, and
 * `Load MODELKEY anyway?` before a load the last estimate says the guardrails will refuse.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  EstimateAnswer,
  KeptModelState,
  LoadOptions,
  MemoryEstimate,
  ModelEntry,
} from '../../electron/shared/contract';
import { ESTIMATE_DEBOUNCE_MS, LoadOptionsPanel } from '../../renderer/src/components/LoadOptionsPanel';
import { TrayProvider } from '../../renderer/src/context';
import { createTrayStore } from '../../renderer/src/store';
import { createFakeBridge, type FakeBridge, fail, ok } from './fake-bridge';
import { makeInstance, makeModel, makeSettings, makeSnapshot } from './fixtures';
import { renderPopup } from './render';

const GIB = 1024 ** 3;

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** An estimate that grows with the context length, as LM Studio's does; over 16 GiB the guardrails refuse. */
function estimateFor(modelKey: string, options: LoadOptions = {}): MemoryEstimate {
  const context = options.contextLength ?? 4096;
  const totalBytes = Math.round((4 + context / 8192) * 1.2 * GIB);
  return {
    modelKey,
    options,
    gpuBytes: options.gpuOffload === 'off' ? 0 : totalBytes,
    totalBytes,
    confidence: 'high',
    passesGuardrails: totalBytes <= 16 * GIB,
  };
}

const MEMORY = {
  ramTotalBytes: 32 * GIB,
  ramFreeBytes: Math.round(12.3 * GIB),
  vramTotalBytes: 24 * GIB,
  gpus: [{ name: 'RTX 4090', vramBytes: 24 * GIB }],
};

function answerEstimates(bridge: FakeBridge) {
  bridge.handle('models:estimate', (payload) =>
    ok<EstimateAnswer>({
      estimate: estimateFor(payload!.modelKey, payload!.options),
      unavailableReason: null,
      memory: MEMORY,
    }),
  );
}

/** The panel alone, on a store built from a snapshot (no lazy loading, so fake timers apply). */
function renderPanel(model: ModelEntry = makeModel(), configure?: (bridge: FakeBridge) => void, settings = {}) {
  const snapshot = makeSnapshot({ settings: makeSettings(settings) });
  const bridge = createFakeBridge(snapshot);
  configure?.(bridge);
  const store = createTrayStore(bridge, snapshot);
  render(
    <TrayProvider store={store}>
      <LoadOptionsPanel
        id="panel"
        model={model}
        reason={null}
        reasonId="reason"
        onDone={() => {}}
        onResize={() => {}}
      />
    </TrayProvider>,
  );
  return { bridge, store };
}

const estimateLine = () => document.querySelector('.estimate')?.textContent ?? '';

describe('the memory estimate in the load options', () => {
  it('is asked once the fields rest, and changes with the context length', async () => {
    vi.useFakeTimers();
    const { bridge } = renderPanel(makeModel(), answerEstimates);
    expect(estimateLine()).toContain('Estimating the memory it needs…');
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS - 1));
    expect(bridge.callsOf('models:estimate')).toEqual([]);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(bridge.callsOf('models:estimate')).toEqual([{ modelKey: 'qwen/qwen3-4b', options: {} }]);
    expect(estimateLine()).toContain('Needs about 5.4 GiB (GPU 5.4 GiB) · LM Studio’s guardrails allow it');
    expect(estimateLine()).toContain('This machine: RAM 32 GiB, 12.3 GiB free · VRAM 24 GiB');

    // Typed digit by digit, 100 ms apart: one estimate, for what the field says once it rests.
    const context = screen.getByLabelText('Context length');
    for (const typed of ['1', '16', '163', '1638', '16384']) {
      fireEvent.change(context, { target: { value: typed } });
      await act(() => vi.advanceTimersByTimeAsync(100));
    }
    expect(bridge.callsOf('models:estimate')).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS));
    expect(bridge.callsOf('models:estimate')).toEqual([
      { modelKey: 'qwen/qwen3-4b', options: {} },
      { modelKey: 'qwen/qwen3-4b', options: { contextLength: 16384 } },
    ]);
    expect(estimateLine()).toContain('Needs about 7.2 GiB (GPU 7.2 GiB)');

    fireEvent.change(context, { target: { value: '98304' } });
    fireEvent.change(screen.getByLabelText('GPU offload'), { target: { value: 'off' } });
    // A TTL changes nothing in memory: it is not part of what is estimated.
    fireEvent.change(screen.getByLabelText('TTL (minutes)'), { target: { value: '10' } });
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS));
    expect(bridge.callsOf('models:estimate').at(-1)).toEqual({
      modelKey: 'qwen/qwen3-4b',
      options: { contextLength: 98_304, gpuOffload: 'off' },
    });
    expect(estimateLine()).toContain(
      'Needs about 19.2 GiB (GPU 0 GiB) · over LM Studio’s guardrails: it would likely be refused',
    );
  });

  it('asks nothing for fields that are not valid', async () => {
    vi.useFakeTimers();
    const { bridge } = renderPanel(makeModel(), answerEstimates);
    fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '12' } });
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS * 3));
    expect(bridge.callsOf('models:estimate')).toEqual([]);
  });

  it('says in one line why there is none, beside the machine’s memory when known', async () => {
    vi.useFakeTimers();
    renderPanel(makeModel(), (bridge) =>
      bridge.handle('models:estimate', () =>
        ok<EstimateAnswer>({
          estimate: null,
          unavailableReason: 'Estimates need LM Studio running on this computer; it is closed.',
          memory: { ...MEMORY, vramTotalBytes: null, gpus: [] },
        }),
      ),
    );
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS));
    const lines = [...document.querySelectorAll('.estimate p')].map((p) => p.textContent);
    expect(lines).toEqual([
      'Estimates need LM Studio running on this computer; it is closed.',
      'This machine: RAM 32 GiB, 12.3 GiB free',
    ]);
  });

  it('shows a refused estimate’s message, not an alert', async () => {
    vi.useFakeTimers();
    renderPanel(makeModel(), (bridge) =>
      bridge.handle('models:estimate', () => fail('lms-missing', 'Estimates need the lms tool, which was not found.')),
    );
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS));
    expect(estimateLine()).toBe('Estimates need the lms tool, which was not found.');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('is not asked for when estimates are off in the settings', async () => {
    vi.useFakeTimers();
    const { bridge } = renderPanel(makeModel(), answerEstimates, { estimateMemory: false });
    await act(() => vi.advanceTimersByTimeAsync(ESTIMATE_DEBOUNCE_MS * 3));
    expect(bridge.callsOf('models:estimate')).toEqual([]);
    expect(document.querySelector('.estimate')).toBeNull();
  });
});

function kept(overrides: Partial<KeptModelState> = {}): KeptModelState {
  return {
    modelKey: 'qwen/qwen3-4b',
    options: { contextLength: 8192, gpuOffload: 'max' },
    state: 'ready',
    message: null,
    nextAttemptAt: null,
    ...overrides,
  };
}

describe('Keep MODELKEY loaded', () => {
  it('turns on with the options chosen then (no TTL), and off again', async () => {
    const { bridge } = renderPanel(makeModel(), (b) =>
      b.handle('models:keep', (payload) => ok(payload!.keep ? [kept({ state: 'waiting' })] : [])),
    );
    const toggle = screen.getByRole('switch', { name: 'Keep qwen/qwen3-4b loaded' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '8192' } });
    fireEvent.change(screen.getByLabelText('GPU offload'), { target: { value: 'max' } });
    fireEvent.change(screen.getByLabelText('TTL (minutes)'), { target: { value: '10' } });
    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('true'));
    expect(bridge.callsOf('models:keep')).toEqual([
      { modelKey: 'qwen/qwen3-4b', keep: true, options: { contextLength: 8192, gpuOffload: 'max' } },
    ]);
    // Not loaded yet: what the keeper waits for.
    expect(document.getElementById(toggle.getAttribute('aria-describedby')!)?.textContent).toContain(
      'Waiting for LM Studio and its server',
    );

    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('false'));
    expect(bridge.callsOf('models:keep')[1]).toEqual({ modelKey: 'qwen/qwen3-4b', keep: false });
  });

  it('does not turn on with options that are not valid, and says why', () => {
    const { bridge } = renderPanel(makeModel());
    fireEvent.change(screen.getByLabelText('Context length'), { target: { value: '12' } });
    fireEvent.click(screen.getByRole('switch', { name: 'Keep qwen/qwen3-4b loaded' }));
    expect(screen.getByRole('alert').textContent).toContain('Context length is a whole number');
    expect(bridge.callsOf('models:keep')).toEqual([]);
  });

  it('is on for a kept model and shows the keeper’s message when it is not simply loaded', async () => {
    const message = 'This server lists models only through /v1/models, so what is loaded cannot be known.';
    const snapshot = makeSnapshot({ kept: [kept({ state: 'unavailable', message })] });
    const store = createTrayStore(createFakeBridge(snapshot), snapshot);
    render(
      <TrayProvider store={store}>
        <LoadOptionsPanel id="p" model={makeModel()} reason={null} reasonId="r" onDone={() => {}} onResize={() => {}} />
      </TrayProvider>,
    );
    const toggle = screen.getByRole('switch', { name: 'Keep qwen/qwen3-4b loaded' });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    expect(screen.getByText(message)).toBeTruthy();
    act(() => store.setState({ kept: [kept()] }));
    expect(screen.queryByText(message)).toBeNull();
  });

  it('marks kept models Kept loaded in both lists, and says so when an unload turns a switch off', async () => {
    const instance = makeInstance();
    await renderPopup(
      makeSnapshot({
        models: {
          models: [makeModel({ loadedInstances: [instance] })],
          loaded: [instance],
          stale: false,
          updatedAt: 1,
          source: 'v1',
        },
        kept: [kept()],
      }),
      (b) => b.handle('models:unload', () => ok({ keepTurnedOff: ['qwen/qwen3-4b'] })),
    );
    const loadedRow = within(screen.getByRole('region', { name: 'Loaded models' })).getByRole('listitem');
    const downloadedRow = within(screen.getByRole('region', { name: 'Downloaded models' })).getByRole('listitem');
    expect(loadedRow.textContent).toContain('Kept loaded');
    expect(downloadedRow.textContent).toContain('Kept loaded');

    fireEvent.click(within(loadedRow).getByRole('button', { name: 'Unload qwen/qwen3-4b' }));
    const notice = await screen.findByText('Keep qwen/qwen3-4b loaded is now off: you unloaded it.');
    expect(notice.getAttribute('role')).toBe('status');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss message' }));
    expect(notice.textContent).toBe('');
  });
});

describe('Load MODELKEY anyway?', () => {
  const snapshot = () =>
    makeSnapshot({
      models: {
        models: [makeModel(), makeModel({ key: 'openai/gpt-oss-120b', displayName: 'gpt-oss 120B' })],
        loaded: [],
        stale: false,
        updatedAt: 1,
        source: 'v1',
      },
    });

  /** Opens the load options of the big model so its estimate (over the guardrails) is known, then closes them. */
  async function estimateBigModel() {
    const rendered = await renderPopup(snapshot(), (bridge) => {
      bridge.handle('models:estimate', (payload) =>
        ok<EstimateAnswer>({
          estimate: {
            ...estimateFor(payload!.modelKey, payload!.options),
            totalBytes: 70 * GIB,
            gpuBytes: 60 * GIB,
            passesGuardrails: false,
          },
          unavailableReason: null,
          memory: MEMORY,
        }),
      );
      bridge.handle('models:load', (payload) => ok({ identifier: payload!.modelKey }));
    });
    const disclosure = screen.getByRole('button', { name: 'Load options for openai/gpt-oss-120b' });
    fireEvent.click(disclosure);
    await waitFor(() => expect(estimateLine()).toContain('over LM Studio’s guardrails'));
    fireEvent.click(disclosure);
    return rendered;
  }

  it('asks before a load the estimate says will be refused: focus in it, Escape cancels, focus returns', async () => {
    const { bridge } = await estimateBigModel();
    const load = screen.getByRole('button', { name: 'Load openai/gpt-oss-120b' });
    load.focus();
    fireEvent.click(load);
    const dialog = await screen.findByRole('alertdialog', { name: 'Load openai/gpt-oss-120b anyway?' });
    expect(dialog.textContent).toContain('Needs about 70 GiB (GPU 60 GiB)');
    expect(dialog.textContent).toContain('“Model loading guardrails”');
    expect(dialog.textContent).toContain('RAM 32 GiB, 12.3 GiB free · VRAM 24 GiB');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(within(dialog).getByRole('button', { name: 'Try anyway' })).toBeTruthy();

    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement).toBe(load);
    expect(bridge.callsOf('models:load')).toEqual([]);
    // Escape answered the dialog; it did not also close the popup.
    expect(bridge.callsOf('popup:dismiss')).toEqual([]);
  });

  it('Cancel does not load; Try anyway loads with the same options', async () => {
    const { bridge } = await estimateBigModel();
    fireEvent.click(screen.getByRole('button', { name: 'Load openai/gpt-oss-120b' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Load openai/gpt-oss-120b anyway?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(bridge.callsOf('models:load')).toEqual([]);

    fireEvent.click(screen.getByRole('button', { name: 'Load openai/gpt-oss-120b' }));
    const again = await screen.findByRole('alertdialog', { name: 'Load openai/gpt-oss-120b anyway?' });
    fireEvent.click(within(again).getByRole('button', { name: 'Try anyway' }));
    await waitFor(() => expect(bridge.callsOf('models:load')).toEqual([{ modelKey: 'openai/gpt-oss-120b' }]));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('keeps Tab on its two buttons', async () => {
    await estimateBigModel();
    fireEvent.click(screen.getByRole('button', { name: 'Load openai/gpt-oss-120b' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Load openai/gpt-oss-120b anyway?' });
    const [cancel, tryAnyway] = within(dialog).getAllByRole('button');
    fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(tryAnyway);
    fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(dialog, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(tryAnyway);
  });

  it('does not ask for a model whose estimate passes, nor for options never estimated', async () => {
    const { bridge } = await estimateBigModel();
    fireEvent.click(screen.getByRole('button', { name: 'Load qwen/qwen3-4b' }));
    await waitFor(() => expect(bridge.callsOf('models:load')).toEqual([{ modelKey: 'qwen/qwen3-4b' }]));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('forgets the verdict when what is loaded changes', async () => {
    const { bridge, store } = await estimateBigModel();
    const instance = makeInstance();
    act(() => bridge.emit('models:changed', { ...store.getState().models!, loaded: [instance] }));
    fireEvent.click(screen.getByRole('button', { name: 'Load openai/gpt-oss-120b' }));
    await waitFor(() => expect(bridge.callsOf('models:load')).toEqual([{ modelKey: 'openai/gpt-oss-120b' }]));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});
