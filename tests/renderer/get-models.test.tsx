import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
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
