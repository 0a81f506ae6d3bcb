import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiskSpaceAnswer } from '../../electron/shared/contract';
import { downloadTargetProblem } from '../../electron/shared/model-names';
import { MODEL_SUGGESTIONS } from '../../electron/shared/suggestions';
import { fail, ok } from './fake-bridge';
import { makeDownload, makeModel, makeSnapshot, makeStatus } from './fixtures';
import { renderPopup } from './render';

afterEach(cleanup);

const input = () => screen.getByRole('textbox', { name: 'Model to download' });
const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Download' }));

describe('Get models', () => {
  for (const bad of ['', '   ', '-rf', 'qwen qwen3', 'https://example.com/model', 'a;rm -rf /']) {
    it(`refuses ${JSON.stringify(bad)} in the page, with an alert saying what is accepted`, async () => {
      const { bridge } = await renderPopup();
      fireEvent.change(input(), { target: { value: bad } });
      submit();
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toMatch(/qwen\/qwen3-4b/);
      expect(input().getAttribute('aria-invalid')).toBe('true');
      expect(bridge.callsOf('downloads:start')).toEqual([]);

      // Typing again clears the complaint.
      fireEvent.change(input(), { target: { value: 'qwen/qwen3-4b' } });
      expect(screen.queryByRole('alert')).toBeNull();
    });
  }

  it('refuses a path, a look-alike letter and %2F with the words the core would use', async () => {
    const { bridge } = await renderPopup();
    for (const bad of ['../../etc/passwd', 'qwen/qw\u0435n3-4b', 'qwen%2Fqwen3-4b']) {
      fireEvent.change(input(), { target: { value: bad } });
      submit();
      expect((await screen.findByRole('alert')).textContent).toBe(downloadTargetProblem(bad));
    }
    expect(bridge.callsOf('downloads:start')).toEqual([]);
  });

  it('accepts a Hugging Face URL and clears the field once the download started', async () => {
    const url = 'https://huggingface.co/lmstudio-community/Qwen3-4B-GGUF';
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', (payload) => ok(makeDownload({ model: payload!.model }))),
    );
    fireEvent.change(input(), { target: { value: url } });
    submit();
    await waitFor(() => expect(bridge.callsOf('downloads:start')).toEqual([{ model: url }]));
    await waitFor(() => expect((input() as HTMLInputElement).value).toBe(''));
  });

  it('keeps what was typed when the core refuses it, and shows why', async () => {
    await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', () => fail('lms-missing', 'lms was not found. Install LM Studio, then try again.')),
    );
    fireEvent.change(input(), { target: { value: 'qwen/qwen3-4b' } });
    submit();
    expect((await screen.findByRole('alert')).textContent).toContain('lms was not found');
    expect((input() as HTMLInputElement).value).toBe('qwen/qwen3-4b');
  });

  it('downloads a suggestion in one click, by its key', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', (payload) => ok(makeDownload({ model: payload!.model }))),
    );
    for (const suggestion of MODEL_SUGGESTIONS) {
      expect(screen.getByRole('button', { name: `Download ${suggestion.key}` })).toBeTruthy();
    }
    fireEvent.click(screen.getByRole('button', { name: 'Download google/gemma-3-12b' }));
    await waitFor(() => expect(bridge.callsOf('downloads:start')).toEqual([{ model: 'google/gemma-3-12b' }]));
    // While it runs, its suggestion cannot start it twice.
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Download google/gemma-3-12b' }).hasAttribute('disabled')).toBe(true),
    );
  });

  it('points at the suggestions when no model is downloaded yet', async () => {
    await renderPopup(makeSnapshot({ models: { models: [], loaded: [], stale: false, updatedAt: 1, source: 'v1' } }));
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    expect(region.textContent).toContain('No models downloaded yet');
    fireEvent.click(within(region).getByRole('button', { name: 'Show suggestions' }));
    expect(document.activeElement).toBe(input());
  });

  it('marks the offline list as the last known one', async () => {
    await renderPopup(
      makeSnapshot({
        status: makeStatus({ state: 'offline' }),
        models: { models: [makeModel()], loaded: [], stale: true, updatedAt: 1, source: 'v1' },
      }),
    );
    const region = screen.getByRole('region', { name: 'Downloaded models' });
    expect(region.textContent).toContain('Last known');
  });
});

describe('Get models, issue 9', () => {
  const space = (freeBytes: number): DiskSpaceAnswer => ({
    known: true,
    space: { folder: '/home/me/.lmstudio/models', freeBytes, totalBytes: 500e9, checkedAt: 1 },
  });
  const suggestion = (key: string) =>
    screen.getByRole('button', { name: `Download ${key}` }).closest('li') as HTMLElement;

  it('shows what each suggestion needs (size and margin) against the free space', async () => {
    await renderPopup(makeSnapshot(), (b) => b.handle('downloads:disk-space', () => ok(space(40e9))));
    // gpt-oss 20B: 12.11 GB and the 1 GB margin.
    expect(await within(suggestion('openai/gpt-oss-20b')).findByText('Needs 13.1 GB · 40 GB free')).toBeTruthy();
    expect(within(suggestion('mistralai/devstral-small-2507')).getByText('Needs 15.3 GB · 40 GB free')).toBeTruthy();
  });

  it('says when a suggestion will not fit, and why under the 2 GB floor', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:disk-space', () => ok(space(3.2e9))),
    );
    expect(
      await within(suggestion('openai/gpt-oss-20b')).findByText('Not enough disk: needs 13.1 GB, 3.2 GB free'),
    ).toBeTruthy();
    expect(within(suggestion('nomic-ai/nomic-embed-text-v1.5')).getByText('Needs 1.1 GB · 3.2 GB free')).toBeTruthy();

    bridge.handle('downloads:disk-space', () => ok(space(1.5e9)));
    act(() => bridge.emit('downloads:changed', [makeDownload({ status: 'queued' })]));
    expect(
      await within(suggestion('nomic-ai/nomic-embed-text-v1.5')).findByText(
        'Not enough disk: needs 1.1 GB, 1.5 GB free (no download starts under 2 GB)',
      ),
    ).toBeTruthy();
  });

  it('asks when the section shows and when a download starts or changes state, not with every byte', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:disk-space', () => ok(space(40e9))),
    );
    await waitFor(() => expect(bridge.callsOf('downloads:disk-space')).toHaveLength(1));
    act(() => bridge.emit('downloads:changed', [makeDownload({ percent: 10 })]));
    await waitFor(() => expect(bridge.callsOf('downloads:disk-space')).toHaveLength(2));
    act(() => bridge.emit('downloads:changed', [makeDownload({ percent: 11 })]));
    act(() => bridge.emit('downloads:changed', [makeDownload({ percent: 12 })]));
    await act(() => Promise.resolve());
    expect(bridge.callsOf('downloads:disk-space')).toHaveLength(2);
    act(() => bridge.emit('downloads:changed', [makeDownload({ percent: 100, status: 'completed' })]));
    await waitFor(() => expect(bridge.callsOf('downloads:disk-space')).toHaveLength(3));
  });

  it('shows no disk line when the free space is not known', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:disk-space', () => ok<DiskSpaceAnswer>({ known: false, reason: 'The server is remote.' })),
    );
    await waitFor(() => expect(bridge.callsOf('downloads:disk-space')).toHaveLength(1));
    await act(() => Promise.resolve());
    expect(screen.getByRole('region', { name: 'Get models' }).textContent).not.toMatch(/GB free|Not enough disk/);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('sends Load when done with a suggestion too', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) =>
      b.handle('downloads:start', (payload) => ok(makeDownload({ model: payload!.model }))),
    );
    fireEvent.click(screen.getByRole('checkbox', { name: 'Load when done' }));
    fireEvent.click(screen.getByRole('button', { name: 'Download qwen/qwen3-4b' }));
    await waitFor(() =>
      expect(bridge.callsOf('downloads:start')).toEqual([{ model: 'qwen/qwen3-4b', loadWhenDone: true }]),
    );
  });

  it('shows the core’s disk refusal as an alert, keeping what was typed', async () => {
    const refusal =
      'Not enough disk space for qwen/qwen3-4b: it needs 3.5 GB, 1.2 GB is free in /home/me/.lmstudio/models.';
    await renderPopup(makeSnapshot(), (b) => b.handle('downloads:start', () => fail('unavailable', refusal)));
    fireEvent.change(input(), { target: { value: 'qwen/qwen3-4b' } });
    submit();
    expect((await screen.findByRole('alert')).textContent).toContain(refusal);
    expect((input() as HTMLInputElement).value).toBe('qwen/qwen3-4b');
  });
});
