/**
 * Issue 11: the popup tells the truth in every state, not only in the status line. One table:
 * for each server state, what each region (Loaded models, Downloaded models, Downloads, Get
 * models) shows and which actions are enabled. Every action that cannot work is disabled and
 * points (aria-describedby, and a tooltip) at a reason the user can read.
 */
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelsSnapshot, ServerStatus } from '../../electron/shared/contract';
import { ok } from './fake-bridge';
import { makeDownload, makeInstance, makeModel, makeSnapshot, makeStatus } from './fixtures';
import { renderPopup } from './render';

afterEach(cleanup);

const LOADED = makeInstance({ identifier: 'qwen/qwen3-4b', modelKey: 'qwen/qwen3-4b' });
const QWEN = makeModel({ key: 'qwen/qwen3-4b', displayName: 'Qwen3 4B', loadedInstances: [LOADED] });
const GEMMA = makeModel({ key: 'google/gemma-3-12b', displayName: 'Gemma 3 12B', loadedInstances: [] });
/** `lms load qwen/qwen3-4b` would match this one too. */
const QWEN_2507 = makeModel({ key: 'qwen/qwen3-4b-2507', displayName: 'Qwen3 4B 2507', loadedInstances: [] });

function lists(overrides: Partial<ModelsSnapshot> = {}): ModelsSnapshot {
  return { models: [QWEN, GEMMA], loaded: [LOADED], stale: false, updatedAt: 1, source: 'v1', ...overrides };
}

/** Enabled, or the reason it is disabled (a substring of it). */
type Action = true | string;

interface Row {
  name: string;
  status: Partial<ServerStatus>;
  models: ModelsSnapshot;
  loaded: { text: string | null; rows: number; unload: Action | null; tag: string | null };
  downloaded: { tag: string | null; load: Record<string, Action> };
  /** Retry of a failed download; Download under Get models (both need what a download needs). */
  download: Action;
  /** Said under Get models (or null for nothing more than the form). */
  getModelsNote?: string;
  /** Text that must appear nowhere in the popup. */
  never?: string[];
}

const TABLE: Row[] = [
  {
    name: 'Checking',
    status: { state: 'checking', apiGeneration: null },
    models: lists({ models: [GEMMA], loaded: [], updatedAt: null, source: null }),
    loaded: { text: 'Not known yet.', rows: 0, unload: null, tag: null },
    never: ['Load one from Downloaded models below'],
    downloaded: { tag: null, load: { 'google/gemma-3-12b': 'still finding out whether LM Studio runs' } },
    download: 'still finding out whether LM Studio runs',
  },
  {
    name: 'Online',
    status: { state: 'online' },
    models: lists(),
    loaded: { text: null, rows: 1, unload: true, tag: null },
    downloaded: { tag: null, load: { 'qwen/qwen3-4b': true, 'google/gemma-3-12b': true } },
    download: true,
  },
  {
    name: 'Offline (the last loaded list is not shown: nothing is loaded while LM Studio is closed)',
    status: { state: 'offline', apiGeneration: null, lmStudioClosed: true },
    models: lists({ stale: true }),
    loaded: { text: 'Nothing is loaded while LM Studio is closed.', rows: 0, unload: null, tag: null },
    downloaded: {
      tag: 'Last known',
      load: { 'google/gemma-3-12b': 'LM Studio is not running. Start the server first' },
    },
    // `lms get` may wake LM Studio: the user's own click, and the popup says so.
    download: true,
    getModelsNote: 'LM Studio is not running: a download starts it.',
  },
  {
    name: 'Offline before lms has said whether LM Studio is open (a stopped server may still hold models)',
    status: { state: 'offline', apiGeneration: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: 'does not answer', tag: 'Last known' },
    downloaded: {
      tag: 'Last known',
      load: { 'google/gemma-3-12b': 'Nothing answers. Start the server first' },
    },
    download: true,
    getModelsNote: 'If LM Studio is not running, a download starts it.',
  },
  {
    name: 'Offline without lms (nothing can say LM Studio is closed: the last known loaded list)',
    status: { state: 'offline', apiGeneration: null, lmsPath: null },
    models: lists({ stale: true, loaded: [] }),
    loaded: {
      text: 'No model was loaded when LM Studio Tray last could tell.',
      rows: 0,
      unload: null,
      tag: 'Last known',
    },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': 'Start LM Studio first' } },
    download: 'Downloads need LM Studio running',
  },
  {
    name: 'Server stopped, before lms has read the lists (last known, still acted on through lms)',
    status: { state: 'server-stopped', apiGeneration: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: true, tag: 'Last known' },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': true } },
    download: true,
  },
  {
    name: 'Server stopped with models still loaded, read with lms',
    status: { state: 'server-stopped', apiGeneration: null },
    models: lists({ source: 'lms' }),
    loaded: { text: null, rows: 1, unload: true, tag: 'Via lms' },
    downloaded: { tag: 'Via lms', load: { 'google/gemma-3-12b': true, 'qwen/qwen3-4b': true } },
    download: true,
  },
  {
    name: 'Server stopped without lms: the last known loaded list, nothing that cannot work',
    status: { state: 'server-stopped', apiGeneration: null, lmsPath: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: "LM Studio's server is stopped", tag: 'Last known' },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': 'server is stopped' } },
    download: 'server is stopped',
  },
  {
    name: 'Not responding',
    status: { state: 'not-responding', apiGeneration: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: 'not answering', tag: 'Last known' },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': 'not answering' } },
    download: 'not answering',
  },
  {
    name: 'Authentication required with a local lms: everything through lms, but an ambiguous load',
    status: { state: 'unauthorized', apiGeneration: null },
    models: lists({ source: 'lms', models: [QWEN, QWEN_2507, GEMMA] }),
    loaded: { text: null, rows: 1, unload: true, tag: 'Via lms' },
    downloaded: {
      tag: 'Via lms',
      load: {
        'google/gemma-3-12b': true,
        'qwen/qwen3-4b-2507': true,
        'qwen/qwen3-4b':
          'qwen/qwen3-4b also matches qwen/qwen3-4b-2507, so it could load the wrong model. Enter the API token',
      },
    },
    download: true,
    never: ['Start LM Studio', 'Last known'],
  },
  {
    name: 'Authentication required without lms',
    status: { state: 'unauthorized', apiGeneration: null, lmsPath: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: 'needs its API token', tag: 'Last known' },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': 'needs its API token' } },
    download: 'needs its API token',
    never: ['Start LM Studio'],
  },
  {
    name: 'Not LM Studio',
    status: { state: 'foreign', apiGeneration: null },
    models: lists({ stale: true }),
    loaded: { text: null, rows: 1, unload: 'Another program answers', tag: 'Last known' },
    downloaded: { tag: 'Last known', load: { 'google/gemma-3-12b': 'Another program answers' } },
    download: 'Another program answers',
  },
];

const region = (name: string) => screen.getByRole('region', { name });

/** Asserts a button is enabled, or disabled with `reason` in its tooltip and its description. */
function expectAction(button: HTMLElement, expected: Action): void {
  if (expected === true) {
    expect((button as HTMLButtonElement).disabled, button.getAttribute('aria-label') ?? '').toBe(false);
    return;
  }
  expect((button as HTMLButtonElement).disabled).toBe(true);
  expect(button.getAttribute('title')).toContain(expected);
  const ids = (button.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  const described = ids.map((id) => document.getElementById(id)?.textContent ?? `(missing #${id})`).join(' ');
  expect(described).toContain(expected);
}

describe('issue 11: each region tells the truth in every state', () => {
  for (const row of TABLE) {
    it(row.name, async () => {
      await renderPopup(
        makeSnapshot({
          status: makeStatus(row.status),
          models: row.models,
          downloads: [makeDownload({ id: 'f1', model: 'org/failed', status: 'failed', message: 'Network error.' })],
        }),
      );

      // Loaded models
      const loaded = region('Loaded models');
      if (row.loaded.text) expect(loaded.textContent).toContain(row.loaded.text);
      expect(within(loaded).queryAllByRole('listitem')).toHaveLength(row.loaded.rows);
      const unloads = within(loaded).queryAllByRole('button', { name: /^Unload/ });
      if (row.loaded.unload === null) expect(unloads).toEqual([]);
      else {
        expect(unloads.map((b) => b.getAttribute('aria-label') ?? b.textContent)).toEqual([
          'Unload all',
          'Unload qwen/qwen3-4b',
        ]);
        for (const button of unloads) expectAction(button, row.loaded.unload);
      }
      if (row.loaded.tag) expect(loaded.querySelector('.stale')?.textContent).toBe(row.loaded.tag);
      else expect(loaded.querySelector('.stale')).toBeNull();

      // Downloaded models
      const downloaded = region('Downloaded models');
      if (row.downloaded.tag) expect(downloaded.querySelector('.stale')?.textContent).toBe(row.downloaded.tag);
      else expect(downloaded.querySelector('.stale')).toBeNull();
      for (const [key, expected] of Object.entries(row.downloaded.load)) {
        expectAction(within(downloaded).getByRole('button', { name: `Load ${key}` }), expected);
        expectAction(within(downloaded).getByRole('button', { name: `Load options for ${key}` }), expected);
      }

      // Downloads: a retry starts a download; dismissing always works
      const downloads = region('Downloads');
      expectAction(within(downloads).getByRole('button', { name: 'Retry download of org/failed' }), row.download);
      expectAction(within(downloads).getByRole('button', { name: 'Dismiss download of org/failed' }), true);

      // Get models
      const getModels = region('Get models');
      expectAction(within(getModels).getByRole('button', { name: 'Download' }), row.download);
      expectAction(within(getModels).getByRole('button', { name: 'Download qwen/qwen3-4b' }), row.download);
      if (row.getModelsNote) expect(getModels.textContent).toContain(row.getModelsNote);

      for (const text of row.never ?? []) expect(document.body.textContent).not.toContain(text);
    });
  }
});

describe('issue 11: the Last known tag says why in its tooltip', () => {
  it.each([
    ['offline', 'it is closed now'],
    ['server-stopped', "LM Studio's server stopped"],
    ['not-responding', 'stopped answering'],
    ['unauthorized', 'asked for a token'],
    ['foreign', 'another program'],
  ] as const)('%s', async (state, why) => {
    await renderPopup(makeSnapshot({ status: makeStatus({ state, lmsPath: null }), models: lists({ stale: true }) }));
    const tag = region('Downloaded models').querySelector('.stale');
    expect(tag?.textContent).toBe('Last known');
    expect(tag?.getAttribute('title')).toContain(why);
  });
});

describe('issue 11: before the first read of the lists', () => {
  it('says the lists are being read, not that there are none', async () => {
    await renderPopup(
      makeSnapshot({ models: { models: [], loaded: [], stale: false, updatedAt: null, source: null } }),
    );
    expect(region('Downloaded models').textContent).toContain('Reading the model list…');
    expect(region('Loaded models').textContent).toContain('Reading what is loaded…');
    expect(document.body.textContent).not.toContain('No models downloaded yet');
  });

  it('says the lists could not be read, not that they are being read, after a bad answer while online', async () => {
    await renderPopup(makeSnapshot({ models: { models: [], loaded: [], stale: true, updatedAt: null, source: null } }));
    expect(region('Downloaded models').textContent).toContain(
      'LM Studio Tray could not read the model list just now; it tries again shortly.',
    );
    expect(region('Loaded models').textContent).toContain('Not known: the list could not be read.');
    expect(document.body.textContent).not.toContain('Reading');
  });

  it('says so while lms reads them for a server that asks for a token', async () => {
    await renderPopup(
      makeSnapshot({
        status: makeStatus({ state: 'unauthorized' }),
        models: { models: [], loaded: [], stale: false, updatedAt: null, source: null },
      }),
    );
    expect(region('Downloaded models').textContent).toContain('Reading the model list with lms…');
  });
});

describe('issue 11: Authentication required', () => {
  it('keeps the token field in view and says how the popup works meanwhile, with and without lms', async () => {
    await renderPopup(
      makeSnapshot({ status: makeStatus({ state: 'unauthorized' }), models: lists({ source: 'lms' }) }),
    );
    expect(screen.getByLabelText('API token')).toBeTruthy();
    expect(document.body.textContent).toContain("go through LM Studio's lms tool, which has its own key");
    cleanup();
    await renderPopup(
      makeSnapshot({ status: makeStatus({ state: 'unauthorized', lmsPath: null }), models: lists({ stale: true }) }),
    );
    expect(screen.getByLabelText('API token')).toBeTruthy();
    expect(document.body.textContent).toContain('cannot list, load or download models here');
  });

  it('never advises starting LM Studio when no list is known yet (it runs)', async () => {
    await renderPopup(
      makeSnapshot({
        status: makeStatus({ state: 'unauthorized', lmsPath: null }),
        models: { models: [], loaded: [], stale: true, updatedAt: null, source: null },
      }),
    );
    const downloaded = region('Downloaded models');
    expect(downloaded.textContent).toContain("No models known yet: LM Studio's HTTP API needs its token (above)");
    expect(document.body.textContent).not.toContain('Start LM Studio');
  });
});

describe('issue 11: a loaded model in Downloaded models', () => {
  it('says its Load adds another instance, keeping the name "Load MODELKEY"', async () => {
    await renderPopup(makeSnapshot({ models: lists() }));
    const downloaded = region('Downloaded models');
    const load = within(downloaded).getByRole('button', { name: 'Load qwen/qwen3-4b' });
    const caption = document.getElementById(load.getAttribute('aria-describedby') ?? '');
    expect(caption?.textContent).toBe('another instance');
    expect(load.getAttribute('title')).toBe('Load another instance of qwen/qwen3-4b');
    // A model not loaded yet has a plain Load.
    const plain = within(downloaded).getByRole('button', { name: 'Load google/gemma-3-12b' });
    expect(plain.getAttribute('aria-describedby')).toBeNull();

    fireEvent.click(within(downloaded).getByRole('button', { name: 'Load options for qwen/qwen3-4b' }));
    // The options load on demand: they may take a moment to appear.
    expect(await within(downloaded).findByRole('button', { name: 'Load another instance' })).toBeTruthy();
  });

  it('keeps size and context apart from what may shorten in the meta line', async () => {
    await renderPopup(makeSnapshot({ models: lists() }));
    const row = within(region('Downloaded models')).getAllByRole('listitem')[0]!;
    expect(row.querySelector('.row__meta-fit')?.textContent).toBe('2.5 GB · 32K context');
    expect(row.querySelector('.row__meta-about')?.textContent).toBe('qwen · 4B · Q4_K_M · GGUF');
  });

  it('disables Load with these options while offline, with the reason', async () => {
    const { store } = await renderPopup(makeSnapshot({ models: lists() }));
    const downloaded = region('Downloaded models');
    fireEvent.click(within(downloaded).getByRole('button', { name: 'Load options for google/gemma-3-12b' }));
    store.setState({ status: makeStatus({ state: 'offline', lmStudioClosed: true }) });
    const submit = await within(downloaded).findByRole('button', { name: 'Load with these options' });
    expectAction(submit, 'LM Studio is not running');
  });
});

describe('issue 11: Escape closes the popup unless something inside uses it', () => {
  it('asks to close the popup when Escape reaches the page unhandled', async () => {
    const { bridge } = await renderPopup(makeSnapshot(), (b) => b.handle('popup:dismiss', () => ok(null)));
    fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(bridge.callsOf('popup:dismiss')).toHaveLength(1);
    fireEvent.keyDown(document.body, { key: 'Enter' });
    expect(bridge.callsOf('popup:dismiss')).toHaveLength(1);
  });

  it('clears the filter first, then closes', async () => {
    const { bridge } = await renderPopup(makeSnapshot({ models: lists() }), (b) =>
      b.handle('popup:dismiss', () => ok(null)),
    );
    const filter = screen.getByRole('searchbox', { name: 'Filter downloaded models' }) as HTMLInputElement;
    fireEvent.change(filter, { target: { value: 'gemma' } });
    fireEvent.keyDown(filter, { key: 'Escape' });
    expect(filter.value).toBe('');
    expect(bridge.callsOf('popup:dismiss')).toHaveLength(0);
    fireEvent.keyDown(filter, { key: 'Escape' });
    expect(bridge.callsOf('popup:dismiss')).toHaveLength(1);
  });

  it('closes the load options (focus back on their button) before the popup', async () => {
    const { bridge } = await renderPopup(makeSnapshot({ models: lists() }), (b) =>
      b.handle('popup:dismiss', () => ok(null)),
    );
    const downloaded = region('Downloaded models');
    const disclosure = within(downloaded).getByRole('button', { name: 'Load options for google/gemma-3-12b' });
    fireEvent.click(disclosure);
    const submit = await within(downloaded).findByRole('button', { name: 'Load with these options' });
    fireEvent.keyDown(submit, { key: 'Escape' });
    expect(within(downloaded).queryByRole('button', { name: 'Load with these options' })).toBeNull();
    expect(disclosure.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(disclosure);
    expect(bridge.callsOf('popup:dismiss')).toHaveLength(0);
  });
});
