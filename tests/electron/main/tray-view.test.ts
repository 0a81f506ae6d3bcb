import { describe, expect, it, vi } from 'vitest';
import {
  formatTokensPerSecond,
  generatingModels,
  menuKey,
  type TrayMenuActions,
  trayIconState,
  trayMenuTemplate,
  trayTooltip,
} from '../../../electron/main/tray-view';
import type { ActivitySample, ServerState } from '../../../electron/shared/contract';
import { activity, download, snapshot } from './fake-core';

/** A finished answer at this speed. */
function sample(tokensPerSecond: number | null): ActivitySample {
  return { at: 0, tokensPerSecond, timeToFirstTokenSec: 0.3, promptTokens: 19, predictedTokens: 200 };
}

/** The model is answering a request. */
const busy = (identifier: string, last: number | null = null) =>
  activity(identifier, { inProgress: 1, busySince: 0, last: last === null ? null : sample(last) });

function actions(): TrayMenuActions & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    openPopup: () => calls.push('open'),
    openSettings: () => calls.push('settings'),
    unload: (id) => calls.push(`unload ${id}`),
    unloadAll: () => calls.push('unload-all'),
    startServer: () => calls.push('start'),
    stopServer: () => calls.push('stop'),
    quit: ({ cancelDownloads }) => calls.push(cancelDownloads ? 'quit-cancel' : 'quit'),
  };
}

function labels(s: ReturnType<typeof snapshot>): string[] {
  return trayMenuTemplate(s, actions())
    .filter((item) => item.type !== 'separator')
    .map((item) => `${item.label}${item.enabled === false ? ' (disabled)' : ''}`);
}

describe('trayIconState', () => {
  it.each<[string, ReturnType<typeof snapshot>, string]>([
    ['online, nothing loaded', snapshot({ state: 'online' }), 'idle'],
    ['online with a model', snapshot({ state: 'online', loaded: ['qwen/qwen3-4b'] }), 'loaded'],
    ['online and downloading', snapshot({ state: 'online', loaded: ['a'], downloads: [download('b')] }), 'downloading'],
    [
      'server stopped but downloading',
      snapshot({ state: 'server-stopped', downloads: [download('b')] }),
      'downloading',
    ],
    ['offline', snapshot({ state: 'offline' }), 'offline'],
    ['server stopped', snapshot({ state: 'server-stopped' }), 'offline'],
    ['not responding', snapshot({ state: 'not-responding' }), 'offline'],
    ['checking', snapshot({ state: 'checking' }), 'offline'],
    ['auth required', snapshot({ state: 'unauthorized', downloads: [download('b')] }), 'attention'],
    ['foreign program on the port', snapshot({ state: 'foreign' }), 'attention'],
    [
      'finished downloads do not count',
      snapshot({ state: 'online', downloads: [download('b', { status: 'completed', percent: 100 })] }),
      'idle',
    ],
    ['generating', snapshot({ loaded: ['qwen/qwen3-4b'], activity: [busy('qwen/qwen3-4b')] }), 'generating'],
    [
      'loaded, its last answer done',
      snapshot({ loaded: ['a'], activity: [activity('a', { last: sample(40) })] }),
      'loaded',
    ],
    [
      'generating by a model the lists do not show yet',
      snapshot({ loaded: [], activity: [busy('just-in-time')] }),
      'generating',
    ],
    [
      'downloading wins over generating',
      snapshot({ loaded: ['a'], activity: [busy('a')], downloads: [download('b')] }),
      'downloading',
    ],
    [
      'attention wins over generating',
      snapshot({ state: 'unauthorized', loaded: ['a'], activity: [busy('a')] }),
      'attention',
    ],
    [
      'generating with the server stopped (lms chat needs no server)',
      snapshot({ state: 'server-stopped', loaded: ['a'], activity: [busy('a')] }),
      'generating',
    ],
    [
      'offline wins over a download waiting for LM Studio',
      snapshot({ state: 'offline', downloads: [download('b')] }),
      'offline',
    ],
    [
      'LM Studio closed wins over everything',
      snapshot({
        state: 'offline',
        status: { lmStudioClosed: true },
        loaded: ['a'],
        activity: [busy('a')],
        downloads: [download('b')],
      }),
      'offline',
    ],
    [
      'counts from a stream no longer followed say nothing',
      snapshot({ loaded: ['a'], activity: { state: 'waiting', message: null, models: [busy('a')] } }),
      'loaded',
    ],
  ])('%s', (_name, s, expected) => {
    expect(trayIconState(s)).toBe(expected);
  });
});

describe('formatTokensPerSecond', () => {
  it.each<[number, string]>([
    [41.23, '41.2'],
    [42, '42.0'],
    [0.04, '0.0'],
    [99.94, '99.9'],
    [99.96, '100'],
    [131.135, '131'],
  ])('%s -> %s', (value, text) => {
    expect(formatTokensPerSecond(value)).toBe(text);
  });
});

describe('generatingModels', () => {
  it('the models with a request in progress, only while the stream is followed and LM Studio is up', () => {
    const models = [busy('a'), activity('b'), busy('c')];
    expect(generatingModels(snapshot({ activity: models })).map((m) => m.identifier)).toEqual(['a', 'c']);
    expect(generatingModels(snapshot({ activity: { state: 'unavailable', message: 'x', models } }))).toEqual([]);
    expect(generatingModels(snapshot({ state: 'offline', activity: models }))).toEqual([]);
  });
});

describe('trayTooltip', () => {
  it('says the whole state in words', () => {
    const s = snapshot({ state: 'online', loaded: ['qwen/qwen3-4b'], downloads: [download('x', { percent: 42.7 })] });
    expect(trayTooltip(s)).toBe('LM Studio: online · qwen3-4b loaded · downloading 42%');
  });

  it.each<[ServerState, string]>([
    ['online', 'LM Studio: online · no model loaded'],
    ['offline', 'LM Studio: offline'],
    ['server-stopped', 'LM Studio: server stopped'],
    ['not-responding', 'LM Studio: not responding'],
    ['unauthorized', 'LM Studio: authentication required'],
    ['foreign', 'LM Studio: not lm studio'],
    ['checking', 'LM Studio: checking'],
  ])('%s', (state, expected) => {
    expect(trayTooltip(snapshot({ state }))).toBe(expected);
  });

  it("adds what is generating, with the last answer's speed", () => {
    expect(trayTooltip(snapshot({ loaded: ['qwen/qwen3-4b'], activity: [busy('qwen/qwen3-4b', 41.23)] }))).toBe(
      'LM Studio: online · qwen3-4b loaded · generating (last 41.2 tok/s)',
    );
    // Nothing answered yet: no speed to tell.
    expect(trayTooltip(snapshot({ loaded: ['a'], activity: [busy('a')] }))).toBe(
      'LM Studio: online · a loaded · generating',
    );
    expect(
      trayTooltip(
        snapshot({
          loaded: ['a', 'b'],
          activity: [busy('a', 30), busy('b', 131.4)],
          downloads: [download('x', { percent: 42 })],
        }),
      ),
    ).toBe('LM Studio: online · 2 models loaded · 2 models generating · downloading 42%');
    // Idle models add nothing; a stream no longer followed adds nothing.
    expect(trayTooltip(snapshot({ loaded: ['a'], activity: [activity('a', { last: sample(42) })] }))).toBe(
      'LM Studio: online · a loaded',
    );
    expect(
      trayTooltip(snapshot({ loaded: ['a'], activity: { state: 'waiting', message: null, models: [busy('a', 40)] } })),
    ).toBe('LM Studio: online · a loaded');
  });

  it('counts several models and downloads, shows a download without progress yet, and instability', () => {
    expect(trayTooltip(snapshot({ loaded: ['a', 'b'], downloads: [download('x'), download('y')] }))).toBe(
      'LM Studio: online · 2 models loaded · downloading 2 models',
    );
    expect(trayTooltip(snapshot({ state: 'offline', downloads: [download('x', { percent: null })] }))).toBe(
      'LM Studio: offline · downloading',
    );
    expect(trayTooltip(snapshot({ status: { unstable: true } }))).toBe(
      'LM Studio: online · no model loaded · connection unstable',
    );
  });
});

describe('trayMenuTemplate', () => {
  it('online with models: status line, what each does, unload each, unload all, stop server', () => {
    expect(labels(snapshot({ state: 'online', loaded: ['qwen/qwen3-4b', 'gemma-3-1b:2'] }))).toEqual([
      'Open LM Studio Tray',
      'Online · 2 models loaded (disabled)',
      'Loaded models (disabled)',
      'qwen3-4b · idle (disabled)',
      'gemma-3-1b:2 · idle (disabled)',
      'Unload qwen/qwen3-4b',
      'Unload gemma-3-1b:2',
      'Unload all',
      'Stop server',
      'Settings…',
      'Quit',
    ]);
  });

  it('says Kept loaded beside a kept model, and unloading it still runs the unload', () => {
    const kept = {
      modelKey: 'qwen/qwen3-4b',
      options: {},
      state: 'ready' as const,
      message: null,
      nextAttemptAt: null,
    };
    const s = snapshot({ state: 'online', loaded: ['qwen/qwen3-4b', 'gemma-3-1b:2'], kept: [kept] });
    expect(labels(s)).toEqual([
      'Open LM Studio Tray',
      'Online · 2 models loaded (disabled)',
      'Loaded models (disabled)',
      'qwen3-4b · idle (disabled)',
      'gemma-3-1b:2 · idle (disabled)',
      'Unload qwen/qwen3-4b · Kept loaded',
      'Unload gemma-3-1b:2',
      'Unload all',
      'Stop server',
      'Settings…',
      'Quit',
    ]);
    const a = actions();
    const item = trayMenuTemplate(s, a).find((i) => i.id === 'unload:qwen/qwen3-4b');
    (item!.click as () => void)();
    expect(a.calls).toEqual(['unload qwen/qwen3-4b']);
    // A kept model that is not loaded (LM Studio closed) adds nothing to the menu.
    expect(labels(snapshot({ state: 'offline', kept: [{ ...kept, state: 'waiting' }] }))).not.toContainEqual(
      expect.stringContaining('Kept'),
    );
  });

  it("shows each loaded model's state from the stream, beside Kept loaded", () => {
    const kept = {
      modelKey: 'qwen/qwen3-4b',
      options: {},
      state: 'ready' as const,
      message: null,
      nextAttemptAt: null,
    };
    const s = snapshot({
      loaded: ['qwen/qwen3-4b', 'gemma-3-1b:2', 'nomic-embed'],
      kept: [kept],
      activity: [busy('qwen/qwen3-4b', 37.5), activity('gemma-3-1b:2', { last: sample(42) })],
    });
    expect(labels(s)).toEqual([
      'Open LM Studio Tray',
      'Online · 3 models loaded (disabled)',
      'Loaded models (disabled)',
      'qwen3-4b · Generating (disabled)',
      'gemma-3-1b:2 · idle · 42.0 tok/s (disabled)',
      'nomic-embed · idle (disabled)',
      'Unload qwen/qwen3-4b · Kept loaded',
      'Unload gemma-3-1b:2',
      'Unload nomic-embed',
      'Unload all',
      'Stop server',
      'Settings…',
      'Quit',
    ]);
  });

  it('says how many requests a model is answering, and one possibly stuck', () => {
    const s = snapshot({
      loaded: ['a', 'b'],
      activity: [
        activity('a', { inProgress: 3, busySince: 0 }),
        activity('b', { inProgress: 1, busySince: 0, possiblyStuckSince: 0 }),
      ],
    });
    expect(labels(s).slice(3, 5)).toEqual([
      'a · Generating · 3 requests (disabled)',
      'b · Generating · possibly stuck (disabled)',
    ]);
  });

  it('no state lines while the stream is not followed (what the models do is unknown then)', () => {
    for (const state of ['waiting', 'unavailable'] as const) {
      const s = snapshot({ loaded: ['a'], activity: { state, message: 'x', models: [busy('a', 40)] } });
      expect(labels(s)).toEqual([
        'Open LM Studio Tray',
        'Online · a loaded (disabled)',
        'Loaded models (disabled)',
        'Unload a',
        'Unload all',
        'Stop server',
        'Settings…',
        'Quit',
      ]);
    }
  });

  it('online and idle', () => {
    expect(labels(snapshot({ state: 'online' }))).toEqual([
      'Open LM Studio Tray',
      'Online · no model loaded (disabled)',
      'Stop server',
      'Settings…',
      'Quit',
    ]);
  });

  it.each<[ServerState, boolean]>([
    ['offline', true],
    ['server-stopped', true],
    ['not-responding', false],
    ['checking', false],
    ['foreign', false],
  ])('%s: Start server enabled=%s', (state, enabled) => {
    const template = trayMenuTemplate(snapshot({ state }), actions());
    const start = template.find((item) => item.id === 'start-server');
    expect(start?.enabled).toBe(enabled);
    expect(template.find((item) => item.id === 'stop-server')).toBeUndefined();
    expect(template.find((item) => item.id === 'status')?.label).toMatch(
      /^(Offline|Server stopped|Not responding|Checking|Authentication required|Not LM Studio)$/,
    );
  });

  it('offers Stop server while the server asks for a token (it runs; lms stops it without the token)', () => {
    const template = trayMenuTemplate(snapshot({ state: 'unauthorized' }), actions());
    expect(template.find((item) => item.id === 'stop-server')?.enabled).toBe(true);
    expect(template.find((item) => item.id === 'start-server')).toBeUndefined();
  });

  it('cannot drive the server without lms or for a remote LM Studio', () => {
    const noLms = trayMenuTemplate(snapshot({ state: 'offline', status: { lmsPath: null } }), actions());
    expect(noLms.find((item) => item.id === 'start-server')?.enabled).toBe(false);
    const remote = trayMenuTemplate(snapshot({ state: 'online', status: { remote: true } }), actions());
    expect(remote.find((item) => item.id === 'stop-server')?.enabled).toBe(false);
  });

  it('shows nothing loaded while LM Studio is closed, whatever list was last known', () => {
    const closed = snapshot({ state: 'offline', status: { lmStudioClosed: true }, loaded: ['qwen/qwen3-4b'] });
    expect(labels(closed)).toEqual(['Open LM Studio Tray', 'Offline (disabled)', 'Start server', 'Settings…', 'Quit']);
    expect(trayTooltip(closed)).toBe('LM Studio: offline');
    expect(trayIconState(closed)).toBe('offline');
  });

  it('disables unloads that cannot work, with the reason, as the popup does', () => {
    const stuck = snapshot({ state: 'not-responding', loaded: ['qwen/qwen3-4b'] });
    stuck.models.stale = true;
    expect(labels(stuck)).toEqual([
      'Open LM Studio Tray',
      'Not responding · qwen3-4b loaded (disabled)',
      'Loaded models · last known (disabled)',
      'qwen3-4b · idle (disabled)',
      'Unload qwen/qwen3-4b (disabled)',
      'Unload all (disabled)',
      'LM Studio is not answering. Wait for it, or restart it. (disabled)',
      'Start server (disabled)',
      'Settings…',
      'Quit',
    ]);
    const tokenNoLms = snapshot({ state: 'unauthorized', loaded: ['a'], status: { lmsPath: null } });
    expect(labels(tokenNoLms)).toContain('Unload a (disabled)');
  });

  it('keeps unloads working through lms while the API needs a token', () => {
    const template = trayMenuTemplate(snapshot({ state: 'unauthorized', loaded: ['qwen/qwen3-4b'] }), actions());
    expect(template.find((item) => item.id === 'unload:qwen/qwen3-4b')?.enabled).toBe(true);
    expect(template.find((item) => item.id === 'unload-reason')).toBeUndefined();
  });

  it.each<[ServerState, Partial<ReturnType<typeof snapshot>['status']>, string]>([
    ['not-responding', {}, 'Unavailable: LM Studio is not answering'],
    ['foreign', {}, 'Unavailable: another program holds the port'],
    ['offline', { lmsPath: null }, 'Unavailable: the lms tool was not found'],
    ['offline', { remote: true }, 'Unavailable: LM Studio is on another machine'],
  ])('%s: says why the server item is disabled (%o)', (state, status, sublabel) => {
    const item = trayMenuTemplate(snapshot({ state, status }), actions()).find((i) => i.id === 'start-server');
    expect(item).toMatchObject({ enabled: false, sublabel });
  });

  it('while downloading, offers to quit with or without cancelling them', () => {
    expect(labels(snapshot({ state: 'online', downloads: [download('qwen/qwen3-4b')] }))).toEqual([
      'Open LM Studio Tray',
      'Online · no model loaded · downloading (disabled)',
      'Stop server',
      'Settings…',
      'Quit (downloads continue in LM Studio)',
      'Quit and cancel downloads',
    ]);
    // The user already chose to cancel on quit: one Quit does it.
    const cancelling = snapshot({ downloads: [download('x')], settings: { quitBehaviour: 'cancel-downloads' } });
    expect(labels(cancelling).at(-1)).toBe('Quit');
  });

  it('every item runs its action', () => {
    const a = actions();
    const template = trayMenuTemplate(snapshot({ state: 'online', loaded: ['m1'], downloads: [download('x')] }), a);
    for (const item of template) (item.click as (() => void) | undefined)?.();
    expect(a.calls).toEqual(['open', 'unload m1', 'unload-all', 'stop', 'settings', 'quit', 'quit-cancel']);
    const offline = actions();
    for (const item of trayMenuTemplate(snapshot({ state: 'offline' }), offline))
      (item.click as (() => void) | undefined)?.();
    expect(offline.calls).toContain('start');
  });
});

describe('menuKey', () => {
  it('ignores download progress but not what the menu shows', () => {
    const click = vi.fn();
    const a = { ...actions(), openPopup: click };
    const at = (percent: number) => menuKey(trayMenuTemplate(snapshot({ downloads: [download('x', { percent })] }), a));
    expect(at(10)).toBe(at(90));
    expect(menuKey(trayMenuTemplate(snapshot({ loaded: ['a'] }), a))).not.toBe(
      menuKey(trayMenuTemplate(snapshot(), a)),
    );
    // A model starting or ending an answer changes what the menu shows.
    expect(menuKey(trayMenuTemplate(snapshot({ loaded: ['a'], activity: [busy('a')] }), a))).not.toBe(
      menuKey(trayMenuTemplate(snapshot({ loaded: ['a'] }), a)),
    );
  });
});
