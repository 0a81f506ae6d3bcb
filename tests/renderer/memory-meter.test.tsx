/**
 * `Memory used by models`: asked with `models:memory` on mount, when the loaded list changes and
 * when the page is shown again (never on a timer), its value in text; a reason in one line when
 * the core cannot tell (a remote server).
 */
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryUseText } from '../../renderer/src/components/MemoryMeter';
import { ok } from './fake-bridge';
import { makeInstance, makeMemoryUse, makeSnapshot, makeStatus } from './fixtures';
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

const GIB = 1024 ** 3;

describe('memoryUseText', () => {
  it('says "about", in GiB as LM Studio shows memory, with the free RAM', () => {
    expect(memoryUseText(makeMemoryUse())).toBe('About 9.8 GiB of 64 GiB used by models · 21.3 GiB free');
  });

  it('says when the total is LM Studio’s own (RAM and VRAM)', () => {
    const memory = makeMemoryUse({ totalFrom: 'runtime-survey', totalBytes: 96 * GIB, vramTotalBytes: 32 * GIB });
    expect(memoryUseText(memory)).toBe('About 9.8 GiB of 96 GiB (RAM and VRAM) used by models · 21.3 GiB RAM free');
  });
});

describe('the Memory used by models meter', () => {
  it('shows the core’s figures as a meter with its value in text', async () => {
    const memory = makeMemoryUse();
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('models:memory', () => ok({ known: true, memory })),
    );
    const meter = await screen.findByRole('meter', { name: 'Memory used by models' });
    expect(meter.getAttribute('aria-valuemin')).toBe('0');
    expect(meter.getAttribute('aria-valuemax')).toBe(String(memory.totalBytes));
    expect(meter.getAttribute('aria-valuenow')).toBe(String(memory.modelsBytes));
    const text = 'About 9.8 GiB of 64 GiB used by models · 21.3 GiB free';
    expect(meter.getAttribute('aria-valuetext')).toBe(text);
    expect(within(screen.getByRole('region', { name: 'Activity' })).getByText(text)).toBeTruthy();
    expect(bridge.callsOf('models:memory')).toHaveLength(1);
  });

  it('asks again when the loaded list changes and when the page is shown, never on a timer', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let modelsBytes = 0;
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('models:memory', () => ok({ known: true, memory: makeMemoryUse({ modelsBytes }) })),
    );
    await screen.findByRole('meter', { name: 'Memory used by models' });
    const asked = () => bridge.callsOf('models:memory').length;
    expect(asked()).toBe(1);

    await act(() => vi.advanceTimersByTimeAsync(10 * 60_000));
    expect(asked()).toBe(1);

    modelsBytes = 2.3 * GIB;
    const snapshot = makeSnapshot();
    act(() => bridge.emit('models:changed', { ...snapshot.models, loaded: [makeInstance()] }));
    await waitFor(() => expect(asked()).toBe(2));
    await screen.findByText('About 2.3 GiB of 64 GiB used by models · 21.3 GiB free');

    // A refresh that repeats the same loaded list is no reason to ask.
    act(() => bridge.emit('models:changed', { ...snapshot.models, loaded: [makeInstance()], updatedAt: 2 }));
    act(() => setVisibility('hidden'));
    expect(asked()).toBe(2);
    act(() => setVisibility('visible'));
    await waitFor(() => expect(asked()).toBe(3));
  });

  it('shows no meter, and says why in one line, when the core cannot tell (a remote server)', async () => {
    const reason = 'Memory use is shown only for LM Studio on this computer.';
    await renderPopup(makeSnapshot({ status: makeStatus({ remote: true, baseUrl: 'http://10.0.0.5:1234' }) }), (b) =>
      b.handle('models:memory', () => ok({ known: false, reason })),
    );
    expect(await screen.findByText(reason)).toBeTruthy();
    expect(screen.queryByRole('meter')).toBeNull();
  });

  it('shows nothing, and no alert, when the command is refused', async () => {
    const { bridge } = await renderPopup(makeSnapshot());
    await waitFor(() => expect(bridge.callsOf('models:memory')).toHaveLength(1));
    expect(screen.queryByRole('meter')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
